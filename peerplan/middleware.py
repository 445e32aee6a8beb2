"""Response headers PeerPlan adds once for every page, so no view can forget them."""

from django.utils.cache import patch_cache_control


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
