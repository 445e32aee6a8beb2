"""Writes to checklists and their items: made from the evidence or copied, decisions, reviews."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from evidence.models import Finding, Source
from peerplan.lib.errors import Refused
from peerplan.lib.text import shorten
from peerplan.models import Checklist, ChecklistStatus, Item, Mitigation, MitigationStatus

# A "does not apply" decision is looked at again after a year unless the planner says otherwise.
REREVIEW_AFTER = timedelta(days=365)


def checklist_findings(organisation):
    """The findings a checklist is made of, in published order: every finding of a kind a checklist plans
    for (challenges and barriers to mitigate, benefits and facilitators to realise), from the current
    version of the published sources and of the organisation's own.

    Findings with no kind (Table 6's "Offering treatment choice") are neither a challenge to guard
    against nor an outcome to choose, so they are not items; the evidence pages still show them.
    """
    return (
        Finding.objects.current()
        .plannable()
        .filter(theme__category__source__in=Source.objects.visible_to(organisation))
        .select_related("theme__category__source")
        .order_by("theme__category__source", "theme__category__position", "theme__position", "position")
    )


def create_checklist_from_evidence(
    *, organisation, title, by, service="", description="", status=ChecklistStatus.DRAFT, review_date=None
):
    """A checklist with one item per challenge (applies until a planner says otherwise) and per benefit
    (not chosen as an outcome until a planner chooses it)."""
    with transaction.atomic():
        checklist = Checklist(
            organisation=organisation,
            title=title,
            service=service,
            description=description,
            status=status,
            review_date=review_date,
            created_by=by,
        )
        checklist._history_user = by
        checklist.save()
        items = [Item.from_finding(checklist, finding) for finding in checklist_findings(organisation)]
        bulk_create_with_history(items, Item, default_user=by)
    return checklist


def copy_checklist(*, source, title, by, service="", description="", status=ChecklistStatus.DRAFT, review_date=None):
    """A new checklist of the source's organisation that starts from the source: the same decisions
    (with who took them and when) and the same actions, each reset to planned without a due date (text,
    owner, phase, co-production and the suggestion it came from are kept). Evidence published since the
    source was made comes in as from the evidence, not reviewed yet."""
    with transaction.atomic():
        checklist = Checklist(
            organisation=source.organisation,
            title=title,
            service=service,
            description=description,
            status=status,
            review_date=review_date,
            created_by=by,
        )
        checklist.save()
        copied = {item.finding_id: item for item in source.items.select_related("finding")}
        decision = [
            "applies",
            "not_applicable_reason",
            "rereview_on",
            "priority",
            "note",
            "evidence_reviewed_at",
            "decided_at",
            "decided_by_id",
            "evidence_version",
            "retired_choice",
        ]
        items = []
        for finding in checklist_findings(source.organisation):
            old = copied.pop(finding.pk, None)
            item = Item.from_finding(checklist, finding)
            if old is not None:
                for name in decision:
                    setattr(item, name, getattr(old, name))
            items.append(item)
        # Items whose finding a release retired are not in the current evidence, but the source still has
        # them (kept or closed, maybe with actions): the copy keeps them as they are, so nothing is lost.
        for old in copied.values():
            if old.finding.is_retired:
                item = Item(checklist=checklist, finding_id=old.finding_id)
                for name in decision:
                    setattr(item, name, getattr(old, name))
                items.append(item)
        items = bulk_create_with_history(items, Item, default_user=by)
        new_item = {item.finding_id: item for item in items}
        # Dropped actions were given up on; the copy starts from what the source still means to do.
        actions = source.mitigations.exclude(status=MitigationStatus.DROPPED).prefetch_related("items").order_by("pk")
        for action in actions:
            copy = Mitigation(
                checklist=checklist,
                action=action.action,
                owner_id=action.owner_id,
                owner_name=action.owner_name,
                notes=action.notes,
                phase_id=action.phase_id,
                co_produced=action.co_produced,
                lived_experience_led=action.lived_experience_led,
                suggestion_id=action.suggestion_id,
                created_by=by,
            )
            copy._change_reason = f"Copied from the checklist “{shorten(source.title, 70)}”"
            copy._history_user = by
            copy.save()
            copy.items.set([new_item[item.finding_id] for item in action.items.all() if item.finding_id in new_item])
    return checklist


@transaction.atomic
def decide_item(*, item, applies, reason="", rereview_on=None, priority=None, note=None, today=None, by=None):
    """Record whether an item applies, and that `by` decided it now. A challenge that does not apply keeps
    its reason and a date to look at the decision again (a year on unless given); one that applies needs
    neither."""
    today = today or timezone.localdate()
    if not item.is_decided:
        # The first decision may confirm the starting state ("applies"), which no field change would show.
        item._change_reason = "First decision: " + ("applies" if applies else "does not apply")
    item.applies = applies
    item.decided_at = timezone.now()
    item.decided_by = by
    if item.is_challenge and not applies:
        if not reason.strip():
            raise Refused("Say why this does not apply to your service.")
        item.not_applicable_reason = reason.strip()
        item.rereview_on = rereview_on or today + REREVIEW_AFTER
    else:
        item.not_applicable_reason = ""
        item.rereview_on = None
    if priority is not None:
        item.priority = priority
    if note is not None:
        item.note = note
    item.evidence_version = _source_version(item)
    if by is not None:
        item._history_user = by
    item.save()
    return item


def _source_version(item):
    """The current version of the item's source: what a decision made now is made against. Read from the
    source the loader fetched with the item (load_item does), else one query."""
    loaded = item
    for name in ("finding", "theme", "category", "source"):
        if not loaded._meta.get_field(name).is_cached(loaded):
            return Source.objects.filter(categories__themes__findings=item.finding_id).values_list(
                "version", flat=True
            )[0]
        loaded = getattr(loaded, name)
    return loaded.version


@transaction.atomic
def mark_evidence_reviewed(*, item, when=None):
    item.evidence_reviewed_at = when or timezone.now()
    item.evidence_version = _source_version(item)
    item.save(update_fields=["evidence_reviewed_at", "evidence_version"])


def change_checklist(*, checklist, changes):
    """The checklist's own details (title, service, description, status, review date) as a form cleaned
    them."""
    with transaction.atomic():
        for name, value in changes.items():
            setattr(checklist, name, value)
        checklist.save()
    return checklist


def set_checklist_status(*, checklist, status):
    """Archive a checklist (nothing in it is deleted) or make it active again."""
    checklist.status = status
    checklist.save()
    return checklist


def delete_checklist(*, checklist):
    """The checklist with its items, actions, comments and files; the evidence is unchanged."""
    checklist.delete()
