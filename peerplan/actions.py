"""What the action pages read beyond the action itself: the challenges it could also address, and the
duplicates (actions of the same checklist adopted from the same suggestion) it could be merged with."""

from django.db import models

from peerplan.models import Item, Mitigation


def linkable_items(mitigation, addressed):
    """The checklist's challenges, and its benefits chosen as outcomes, that the action does not address
    yet, in published order (one query)."""
    linked = [item.pk for item in addressed]
    items = (
        Item.objects.filter(checklist_id=mitigation.checklist_id)
        .exclude(pk__in=linked)
        .select_related("finding__theme")
    )
    return [item for item in items if item.is_challenge or item.applies]


def duplicates_of(mitigation):
    """Other actions of the checklist adopted from the same suggestion (one query; none when not adopted)."""
    if mitigation.suggestion_id is None:
        return []
    return list(
        Mitigation.objects.filter(checklist_id=mitigation.checklist_id, suggestion_id=mitigation.suggestion_id)
        .exclude(pk=mitigation.pk)
        .select_related("owner")
        .order_by("created_at", "pk")
    )


def prepare_quick_edit(actions, user):
    """Set on each action what its in-place edit shows: who may change it (the person's role in the
    action's organisation), the members it can be given to, and the values shown (two queries)."""
    from django.contrib.auth import get_user_model

    from peerplan.models import Membership

    actions = list(actions)
    organisation_ids = {action.checklist.organisation_id for action in actions}
    if not organisation_ids:
        return actions
    roles = {m.organisation_id: m for m in Membership.objects.filter(user=user, organisation_id__in=organisation_ids)}
    members = {}
    people = (
        get_user_model()
        .objects.filter(memberships__organisation_id__in=organisation_ids)
        .annotate(organisation_id=models.F("memberships__organisation_id"))
        .order_by("first_name", "email")
    )
    for person in people:
        members.setdefault(person.organisation_id, []).append(person)
    for action in actions:
        membership = roles.get(action.checklist.organisation_id)
        action.can_edit = bool(membership and membership.can_edit)
        action.member_choices = members.get(action.checklist.organisation_id, [])
        show(action)
    return actions


def show(action, chosen=None):
    """The values the in-place edit shows: what is saved, or what the person chose (kept on a conflict
    or a mistake, so nothing they chose is lost)."""
    chosen = chosen or {}
    action.shown_status = chosen.get("status", action.status)
    action.shown_owner_id = chosen.get("owner", action.owner_id)
    action.shown_due = chosen.get("due_date", action.due_date.isoformat() if action.due_date else "")
    return action
