"""Django's own floors for the benchmark, through the full middleware stack.

bench/run.py compares every page's throughput with one of these, measured in the same run on the same
server. They are reachable only through bench/urls.py, which only bench/settings.py uses.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from peerplan.access import load_organisation


def floor(request):
    """The plain floor: a fixed response, the yardstick of the public pages."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
@require_safe
def signed_in_floor(request, slug):
    """The signed-in floor, the yardstick of the signed-in pages: what every organisation page does before
    its own work (the session, the person, the organisation and their membership, through the same access
    check) and the base template with its navigation (the person's unread count), and nothing else."""
    organisation, membership = load_organisation(request, slug)
    return render(request, "base.html", {"organisation": organisation, "membership": membership})
