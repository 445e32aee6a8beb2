"""The account page (what allauth's pages manage, in one place), single sign-on's first step, and the
lock-out page."""

import json
from urllib.parse import urlencode

from allauth.account.decorators import reauthentication_required
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.openid_connect.views import login as oidc_login
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe
from requests import RequestException

from peerplan.access import own_account
from peerplan.accounts.two_factor import two_factor_required_for
from peerplan.forms.accounts import DeleteAccountForm
from peerplan.lib.errors import Refused
from peerplan.operations import accounts
from peerplan.pages.account_data import person_data


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


@login_required
@require_safe
def account_data(request):
    """Everything PeerPlan holds about the person, as one JSON file (format `peerplan-person/1`)."""
    user = own_account(request)
    now = timezone.now()
    document = person_data(user) | {"exported": now.isoformat()}
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="peerplan-my-data-{now:%Y-%m-%d}.json"'
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@reauthentication_required
def account_delete(request):
    """Deleting one's account: what goes and what stays, refused while an organisation or a network would be
    left without an owner or a coordinator. allauth's re-authentication (password, or two-factor) comes
    first; then the person types their email address."""
    user = own_account(request)
    form = DeleteAccountForm(request.POST or None)
    refusals = accounts.refusals(user)
    if request.method == "POST" and not refusals and form.is_valid():
        try:
            accounts.delete_account(user=user, confirm_email=form.cleaned_data["email"])
        except Refused as error:
            form.add_error("email", str(error))
        else:
            logout(request)
            messages.success(request, "Your account is deleted. Everything PeerPlan held about you is gone.")
            return redirect("home")
    return render(
        request,
        "account/delete.html",
        {
            "form": form,
            "refusals": [
                (reason, todo, reverse(link[0], args=link[1:]) if link else None) for reason, todo, link in refusals
            ],
            "removed": accounts.REMOVED,
            "kept": accounts.KEPT,
        },
        status=400 if request.method == "POST" else 200,
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
