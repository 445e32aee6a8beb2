"""Django's own floor for the benchmark: the cheapest page there is, through the full middleware stack.

bench/run.py compares every page's throughput with this one, measured in the same run on the same
server. It shows no data, but it is off (404) unless BENCH_FLOOR=true, so production serves nothing
that has no purpose there.
"""

from django.conf import settings
from django.http import Http404, HttpResponse


def floor(request):
    if not settings.BENCH_FLOOR:
        raise Http404("The benchmark floor is off (BENCH_FLOOR=false).")
    return HttpResponse("ok", content_type="text/plain")
