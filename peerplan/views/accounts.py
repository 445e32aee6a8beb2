"""Accounts: sign up with name, email and a password, confirmed from the email; sign in by email
(Django's auth views do the rest).

Sign-up answers the same whether or not the address already has an account ("check your email"), so
nobody can use it to find out who has one: a new address gets a link that confirms it and signs in, an
address with an account gets an email saying so, with where to sign in or reset the password."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.mail import send_mail
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlencode, urlsafe_base64_decode, urlsafe_base64_encode

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
        _sign_up(form, next_url=_safe_next(request))
        return redirect("signup_sent")
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)})


def _sign_up(form, next_url):
    email = form.cleaned_data["email"]
    users = get_user_model().objects
    existing = users.filter(Q(email__iexact=email) | Q(username__iexact=email)).order_by("pk").first()
    if existing is not None and (existing.is_active or existing.last_login):
        context = {"user": existing, "site_url": settings.SITE_URL}
        send_mail(
            subject="You already have a PeerPlan account",
            message=render_to_string("registration/signup_exists_email.txt", context),
            from_email=None,
            recipient_list=[existing.email or email],
        )
        return
    if existing is None:
        user = form.save(is_active=False)
    else:  # signed up before and never confirmed: this sign-up's name and password replace those
        user = existing
        user.first_name = form.cleaned_data["name"].strip()
        user.set_password(form.cleaned_data["password1"])
        user.save()
    link = reverse(
        "signup_confirm", args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)]
    )
    if next_url:
        link += "?" + urlencode({"next": next_url})
    send_mail(
        subject="Confirm your email to finish creating your PeerPlan account",
        message=render_to_string(
            "registration/signup_confirm_email.txt", {"user": user, "link": settings.SITE_URL + link}
        ),
        from_email=None,
        recipient_list=[user.email],
    )


def signup_sent(request):
    return render(request, "registration/signup_sent.html")


def signup_confirm(request, uidb64, token):
    """The link from the confirmation email: a button (mail scanners open links; only a person presses
    it) that switches the account on and signs the person in."""
    try:
        user = get_user_model().objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "registration/signup_confirm.html", {"invalid": True}, status=410)
    if request.method == "POST":
        user.is_active = True
        user.save(update_fields=["is_active"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your account is ready. Welcome to PeerPlan.")
        return redirect(_safe_next(request) or "peerplan:home")
    if request.method not in ("GET", "HEAD"):
        raise Http404
    return render(request, "registration/signup_confirm.html", {"email": user.email, "next": _safe_next(request)})


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
