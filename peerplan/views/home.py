"""The landing page, the health check and the server error page."""

import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache

from peerplan.api import errors


def landing(request):
    return render(request, "home.html")


@never_cache
def healthz(request):
    """For load balancers: answers quickly, and only 200 when the database answers too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any database failure means this instance should not get traffic
        return JsonResponse({"status": "error", "database": str(error.__class__.__name__)}, status=503)
    return JsonResponse({"status": "ok"})


def server_error(request):
    """handler500. A database that cannot be reached (stopped, restarting, network gone) is not a bug in
    PeerPlan: the person gets a 503 "try again in a minute" page, as /healthz answers 503, and the next
    request reconnects by itself (connection health checks) once the database is back. Rendered without
    the request's context: the context processors would ask the unreachable database who is signed in.
    Under /api/ the same answers are JSON in the API's error shape."""
    if errors.is_api(request):
        return errors.server_error(request, sys.exc_info()[1])
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "60"
        return response
    return defaults.server_error(request)
