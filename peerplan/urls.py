"""Every URL of PeerPlan: the public pages, accounts, and the planning pages under /orgs/."""

from django.contrib import admin
from django.urls import include, path

from peerplan.views import floor as floor_views
from peerplan.views import home as home_views

app_name_planning = "peerplan"

planning_patterns = [
    path("", home_views.dashboard_home, name="home"),
]

urlpatterns = [
    path("", home_views.landing, name="home"),
    path("healthz", home_views.healthz, name="healthz"),
    path("bench/floor", floor_views.floor, name="bench_floor"),
    path("evidence/", include("evidence.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("app/", include((planning_patterns, "peerplan"))),
]
