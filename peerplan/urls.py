"""Every URL of PeerPlan: the public pages, accounts, and the planning pages under /orgs/."""

from django.contrib import admin
from django.urls import include, path

from peerplan.views import home as home_views
from peerplan.views import pending as pending_views
from peerplan.views import reports as report_views
from peerplan.views import tracking as tracking_views

app_name_planning = "peerplan"

planning_patterns = [
    path("", home_views.dashboard_home, name="home"),
    # Tracking: what is late, what is stuck, are we covered.
    path("orgs/<slug:slug>/dashboard/", tracking_views.dashboard, name="dashboard"),
    path("orgs/<slug:slug>/actions/", tracking_views.actions, name="actions"),
    path("my-actions/", tracking_views.my_actions, name="my_actions"),
    path("checklists/<int:pk>/history/", tracking_views.checklist_history, name="checklist_history"),
    path("mitigations/<int:pk>/history/", tracking_views.mitigation_history, name="mitigation_history"),
    path(
        "mitigations/<int:pk>/restore/<int:history_id>/",
        tracking_views.mitigation_restore,
        name="mitigation_restore",
    ),
    path("checklists/<int:pk>/export.csv", report_views.checklist_export_csv, name="checklist_export_csv"),
    path("checklists/<int:pk>/export.xlsx", report_views.checklist_export_xlsx, name="checklist_export_xlsx"),
    path("checklists/<int:pk>/report/", report_views.checklist_report, name="checklist_report"),
    # --- pending: provided by the planning branch ---
    path("orgs/<slug:slug>/", pending_views.pending, name="organisation"),
    path("checklists/<int:pk>/", pending_views.pending, name="checklist"),
    path("items/<int:pk>/", pending_views.pending, name="item"),
    path("mitigations/<int:pk>/edit/", pending_views.pending, name="mitigation_edit"),
    # --- end pending ---
]

urlpatterns = [
    path("", home_views.landing, name="home"),
    path("healthz", home_views.healthz, name="healthz"),
    path("evidence/", include("evidence.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("app/", include((planning_patterns, "peerplan"))),
]
