from rest_framework.permissions import BasePermission

from peerplan.api.models import AccessToken


class HasToken(BasePermission):
    """Organisation data needs a personal access token (a signed-in browser session does not reach the API:
    the API has no CSRF to check, and a token is scoped to one organisation where a session is not)."""

    def has_permission(self, request, view):
        return isinstance(request.auth, AccessToken)
