"""Accounts on django-allauth: who may sign up (SIGNUP_MODE), email as the sign-in, the lock-out's key and
its pauses as the members page sees them, and two-factor rules (REQUIRE_2FA for the site, an organisation's
own rule for its members)."""

from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.utils import is_mfa_enabled
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from peerplan.models import Invitation, Membership

PENDING_INVITATION = "peerplan_pending_invitation"


# Sign-up --------------------------------------------------------------------------------------------


def remember_invitation(request, invitation):
    """A person not signed in opened an invitation link: sign-up may use it (invitation-only mode) and
    the address it was sent to counts as verified."""
    request.session[PENDING_INVITATION] = invitation.token


def pending_invitation(request):
    token = request.session.get(PENDING_INVITATION) if request is not None else None
    if not token:
        return None
    invitation = Invitation.objects.pending().filter(token=token).select_related("organisation").first()
    # One whose sender may no longer grant it opens no door (invitation-only sign-up) either.
    return invitation if invitation is not None and invitation.problem() is None else None


def email_domain(email):
    return email.rpartition("@")[2].strip().lower()


def signup_problem(email, invitation):
    """Why SIGNUP_MODE refuses an account for this email (None when it may sign up). An invitation for
    exactly this email is always enough."""
    email = (email or "").strip().lower()
    if invitation is not None and invitation.email.lower() == email:
        return None
    if settings.SIGNUP_MODE == "open":
        return None
    if settings.SIGNUP_MODE == "domains" and email_domain(email) in settings.SIGNUP_ALLOWED_DOMAINS:
        return None
    if invitation is not None:
        return f"This invitation is for {invitation.email}. Create the account with that email."
    if settings.SIGNUP_MODE == "domains":
        listed = ", ".join(settings.SIGNUP_ALLOWED_DOMAINS)
        return f"Accounts here are for email addresses at {listed}. Ask your organisation for an invitation."
    return "Accounts here are made through an invitation. Ask your organisation's owner or manager for one."


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": "That email and password do not match an account. Check both and try again.",
        "account_inactive": "This account is switched off. Ask the site administrator.",
        "rate_limited": "Too many requests from here in a short time. Wait a minute and try again.",
    }

    def is_open_for_signup(self, request):
        if settings.SIGNUP_MODE == "invitation":
            return pending_invitation(request) is not None
        return True

    def is_email_verified(self, request, email):
        # PeerPlan emailed the invitation link to this address, so whoever holds it reads that inbox.
        invitation = pending_invitation(request)
        if invitation is not None and invitation.email.lower() == (email or "").lower():
            return True
        return super().is_email_verified(request, email)

    def get_client_ip(self, request):
        """The client's address as the sign-in lock-out counts it (settings.axes_client_ip: behind
        TRUSTED_PROXY_COUNT proxies, the one the nearest trusted proxy appended), so allauth's rate limits
        (sign-up, password reset, invitations) count each person behind the proxy apart, and a client
        cannot escape them by sending its own X-Forwarded-For."""
        return settings.AXES_CLIENT_IP_CALLABLE(request) or super().get_client_ip(request)

    def populate_username(self, request, user):
        """An account is named by its email, as before allauth (admins see the same names)."""
        email = (user.email or "").lower()
        if email and not user.username and not get_user_model().objects.filter(username__iexact=email).exists():
            user.username = email
        super().populate_username(request, user)


def axes_username(request, credentials=None):
    """What django-axes counts failures against: the email typed on the sign-in form (allauth's "login"
    field, passed to authenticate() as "email"), or the username on the admin's own form."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if not value:
        data = getattr(request, "POST", {}) if request is not None else {}
        value = data.get("login") or data.get("username") or ""
    return str(value).strip().lower()


# Lock-out pauses -------------------------------------------------------------------------------------


def _sign_in_names(user):
    """The names django-axes counts a person's failed sign-ins under: the account's username (what an
    email address typed at sign-in resolves to) and the email itself, lower-cased."""
    return {user.username, user.username.lower(), (user.email or "").lower()} - {""}


def paused_sign_ins(users):
    """The ids of those people whose sign-in is paused for their account (one query)."""
    names = {name: user.pk for user in users for name in _sign_in_names(user)}
    if not names:
        return set()
    rows = (
        AccessAttempt.objects.filter(
            username__in=list(names), attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
        )
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by()
    )
    return {names[row["username"]] for row in rows}


def unlock_sign_in(*, membership):
    """Clear the failed sign-ins counted against a member's account, so they can sign in again at once.
    A pause of an address (many failures from one place) is left to the site administrator."""
    return sum(reset(username=name) for name in _sign_in_names(membership.user))


# Two-factor -----------------------------------------------------------------------------------------


class TwoFactorRequired(PermissionDenied):
    """Raised by the organisation loaders when the organisation requires two-factor and the person has
    not set it up. On pages the middleware below turns it into the way to set it up; the API, which has
    no page to lead to, answers it as the 403 it is."""

    def __init__(self, organisation):
        super().__init__(
            f"{organisation.name} requires two-factor sign-in of its members. Set it up on your account page first."
        )
        self.organisation = organisation


def has_two_factor(user):
    return is_mfa_enabled(user)


def two_factor_required_for(user):
    """Must this person keep two-factor on? The site's REQUIRE_2FA, or any organisation of theirs."""
    if settings.REQUIRE_2FA:
        return True
    return Membership.objects.filter(user=user, organisation__require_two_factor=True).exists()


def set_two_factor_requirement(*, organisation, required, by):
    """An owner requires (or stops requiring) two-factor for every member. Turning it on needs the owner's
    own two-factor first, so they are not the first person it shuts out. Returns an error message or None."""
    if required and not has_two_factor(by):
        return "Set up two-factor sign-in for yourself first (on your account page), then require it for everyone."
    organisation.require_two_factor = required
    organisation.save(update_fields=["require_two_factor"])
    return None


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": "Two-factor sign-in stays on: your organisation or this site requires it.",
        "incorrect_code": "That code is not right. Check your authenticator app and type the code it shows now.",
    }

    def can_delete_authenticator(self, authenticator):
        # Turning the authenticator app off would leave someone who must use two-factor without it.
        return not two_factor_required_for(authenticator.user)


# Pages a person without two-factor may still open when it is required: set-up itself, signing out, the
# account pages, the public evidence and the landing page.
OPEN_WITHOUT_TWO_FACTOR = ("/accounts/", "/static/", "/evidence/", "/healthz")


def _to_two_factor_setup(request, message):
    messages.warning(request, message)
    # Set-up ends on the recovery codes page, which offers the way back here.
    request.session["peerplan_after_two_factor"] = request.get_full_path()
    return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.get_full_path()})}")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.REQUIRE_2FA
            and request.user.is_authenticated
            and request.path != "/"
            and not request.path.startswith(OPEN_WITHOUT_TWO_FACTOR)
            and not has_two_factor(request.user)
        ):
            return _to_two_factor_setup(
                request, "This PeerPlan site asks everyone to set up two-factor sign-in. Set it up to go on."
            )
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, TwoFactorRequired):
            return _to_two_factor_setup(
                request,
                f"{exception.organisation.name} asks its members to set up two-factor sign-in "
                "before seeing its plans. Set it up to go on.",
            )
        return None
