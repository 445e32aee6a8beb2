"""Tokens and requests for the API tests. Not a test module."""

import json

from peerplan.api.models import Access
from peerplan.api.tokens import create_token


def token_for(user, organisation, access=Access.WRITE, **kwargs):
    """A token's secret, made the way the tokens page makes it."""
    return create_token(user=user, organisation=organisation, name=f"{user.username} script", access=access, **kwargs)[
        1
    ]


def call(client, method, url, secret=None, body=None, **headers):
    if secret is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    if body is not None:
        return getattr(client, method.lower())(url, data=json.dumps(body), content_type="application/json", **headers)
    return getattr(client, method.lower())(url, **headers)
