"""Sign-in lock-out after repeated failures (django-axes): who is paused, and unlocking them."""

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def axes_username(request, credentials=None):
    """What django-axes counts failures against: the email typed on the sign-in form (allauth's "login"
    field, passed to authenticate() as "email"), or the username on the admin's own form."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if not value:
        data = getattr(request, "POST", {}) if request is not None else {}
        value = data.get("login") or data.get("username") or ""
    return str(value).strip().lower()


def _sign_in_names(user):
    """The names django-axes counts a person's failed sign-ins under: the account's username (what an
    email address typed at sign-in resolves to) and the email itself, lower-cased."""
    return {user.username, user.username.lower(), (user.email or "").lower()} - {""}


def paused_sign_ins(users):
    """The ids of those people whose sign-in is paused for their account (one query)."""
    names = {name: user.pk for user in users for name in _sign_in_names(user)}
    if not names:
        return set()
    rows = (
        AccessAttempt.objects.filter(
            username__in=list(names), attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
        )
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by()
    )
    return {names[row["username"]] for row in rows}


def unlock_sign_in(*, membership):
    """Clear the failed sign-ins counted against a member's account, so they can sign in again at once.
    A pause of an address (many failures from one place) is left to the site administrator."""
    return sum(reset(username=name) for name in _sign_in_names(membership.user))
