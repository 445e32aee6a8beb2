"""Django's own floor for the benchmark: the cheapest page there is, through the full middleware stack.

bench/run.py compares every page's throughput with this one, measured in the same run on the same server.
It is reachable only through bench/urls.py, which only bench/settings.py uses.
"""

from django.http import HttpResponse


def floor(request):
    return HttpResponse("ok", content_type="text/plain")
