"""`Authorization: Bearer pp_…`: a personal access token identifies its person, with the token itself as
`request.auth` so every loader can narrow to the token's organisation and access."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from peerplan.api.models import AccessToken

INVALID = "This token is not valid: it is unknown, revoked or expired. Make a new one on your API tokens page."


class TokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # no token: public endpoints answer, the others say 401
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID) from None
        token = AccessToken.objects.find(raw)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(INVALID)
        token.touch()
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when a token is missing or refused.
        return 'Bearer realm="api"'


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "PersonalAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token made on your API tokens page (starts with pp_).",
        }
