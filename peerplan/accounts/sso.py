"""Single sign-on with OpenID Connect: allauth's provider with a nonce, and what a first sign-in does
(SIGNUP_MODE, joining an organisation by email domain)."""

import secrets
from urllib.parse import urlsplit

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider as AllauthOpenIDConnectProvider,
)
from django.db import transaction

from peerplan.accounts.signup import email_domain, pending_invitation, signup_problem
from peerplan.models import Membership, SignOnDomain


class OpenIDConnectProvider(AllauthOpenIDConnectProvider):
    """allauth's OpenID Connect provider, plus the nonce the specification recommends: a fresh random
    value sent with each sign-in, kept in that sign-in's state, and required back in the ID token, so an
    ID token issued for another sign-in (a replayed or swapped code) is refused."""

    # allauth finds the provider's URLs through its package; they are the stock OpenID Connect ones.
    package = "allauth.socialaccount.providers.openid_connect"

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        auth_params = dict(self.get_auth_params() if auth_params is None else auth_params)
        auth_params["nonce"] = nonce
        return super().redirect(request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs)


def verified_emails(sociallogin):
    return [address.email.lower() for address in sociallogin.email_addresses if address.verified]


def join_by_domain(*, user, emails):
    """A new single sign-on person joins the organisations whose sign-on domain matches one of their
    verified emails, with the role set for that domain. Returns the new memberships."""
    domains = {email_domain(email) for email in emails}
    joined = []
    with transaction.atomic():
        for rule in SignOnDomain.objects.filter(
            domain__in=domains, organisation__deleted_at__isnull=True
        ).select_related("organisation"):
            membership, created = Membership.objects.get_or_create(
                organisation=rule.organisation, user=user, defaults={"role": rule.role}
            )
            if created:
                joined.append(membership)
    return joined


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin):
        # account.provider is the provider_id of the app ("sso", "entra", ...); the class says OpenID Connect.
        if isinstance(sociallogin.provider, AllauthOpenIDConnectProvider):
            expected = (sociallogin.state or {}).get("nonce")
            id_token = (sociallogin.account.extra_data or {}).get("id_token") or {}
            if not expected or not secrets.compare_digest(str(id_token.get("nonce", "")), expected):
                raise ImmediateHttpResponse(
                    render_authentication_error(
                        request,
                        sociallogin.provider,
                        exception=PermissionError("The sign-in answer was not for this sign-in (nonce mismatch)."),
                    )
                )
        super().pre_social_login(request, sociallogin)

    def is_open_for_signup(self, request, sociallogin):
        emails = verified_emails(sociallogin)
        if SignOnDomain.objects.filter(domain__in={email_domain(email) for email in emails}).exists():
            return True
        email = emails[0] if emails else (sociallogin.user.email or "")
        return signup_problem(email, pending_invitation(request)) is None

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        # PeerPlan keeps a person's whole name in first_name, as its sign-up form does.
        if data.get("name"):
            user.first_name, user.last_name = data["name"][:150], ""
        return user

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form=form)
        join_by_domain(user=user, emails=verified_emails(sociallogin))
        return user


def provider_origins(request):
    """The origins of the configured OpenID Connect providers (scheme, host and port of their server URL,
    where Entra ID, Google, Okta and Keycloak also serve their sign-in page)."""
    origins = []
    for app in DefaultSocialAccountAdapter(request).list_apps(request, provider="openid_connect"):
        parts = urlsplit((app.settings or {}).get("server_url", ""))
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


class SingleSignOnFormActionMiddleware:
    """ "Sign in with ..." is a form (a POST, as allauth advises) whose answer redirects to the provider, and
    browsers hold that redirect to the page's CSP form-action. So the account pages, and only they, also
    allow posting towards the configured providers. Listed after django-csp's middleware, so it runs first
    on the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/accounts/") and response.get("Content-Type", "").startswith("text/html"):
            origins = provider_origins(request)
            if origins:
                response._csp_update = {"form-action": origins}
        return response
