"""The landing page, the health check and the server error page."""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache


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


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lock-out answer (AXES_LOCKOUT_CALLABLE): the plain-language page, saying how long the
    pause lasts in words ("15 minutes") rather than ISO 8601 ("PT15M"). 429 Too Many Requests."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = round(cool_off.total_seconds() / 60) if cool_off else 0
    if minutes >= 120 and minutes % 60 == 0:
        wait = f"{minutes // 60} hours"
    elif minutes:
        wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    else:
        wait = ""
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_time": wait},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def server_error(request):
    """handler500. A database that cannot be reached (stopped, restarting, network gone) is not a bug in
    PeerPlan: the person gets a 503 "try again in a minute" page, as /healthz answers 503, and the next
    request reconnects by itself (connection health checks) once the database is back. Rendered without
    the request's context: the context processors would ask the unreachable database who is signed in."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "60"
        return response
    return defaults.server_error(request)
