"""Rate limits for what anyone can make PeerPlan do to someone else's inbox or account: sign-up, password
reset (both django-allauth's own limits, ACCOUNT_RATE_LIMITS) and sending invitations (PEERPLAN_RATE_LIMITS,
counted by the same limiter). One mechanism, one page for "too many":

- counted in Django's default cache, which settings.py makes a shared one (the database cache, or Redis),
  so every gunicorn worker on every host counts together; a per-process memory cache would let each worker
  count on its own, and the system check below refuses it;
- per client address as the sign-in lock-out (django-axes) counts it behind a proxy (AccountAdapter's
  get_client_ip), per account, or per email address;
- over the limit, the person sees how long to wait ("Try again in 12 minutes"), 429 with Retry-After;
- while a Redis cache (CACHE_URL) is down they count nothing and let requests through (fail open), rather
  than refuse every sign-up, reset and invitation; the sign-in lock-out counts in the database and holds.
  peerplan/lib/cache_backends.py gives the reasons, limit by limit.

The wait is read back from allauth's limiter (its cache keys and rates, allauth.core.internal.ratelimit,
pinned by requirements.lock); tests/test_rate_limits.py fails if a new allauth stores them differently."""

import math
import time

from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.shortcuts import render

# allauth's action for each of its pages that can answer 429 (the page's URL name).
ALLAUTH_ACTIONS = {
    "account_signup": "signup",
    "account_login": "login",
    "account_reset_password": "reset_password",
    "account_reset_password_from_key": "reset_password_from_key",
    "account_change_password": "change_password",
    "account_set_password": "change_password",
    "account_email": "manage_email",
    "account_reauthenticate": "reauthenticate",
}


def invitation_allowed(request):
    """Count one invitation sent by this person from this address; False once over the limit."""
    return bool(
        allauth_ratelimit.consume(request, app="peerplan", action="invite", config=settings.PEERPLAN_RATE_LIMITS)
    )


def _wait_seconds(request, *, app, action, config=None):
    """Seconds until each used-up limit of `action` lets one more through (0 when none is used up)."""
    now, wait = time.time(), 0.0
    for rate in allauth_ratelimit.get_rates(app=app, action=action, config=config):
        if rate.per == "user" and not request.user.is_authenticated:
            continue
        key = None
        if rate.per == "key":
            key = (request.POST.get("email") or "").strip().lower()
            if not key:
                continue
        cache_key = allauth_ratelimit.get_cache_key(request, app=app, action=action, rate=rate, key=key)
        history = [hit for hit in cache.get(cache_key, []) if hit > now - rate.duration]
        if len(history) >= rate.amount:
            # Newest first: the limit frees a place when the amount-th newest hit leaves the window.
            wait = max(wait, history[rate.amount - 1] + rate.duration - now)
    return wait


def _longest_window(app, action, config=None):
    return max(
        (rate.duration for rate in allauth_ratelimit.get_rates(app=app, action=action, config=config)), default=60
    )


def too_many(request, *, app="allauth.account", action=None, config=None):
    """The "try again in N minutes" page, 429 Too Many Requests with Retry-After."""
    if action is None:
        match = getattr(request, "resolver_match", None)
        action = ALLAUTH_ACTIONS.get(match.url_name if match else "", "")
    seconds = 0.0
    if action:
        seconds = _wait_seconds(request, app=app, action=action, config=config)
        if not seconds:  # lost the cache lock, or a limit not read back here: the whole window, to be safe
            seconds = _longest_window(app, action, config)
    minutes = max(1, math.ceil((seconds or 60) / 60))
    response = render(
        request,
        "429.html",
        {"wait": "1 minute" if minutes == 1 else f"{minutes} minutes"},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def handler429(request, exception=None):
    """allauth answers its limits through the root URLconf's handler429 (peerplan/urls.py)."""
    return too_many(request)


def rate_limits_need_a_shared_cache(app_configs, **kwargs):
    """A system check (registered in apps.py). Rate limits and allauth's other counters live in the default
    cache: in per-process memory each gunicorn worker would count on its own, multiplying every limit by the
    number of workers and hosts (and the dummy cache counts nothing). Allowed only with DEBUG on."""
    backend = settings.CACHES["default"]["BACKEND"]
    if not settings.DEBUG and backend.endswith((".LocMemCache", ".DummyCache")):
        return [
            checks.Error(
                f"The default cache is {backend}: rate limits would be counted per process, or not at all.",
                hint="Use the database cache (the default in peerplan/settings.py) or Redis.",
                id="peerplan.E001",
            )
        ]
    return []
