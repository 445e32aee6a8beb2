"""/metrics, in Prometheus's text format, for the addresses the operator lists (METRICS_ALLOWED_ADDRESSES)."""

import ipaddress

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from peerplan.pages import metrics as metrics_page


def _address(text):
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # gunicorn bound to [::] sees an IPv4 client as ::ffff:a.b.c.d.
    return address.ipv4_mapped if address.version == 6 and address.ipv4_mapped else address


def from_a_listed_address(request):
    """The peer (REMOTE_ADDR) and every address a proxy says the request passed through (X-Forwarded-For,
    X-Real-IP) must all be listed. So a request from outside through a proxy on this host (whose own
    address, loopback, is listed) is refused, as is one that forges a listed address in X-Forwarded-For
    (its peer, or the address the proxy appends, is not listed)."""
    networks = [ipaddress.ip_network(network, strict=False) for network in settings.METRICS_ALLOWED_ADDRESSES]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") + [request.META.get("HTTP_X_REAL_IP", "")]
    claimed = [request.META.get("REMOTE_ADDR", "")] + [part for part in forwarded if part.strip()]
    addresses = [_address(text) for text in claimed]
    return all(address is not None and any(address in network for network in networks) for address in addresses)


@require_safe
@never_cache
def metrics(request):
    """Any other address gets the 404 of an address that does not exist: it must not learn it is here."""
    if not from_a_listed_address(request):
        raise Http404
    return HttpResponse(generate_latest(metrics_page.registry()), content_type=CONTENT_TYPE_LATEST)
