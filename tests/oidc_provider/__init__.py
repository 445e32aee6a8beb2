"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit in a second, small
Django project, started as its own process on a loopback port (see serve.py). Nothing here is PeerPlan."""
