"""Accounts: sign up with name, email and a password; sign in by email (Django's auth views do the rest)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, PasswordResetView
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from peerplan import ratelimit
from peerplan.forms import EmailAuthenticationForm, SignUpForm


def _safe_next(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def signup(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or "peerplan:home")
    if request.method == "POST" and (
        wait := ratelimit.wait_seconds(
            "signup",
            ratelimit.Limit(settings.RATE_LIMIT_SIGNUPS, 3600),
            address=ratelimit.client_address(request),
            email=request.POST.get("email", ""),
        )
    ):
        return ratelimit.too_many(request, wait)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your account is ready. Welcome to PeerPlan.")
        return redirect(_safe_next(request) or "peerplan:home")
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)})


sign_in = LoginView.as_view(authentication_form=EmailAuthenticationForm)


_password_reset = PasswordResetView.as_view()


def password_reset(request):
    """Django's password reset, limited per client address and per email address it is asked for."""
    if request.method == "POST" and (
        wait := ratelimit.wait_seconds(
            "password_reset",
            ratelimit.Limit(settings.RATE_LIMIT_PASSWORD_RESETS, 3600),
            address=ratelimit.client_address(request),
            email=request.POST.get("email", ""),
        )
    ):
        return ratelimit.too_many(request, wait)
    return _password_reset(request)
