"""Every URL of PeerPlan: the public pages, accounts, and the planning pages under /app/."""

from django.contrib import admin
from django.urls import include, path

from peerplan.views import accounts
from peerplan.views import checklists as checklist_views
from peerplan.views import floor as floor_views
from peerplan.views import home as home_views
from peerplan.views import organisations as organisation_views
from peerplan.views import reports as report_views
from peerplan.views import tracking as tracking_views

planning_patterns = [
    path("", organisation_views.home, name="home"),
    # Organisations, members and invitations
    path("orgs/new/", organisation_views.organisation_create, name="organisation_create"),
    path("orgs/<slug:slug>/", organisation_views.organisation, name="organisation"),
    path("orgs/<slug:slug>/members/", organisation_views.members, name="members"),
    path("orgs/<slug:slug>/members/invite/", organisation_views.member_invite, name="member_invite"),
    path("orgs/<slug:slug>/members/<int:pk>/role/", organisation_views.member_role, name="member_role"),
    path("orgs/<slug:slug>/members/<int:pk>/remove/", organisation_views.member_remove, name="member_remove"),
    path("orgs/<slug:slug>/members/<int:pk>/unlock/", organisation_views.member_unlock, name="member_unlock"),
    path(
        "orgs/<slug:slug>/invitations/<int:pk>/revoke/",
        organisation_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", organisation_views.invitation_accept, name="invitation_accept"),
    # Checklists
    path("orgs/<slug:slug>/checklists/new/", checklist_views.checklist_create, name="checklist_create"),
    path("checklists/<int:pk>/", checklist_views.checklist, name="checklist"),
    path("checklists/<int:pk>/edit/", checklist_views.checklist_edit, name="checklist_edit"),
    path("checklists/<int:pk>/archive/", checklist_views.checklist_archive, name="checklist_archive"),
    path("checklists/<int:pk>/unarchive/", checklist_views.checklist_unarchive, name="checklist_unarchive"),
    path("checklists/<int:pk>/delete/", checklist_views.checklist_delete, name="checklist_delete"),
    path("checklists/<int:pk>/phases/", checklist_views.checklist_phases, name="checklist_phases"),
    path("checklists/<int:pk>/adopt/<int:suggestion_pk>/", checklist_views.checklist_adopt, name="checklist_adopt"),
    # Items and mitigations
    path("items/<int:pk>/", checklist_views.item, name="item"),
    path("items/<int:pk>/outcome/", checklist_views.item_outcome, name="item_outcome"),
    path("items/<int:pk>/reviewed/", checklist_views.item_reviewed, name="item_reviewed"),
    path("items/<int:pk>/mitigations/new/", checklist_views.mitigation_create, name="mitigation_create"),
    path("items/<int:pk>/adopt/<int:suggestion_pk>/", checklist_views.suggestion_adopt, name="suggestion_adopt"),
    path("mitigations/<int:pk>/edit/", checklist_views.mitigation_edit, name="mitigation_edit"),
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
]

urlpatterns = [
    path("", home_views.landing, name="home"),
    path("healthz", home_views.healthz, name="healthz"),
    path("bench/floor", floor_views.floor, name="bench_floor"),
    path("evidence/", include("evidence.urls")),
    # Before Django's auth URLs: sign in by email, and sign up.
    path("accounts/login/", accounts.sign_in, name="login"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/signup/sent/", accounts.signup_sent, name="signup_sent"),
    path("accounts/signup/confirm/<str:uidb64>/<str:token>/", accounts.signup_confirm, name="signup_confirm"),
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("app/", include((planning_patterns, "peerplan"))),
    path("api/", include("peerplan.api.urls")),
    path("app/tokens/", include("peerplan.api.pages")),
]

# A database outage is a 503 page, not a 500 (see the view).
handler500 = "peerplan.views.home.server_error"
