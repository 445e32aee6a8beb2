"""Accounts on django-allauth: who may sign up, two-factor, single sign-on, lock-out and rate limits."""
