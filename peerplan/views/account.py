"""The account page (what allauth's pages manage, in one place), single sign-on's first step, and the
lock-out page."""

from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.openid_connect.views import login as oidc_login
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe
from requests import RequestException

from peerplan.accounts.two_factor import two_factor_required_for


@login_required
@require_safe
def account(request):
    user = request.user
    authenticators = {a.type: a for a in Authenticator.objects.filter(user=user)}
    recovery = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    apps = get_social_adapter(request).list_apps(request)
    names = {app.provider_id or app.provider: app.name for app in apps}
    # Named from the configured apps in one read (a provider removed since still shows by its id).
    connections = [
        (names.get(connection.provider, connection.provider), _signed_in_as(connection.extra_data))
        for connection in SocialAccount.objects.filter(user=user).order_by("pk")
    ]
    return render(
        request,
        "account/account.html",
        {
            "emails": EmailAddress.objects.filter(user=user).order_by("-primary", "email"),
            "totp": authenticators.get(Authenticator.Type.TOTP),
            "recovery_codes_left": len(recovery.wrap().get_unused_codes()) if recovery else None,
            "two_factor_required": two_factor_required_for(user),
            "connections": connections,
            "has_sso": bool(apps),
        },
    )


def _signed_in_as(extra_data):
    data = (extra_data or {}).get("userinfo") or (extra_data or {}).get("id_token") or extra_data or {}
    return data.get("email") or data.get("preferred_username") or data.get("sub") or ""


def sso_login(request, provider_id):
    """allauth's OpenID Connect first step, with a plain answer when the provider cannot be reached (its
    discovery document is fetched here): back to the sign-in page, where email and password still work."""
    try:
        return oidc_login(request, provider_id)
    except RequestException:
        apps = get_social_adapter(request).list_apps(request)
        name = next((app.name for app in apps if app.provider_id == provider_id), "the sign-in service")
        messages.error(
            request,
            f"We could not reach {name} to sign you in just now. Try again in a few minutes, "
            "or sign in with your email and password.",
        )
        target = reverse("account_login")
        next_url = request.POST.get("next") or request.GET.get("next")
        return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lock-out answer (AXES_LOCKOUT_CALLABLE): the plain-language page, saying how long the
    pause lasts in words ("15 minutes") rather than ISO 8601 ("PT15M"). 429 Too Many Requests."""
    cool_off = get_cool_off(request)
    minutes = round(cool_off.total_seconds() / 60) if cool_off else 0
    if minutes >= 120 and minutes % 60 == 0:
        wait = f"{minutes // 60} hours"
    elif minutes:
        wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    else:
        wait = ""
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_time": wait},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
