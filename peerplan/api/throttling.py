"""Rate limits: per token for token requests, per client address for the public endpoints. Counted in
Django's shared cache (the database cache), so every worker and host counts the same requests; over the
limit is a 429 with Retry-After."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from peerplan.api.models import AccessToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, AccessToken):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return None


class AddressRateThrottle(SimpleRateThrottle):
    scope = "address"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, AccessToken):
            return None
        # The same client address as the sign-in limit: the nearest trusted proxy's X-Forwarded-For entry.
        return self.cache_format % {"scope": self.scope, "ident": settings.AXES_CLIENT_IP_CALLABLE(request)}
