"""Accounts: sign up with name, email and a password; sign in by email (Django's auth views do the rest)."""

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
