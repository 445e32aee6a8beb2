"""Two-factor sign-in: who must set it up, and the middleware that sends them to do so."""

from urllib.parse import urlencode

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from peerplan.models import Membership


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
    return Membership.objects.live().filter(user=user, organisation__require_two_factor=True).exists()


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
