"""What PeerPlan does once for every page, so no view can forget it: private caching headers, and a
refused operation answered as a page."""

from django.shortcuts import render
from django.utils.cache import patch_cache_control

from peerplan.api.errors import is_api
from peerplan.lib.errors import NoLongerMember, Refused


class PrivatePages:
    """`Cache-Control: private, no-store` on every planning page (the `peerplan` namespace: organisation
    data, CSV, Excel and the printable report, whatever their status) and on every answer to a signed-in
    person: neither a shared computer's browser nor a proxy may keep a copy of an organisation's plans."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if (match is not None and "peerplan" in match.namespaces) or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response


class Refusals:
    """A refused operation (peerplan.lib.errors) that its view did not show where the person works: a page
    that says why, at the refusal's status (400, 403 or 409), with nothing changed. The API answers its
    own refusals in JSON (peerplan.api.errors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Refused) or is_api(request):
            return None
        if isinstance(exception, NoLongerMember):
            context = {"organisation_name": exception.organisation_name, "problem": exception}
            return render(request, "peerplan/no_longer_member.html", context, status=exception.status)
        return render(request, "peerplan/refused.html", {"problem": exception}, status=exception.status)
