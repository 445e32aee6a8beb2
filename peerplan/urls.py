"""Every URL of PeerPlan: the public pages, accounts, and the planning pages under /app/."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from peerplan.views import account as account_views
from peerplan.views import actions as action_views
from peerplan.views import check_ins as check_in_views
from peerplan.views import checklists as checklist_views
from peerplan.views import collaboration as collaboration_views
from peerplan.views import curation as curation_views
from peerplan.views import evidence as evidence_views
from peerplan.views import home as home_views
from peerplan.views import metrics as metrics_views
from peerplan.views import networks as network_views
from peerplan.views import organisation_exports as export_views
from peerplan.views import organisations as organisation_views
from peerplan.views import reports as report_views
from peerplan.views import review as review_views
from peerplan.views import tokens as token_views
from peerplan.views import tracking as tracking_views

planning_patterns = [
    path("", organisation_views.home, name="home"),
    # The curators' start: sources, releases, edits since the last release, flags in counts (views/curation.py)
    path("curation/", curation_views.curation, name="curation"),
    # Organisations, members and invitations
    path("orgs/new/", organisation_views.organisation_create, name="organisation_create"),
    path("orgs/import/", export_views.organisation_import, name="organisation_import"),
    path("orgs/<slug:slug>/", organisation_views.organisation, name="organisation"),
    path("orgs/<slug:slug>/members/", organisation_views.members, name="members"),
    path("orgs/<slug:slug>/delete/", organisation_views.organisation_delete, name="organisation_delete"),
    # Export and import (views/organisation_exports.py)
    path("orgs/<slug:slug>/export/", export_views.organisation_export, name="organisation_export"),
    path(
        "orgs/<slug:slug>/exports/<int:pk>/",
        export_views.organisation_export_download,
        name="organisation_export_download",
    ),
    path("orgs/<slug:slug>/restore/", organisation_views.organisation_restore, name="organisation_restore"),
    path("orgs/<slug:slug>/two-factor/", organisation_views.organisation_two_factor, name="organisation_two_factor"),
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
    # Networks: coordinators' pages, an organisation's answer and its anonymous sharing (views/networks.py)
    path("networks/<slug:network>/", network_views.network, name="network"),
    path("networks/<slug:network>/invite/", network_views.network_invite, name="network_invite"),
    path("orgs/<slug:slug>/networks/<int:pk>/", network_views.organisation_network, name="organisation_network"),
    path(
        "orgs/<slug:slug>/networks/<int:pk>/check-ins/",
        network_views.organisation_network_check_ins,
        name="organisation_network_check_ins",
    ),
    path(
        "orgs/<slug:slug>/networks/<int:pk>/leave/",
        network_views.organisation_network_leave,
        name="organisation_network_leave",
    ),
    path("orgs/<slug:slug>/sharing/", network_views.organisation_sharing, name="organisation_sharing"),
    # Checklists
    path("orgs/<slug:slug>/checklists/new/", checklist_views.checklist_create, name="checklist_create"),
    path("checklists/<int:pk>/", checklist_views.checklist, name="checklist"),
    path("checklists/<int:pk>/edit/", checklist_views.checklist_edit, name="checklist_edit"),
    path("checklists/<int:pk>/archive/", checklist_views.checklist_archive, name="checklist_archive"),
    path("checklists/<int:pk>/activate/", checklist_views.checklist_activate, name="checklist_activate"),
    path("checklists/<int:pk>/unarchive/", checklist_views.checklist_unarchive, name="checklist_unarchive"),
    path("checklists/<int:pk>/delete/", checklist_views.checklist_delete, name="checklist_delete"),
    path("checklists/<int:pk>/phases/", checklist_views.checklist_phases, name="checklist_phases"),
    path("orgs/<slug:slug>/check-in-statements/", check_in_views.own_statements, name="own_statements"),
    path("checklists/<int:pk>/check-ins/", check_in_views.check_in, name="check_in"),
    path("checklists/<int:pk>/check-ins/set-up/", check_in_views.check_in_set_up, name="check_in_set_up"),
    path("checklists/<int:pk>/adopt/<int:suggestion_pk>/", checklist_views.checklist_adopt, name="checklist_adopt"),
    # Deciding the challenges: the step-through review, its summary, and quick decisions from the list
    path("checklists/<int:pk>/review/", review_views.checklist_review, name="checklist_review"),
    path("checklists/<int:pk>/review/summary/", review_views.checklist_review_summary, name="checklist_review_summary"),
    path("items/<int:pk>/review/", review_views.item_review, name="item_review"),
    path("items/<int:pk>/decide/", review_views.item_decide, name="item_decide"),
    # Items and mitigations
    path("items/<int:pk>/", checklist_views.item, name="item"),
    path("items/<int:pk>/outcome/", checklist_views.item_outcome, name="item_outcome"),
    path("items/<int:pk>/reviewed/", checklist_views.item_reviewed, name="item_reviewed"),
    path("items/<int:pk>/retired/", evidence_views.item_retired, name="item_retired"),
    path("orgs/<slug:slug>/evidence/", evidence_views.own_evidence, name="own_evidence"),
    path("orgs/<slug:slug>/evidence/new/", evidence_views.own_source_create, name="own_source_create"),
    path("orgs/<slug:slug>/evidence/import/", evidence_views.own_source_import, name="own_source_import"),
    path("orgs/<slug:slug>/evidence/<int:pk>/", evidence_views.own_source, name="own_source"),
    path("orgs/<slug:slug>/evidence/<int:pk>/export.json", evidence_views.own_source_export, name="own_source_export"),
    path("checklists/<int:pk>/evidence/add/", evidence_views.checklist_add_evidence, name="checklist_add_evidence"),
    path("items/<int:pk>/mitigations/new/", checklist_views.mitigation_create, name="mitigation_create"),
    path("items/<int:pk>/adopt/<int:suggestion_pk>/", checklist_views.suggestion_adopt, name="suggestion_adopt"),
    path("mitigations/<int:pk>/edit/", checklist_views.mitigation_edit, name="mitigation_edit"),
    path("mitigations/<int:pk>/merge/", action_views.mitigation_merge, name="mitigation_merge"),
    path("mitigations/<int:pk>/quick/", action_views.mitigation_quick, name="mitigation_quick"),
    path("mitigations/<int:pk>/change/", action_views.mitigation_change, name="mitigation_change"),
    # Tracking: what is late, what is stuck, are we covered.
    path("orgs/<slug:slug>/dashboard/", tracking_views.dashboard, name="dashboard"),
    path("orgs/<slug:slug>/actions/", tracking_views.actions, name="actions"),
    path("orgs/<slug:slug>/actions/bulk/", action_views.actions_bulk, name="actions_bulk"),
    path("orgs/<slug:slug>/progress/", tracking_views.organisation_progress, name="organisation_progress"),
    path("orgs/<slug:slug>/coverage/", tracking_views.coverage, name="organisation_coverage"),
    path("checklists/<int:pk>/progress/", tracking_views.checklist_progress, name="checklist_progress"),
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
    path("checklists/<int:pk>/report/page.css", report_views.checklist_report_css, name="checklist_report_css"),
    # Working together: comments, attachments, notifications (peerplan/views/collaboration.py)
    path("items/<int:pk>/comments/", collaboration_views.item_comment, name="item_comment"),
    path("items/<int:pk>/attachments/", collaboration_views.item_attachment_add, name="item_attachment_add"),
    path("mitigations/<int:pk>/", collaboration_views.mitigation_discussion, name="mitigation_discussion"),
    path(
        "mitigations/<int:pk>/attachments/",
        collaboration_views.mitigation_attachment_add,
        name="mitigation_attachment_add",
    ),
    path("comments/<int:pk>/edit/", collaboration_views.comment_edit, name="comment_edit"),
    path("comments/<int:pk>/delete/", collaboration_views.comment_delete, name="comment_delete"),
    path("comments/<int:pk>/hide/", collaboration_views.comment_hide, name="comment_hide"),
    path("attachments/<int:pk>/download/", collaboration_views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", collaboration_views.attachment_delete, name="attachment_delete"),
    path("notifications/", collaboration_views.notification_list, name="notifications"),
    path("notifications/read-all/", collaboration_views.notification_read_all, name="notifications_read_all"),
    path("notifications/settings/", collaboration_views.notification_preferences, name="notification_preferences"),
    path("notifications/<int:pk>/open/", collaboration_views.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", collaboration_views.notification_read, name="notification_read"),
    # A person's own data and account (no id: only ever the signed-in person's; views/account.py)
    path("account/data.json", account_views.account_data, name="account_data"),
    path("account/delete/", account_views.account_delete, name="account_delete"),
]

# The admin signs in through the site's own sign-in, so staff get the same lock-out and two-factor.
admin.site.login = login_required(admin.site.login)

# Personal access tokens for the API: made, listed and revoked by people, so pages like the others.
token_patterns = [
    path("", token_views.tokens, name="list"),
    path("<int:pk>/revoke/", token_views.revoke, name="revoke"),
    path("orgs/<slug:slug>/", token_views.organisation_tokens, name="organisation"),
]

urlpatterns = [
    path("", home_views.landing, name="home"),
    path("healthz", home_views.healthz, name="healthz"),
    # For Prometheus, from the addresses the operator lists only (README "Running it").
    path("metrics", metrics_views.metrics, name="metrics"),
    path("evidence/", include("evidence.urls")),
    # Accounts are django-allauth's (sign-in by email, sign-up, reset, two-factor, single sign-on), in
    # PeerPlan's templates; the account page gathers them.
    path("accounts/", account_views.account, name="account"),
    path("accounts/oidc/<str:provider_id>/login/", account_views.sso_login, name="sso_login"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    # Unsubscribe links in emails work without signing in: the signed token is the credential.
    path("unsubscribe/<str:token>/", collaboration_views.unsubscribe, name="unsubscribe"),
    # A check-in's invitation and its unsubscribe link: no sign-in, the token is the credential (kept out of
    # logs: peerplan/lib/logs.py). What the answers keep and who sees what is on the public page beside them.
    path("check-in/<str:token>/", check_in_views.check_in_answer, name="check_in_answer"),
    path("check-in/<str:token>/stop/", check_in_views.check_in_stop, name="check_in_stop"),
    path("check-ins/about/", check_in_views.check_ins_about, name="check_ins_about"),
    path("app/", include((planning_patterns, "peerplan"))),
    path("api/", include("peerplan.api.urls")),
    path("app/tokens/", include((token_patterns, "tokens"))),
]

# A database outage is a 503 page, not a 500 (see the view). Under /api/ these answer in the API's JSON
# error shape (peerplan/api/errors.py), everywhere else with the site's pages.
handler400 = "peerplan.api.errors.bad_request"
handler403 = "peerplan.api.errors.permission_denied"
handler404 = "peerplan.api.errors.page_not_found"
handler500 = "peerplan.views.home.server_error"
# allauth's rate limits (and PeerPlan's, counted the same way) answer with how long to wait.
handler429 = "peerplan.accounts.ratelimit.handler429"
