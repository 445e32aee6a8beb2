"""The benchmark's URL map: every URL of PeerPlan, plus the floors it measures each page against."""

from django.urls import include, path

from bench.views import floor, signed_in_floor

urlpatterns = [
    path("bench/floor", floor, name="bench_floor"),
    path("bench/signed-in-floor/<slug:slug>/", signed_in_floor, name="bench_signed_in_floor"),
    path("", include("peerplan.urls")),
]
