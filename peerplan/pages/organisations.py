"""The organisation and members pages."""

from peerplan.accounts import lockout
from peerplan.models import coverage_by_checklist, networks


def organisation_page(organisation):
    """The organisation's checklists with their coverage, current ones apart from archived ones, and its
    networks (three queries)."""
    checklists = list(organisation.checklists.select_related("created_by").order_by("title", "pk"))
    coverage = coverage_by_checklist([c.pk for c in checklists])
    rows = [(checklist, coverage[checklist.pk]) for checklist in checklists]
    return {
        "current": [row for row in rows if not row[0].is_archived],
        "archived": [row for row in rows if row[0].is_archived],
        "networks": networks.invitations_for(organisation),
    }


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
