"""Accounts: sign up with name, email and a password; sign in by email (Django's auth views do the rest)."""

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from peerplan.forms import EmailAuthenticationForm, SignUpForm


def _safe_next(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def signup(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or "peerplan:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your account is ready. Welcome to PeerPlan.")
        return redirect(_safe_next(request) or "peerplan:home")
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)})


sign_in = LoginView.as_view(authentication_form=EmailAuthenticationForm)


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
