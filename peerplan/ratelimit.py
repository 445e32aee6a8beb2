"""Rate limits for what anyone can make PeerPlan do to someone else's inbox or account: sign-up,
password reset and sending invitations. Counted per client address and per account or email address,
in Django's cache (the shared database cache), so every gunicorn worker on every host counts together.

Fixed windows: at most LIMIT attempts per key in each WINDOW; the answer says when the window ends."""

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render


@dataclass(frozen=True)
class Limit:
    attempts: int
    seconds: int


def client_address(request):
    """The client's address as the sign-in lock-out (django-axes) counts it: behind TRUSTED_PROXY_COUNT
    proxies, the address the nearest trusted one appended to X-Forwarded-For (see settings)."""
    return settings.AXES_CLIENT_IP_CALLABLE(request) or "unknown"


def _key(scope, kind, value, window):
    digest = hashlib.sha256(str(value).strip().lower().encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{kind}:{digest}:{window}"


def wait_seconds(scope, limit, **identities):
    """Count one attempt against each identity (e.g. address=..., email=...); the seconds to wait if any
    of them is over the limit, else 0. An empty identity is not counted."""
    now = time.time()
    window = int(now // limit.seconds)
    over = False
    for kind, value in identities.items():
        if not value:
            continue
        key = _key(scope, kind, value, window)
        cache.add(key, 0, timeout=limit.seconds + 60)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this is the window's first attempt
            cache.set(key, 1, timeout=limit.seconds + 60)
            count = 1
        over = over or count > limit.attempts
    return math.ceil((window + 1) * limit.seconds - now) if over else 0


def too_many(request, seconds):
    """The "try again in N minutes" page, 429 Too Many Requests."""
    minutes = max(1, math.ceil(seconds / 60))
    response = render(
        request,
        "rate_limited.html",
        {"wait": "1 minute" if minutes == 1 else f"{minutes} minutes"},
        status=429,
    )
    response["Retry-After"] = str(int(seconds))
    return response
