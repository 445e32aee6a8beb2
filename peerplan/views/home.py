"""The landing page and the health check."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
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
