"""The organisation and members pages."""

from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf

from peerplan.accounts import lockout
from peerplan.lib.kept_parts import kept
from peerplan.lib.prepared import PreparedQuery
from peerplan.lib.row_links import url_parts
from peerplan.models import (
    Checklist,
    ChecklistStatus,
    Coverage,
    Item,
    Membership,
    Network,
    coverage_from_rows,
    coverage_rows,
    networks,
)

# Rows kept per process: one for each checklist of the busiest organisations as it looks now and just before
# a change, a row being about half a kilobyte.
CHECKLIST_ROWS_KEPT = 2048


# The page's queries, compiled once per process (peerplan/lib/prepared.py): built the same way on every request,
# for the organisation alone.
CHECKLISTS = PreparedQuery(
    lambda organisation_id: (
        Checklist.objects.filter(organisation_id=organisation_id)
        .order_by("title", "pk")
        # What a row shows (checklist_row): not the description or the times (a large organisation's 50 checklists'
        # times, parsed from text on SQLite, were a third of the query's cost).
        .only("title", "status", "service", "review_date")
    )
)
COVERAGE = PreparedQuery(
    lambda organisation_id: coverage_rows(Item.objects.filter(checklist__organisation_id=organisation_id))
)
NETWORKS = PreparedQuery(networks.invitations_query)


def organisation_page(organisation):
    """The organisation's checklists with their coverage (each row as HTML), current ones apart from archived
    ones, and its networks (three queries)."""
    checklists = CHECKLISTS(organisation_id=organisation.pk)
    coverage = coverage_from_rows(COVERAGE(organisation_id=organisation.pk), [c.pk for c in checklists])
    rows = [(checklist, checklist_row(checklist, coverage[checklist.pk])) for checklist in checklists]
    return {
        "current": [row for checklist, row in rows if not checklist.is_archived],
        "archived": [row for checklist, row in rows if checklist.is_archived],
        "networks": NETWORKS(organisation_id=organisation.pk),
    }


def checklist_row(checklist, coverage):
    """One checklist's row on the organisation page (HTML), rendered once per process for the values it shows:
    after a write, a large organisation's page redraws only the row whose figures changed, not fifty of them
    (their template nodes were most of that page's time)."""
    head, tail = url_parts(get_urlconf(), get_script_prefix(), "peerplan:checklist", 1)
    return _checklist_row(
        f"{head}{checklist.pk}{tail}",
        checklist.title,
        checklist.status,
        checklist.service,
        checklist.review_date,
        coverage.covered,
        coverage.applicable,
        coverage.done,
    )


@kept(maxsize=CHECKLIST_ROWS_KEPT)
def _checklist_row(url, title, status, service, review_date, covered, applicable, done):
    """One row, from these arguments alone: its template is given nothing else (no request, no context
    processors, no model instance, no {% url %}), so every value it shows is part of the cache's key and the
    same arguments always give the same HTML. `status`: the checklist's status (its label is shown)."""
    return render_to_string(
        "peerplan/includes/checklist_row.html",
        {
            "url": url,
            "title": title,
            "status_label": ChecklistStatus(status).label,
            "service": service,
            "review_date": review_date,
            "coverage": Coverage(covered, applicable, done),
        },
    )


def members_page(organisation, membership):
    """The members, whom this member may change (Membership.can_change), pending invitations (and which of
    them are no longer valid), and for managers whose sign-in is paused."""
    members = list(organisation.memberships.select_related("user").order_by("user__first_name", "user__email"))
    owners = sum(1 for member in members if member.is_owner)
    for member in members:
        # The last owner keeps the role (planning.change_role refuses it): offer nothing that would fail.
        member.last_owner = member.is_owner and owners == 1
        member.changeable = membership.can_change(member) and not member.last_owner
    invitations = list(organisation.invitations.pending().select_related("invited_by").order_by("-created_at"))
    by_user = {member.user_id: member for member in members}
    for invitation in invitations:
        # Shown as no longer valid when its sender may no longer grant its role (the link would be refused).
        invitation.refusal = invitation.problem(inviter=by_user.get(invitation.invited_by_id))
    return {
        "members": members,
        "invitations": invitations,
        "role_choices": membership.grantable_roles(),
        "paused": lockout.paused_sign_ins([m.user for m in members]) if membership.can_manage else set(),
    }


# The start page's queries, compiled once per process like the organisation page's: it is where everyone lands
# after signing in, and building and compiling its queries cost more than running them.
YOUR_MEMBERSHIPS = PreparedQuery(
    lambda user: (
        Membership.objects.live().filter(user=user).select_related("organisation").order_by("organisation__name")
    )
)
YOUR_DELETED = PreparedQuery(lambda user: Membership.objects.deleted_owned_by(user).select_related("organisation"))
YOUR_NETWORKS = PreparedQuery(lambda user: Network.objects.filter(coordinators=user).order_by("name"))


def start_page(user):
    """The person's organisations, the deleted ones they may restore (until the purge, in one step) and the
    networks they coordinate (three queries)."""
    return {
        "memberships": YOUR_MEMBERSHIPS(user=user.pk),
        "deleted": YOUR_DELETED(user=user.pk),
        "coordinated": YOUR_NETWORKS(user=user.pk),
    }
