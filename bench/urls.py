"""The benchmark's URL map: every URL of PeerPlan, plus the floor it measures each page against."""

from django.urls import include, path

from bench.views import floor

urlpatterns = [
    path("bench/floor", floor, name="bench_floor"),
    path("", include("peerplan.urls")),
]
