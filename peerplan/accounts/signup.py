"""Who may sign up, and the invitation a person arrived with."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model

from peerplan.lib.links import site_link
from peerplan.models import Invitation

PENDING_INVITATION = "peerplan_pending_invitation"


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


def confirm_new_site_administrator(user):
    """A site administrator signing in for the first time whose address PeerPlan has never recorded (made on the
    server with `manage.py createsuperuser`, or made one in the admin before ever signing in) has it confirmed:
    whoever gave them the whole site typed that address, and emailing them a link before they can reach it would
    add a step and no safety. Anyone else confirms their address as before."""
    if not (user.is_superuser and user.last_login is None and user.email):
        return
    if EmailAddress.objects.filter(user=user).exists():
        return
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


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

    def pre_login(self, request, user, **kwargs):
        confirm_new_site_administrator(user)
        return super().pre_login(request, user, **kwargs)

    def get_email_verification_redirect_url(self, email_address):
        """Confirmed in another browser (or over ACCOUNT_LOGIN_TIMEOUT after signing up), the person is not
        signed in, and by design: whoever holds the link would be. The sign-in form says what to do."""
        if not self.request.user.is_authenticated:
            messages.info(self.request, f"Sign in with {email_address.email} and your password to start.")
        return super().get_email_verification_redirect_url(email_address)

    def send_mail(self, template_prefix, email, context):
        """allauth's emails with their links at SITE_URL, like every other email (lib/links.py): allauth
        builds them from the request's host, which behind a proxy may not be the address people use."""
        for name in ("activate_url", "password_reset_url", "signup_url"):
            if context.get(name):
                context[name] = site_link(context[name])
        super().send_mail(template_prefix, email, context)

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
