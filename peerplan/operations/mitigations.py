"""Writes to actions (mitigations): created, changed one by one or in bulk with optimistic locking, linked
to items, merged, adopted from suggestions, and restored from an earlier version."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.query import MAX_GET_RESULTS
from django.utils.formats import date_format
from django.utils.timezone import localtime

from peerplan.lib.errors import Conflict, Refused
from peerplan.lib.prepared import PreparedQuery
from peerplan.lib.text import DATETIME_FORMAT, normalise_text, shorten
from peerplan.models import (
    ImplementationPhase,
    Item,
    Membership,
    Mitigation,
    MitigationStatus,
    SuggestedMitigation,
    display_name,
)
from peerplan.notify import events


def _same_checklist(items):
    items = list(items)
    if not items:
        raise Refused("An action must address at least one challenge.")
    if len({item.checklist_id for item in items}) != 1:
        raise Refused("An action can only address challenges of one checklist.")
    return items


def adopt_suggestion(*, suggestion, by, item=None, items=None):
    """ONE action copied from a suggestion, addressing every given item (all of one checklist); it
    remembers the suggestion, and the planner gives it an owner and a due date next."""
    items = _same_checklist(items if items is not None else [item])
    with transaction.atomic():
        mitigation = Mitigation(
            checklist_id=items[0].checklist_id,
            action=suggestion.title[: Mitigation._meta.get_field("action").max_length],
            details=normalise_text(suggestion.description)[: Mitigation._meta.get_field("details").max_length],
            suggestion=suggestion,
            phase=suggestion.phase,
            created_by=by,
        )
        mitigation._history_user = by
        mitigation.save()
        mitigation.items.set(items)
    return mitigation


MITIGATION_FIELDS = [
    "action",
    "details",
    "owner",
    "owner_name",
    "due_date",
    "status",
    "notes",
    "phase",
    "co_produced",
    "lived_experience_led",
]


def update_mitigation(*, mitigation_id, changes, version, by=None):
    """Apply changes only if nobody has saved since `version`; otherwise raise Conflict (nothing applied).

    The row is read under a lock and saved with instance.save() (not queryset.update()) so that
    simple-history records the change and who made it.
    """
    with transaction.atomic():
        current = _locked(mitigation_id)
        if current.version != version:
            raise Conflict(current)
        _apply(current, changes, version, by)
    return current


# The action's row, locked until the transaction ends, with its owner, phase and suggestion; as get() reads it
# (no ordering, at most MAX_GET_RESULTS rows), compiled once per process (peerplan/lib/prepared.py). Lock the
# mitigation's row only: PostgreSQL cannot lock the nullable side of the outer joins that owner, phase and
# suggestion need. (Compiling a locking query outside a transaction is refused: it is first compiled in one.)
_LOCKED = PreparedQuery(
    lambda pk: (
        Mitigation.objects.select_for_update(of=("self",))
        .select_related("owner", "phase", "suggestion")
        .filter(pk=pk)
        .order_by()[:MAX_GET_RESULTS]
    )
)
# The ids of the items an action addresses, as its related manager reads them.
_ADDRESSED_IDS = PreparedQuery(lambda pk: Item.objects.filter(mitigations=pk).values_list("pk", flat=True))


def _locked(mitigation_id):
    """The action's row, locked until the transaction ends (in one: callers are atomic)."""
    found = _LOCKED(pk=mitigation_id)
    if not found:
        raise Mitigation.DoesNotExist("Mitigation matching query does not exist.")
    return found[0]


def _apply(current, changes, version, by):
    """`changes` saved onto `current` (read by _locked in this transaction, at `version`) as the next version."""
    previous_owner_id = current.owner_id
    for field, value in changes.items():
        # Text is kept with one kind of line ending whichever way it came (a page, the API).
        setattr(current, field, normalise_text(value))
    current.version = version + 1
    if by is not None:
        current._history_user = by
    current.save()
    # Every path that changes the owner comes through here: the new owner is told, in this transaction.
    events.assigned(mitigation=current, previous_owner_id=previous_owner_id, by=by)


@dataclass
class BulkResult:
    """What a bulk change did: the actions changed, those already as asked, and those someone changed
    after the list was shown (left alone)."""

    changed: list
    already: list
    stale: list

    def messages(self, changes):
        said = []
        what = ", ".join(_describe(name, value) for name, value in changes.items() if name != "owner_name")
        what = what[:1].upper() + what[1:]
        if self.changed:
            said.append(f"{what} on {_count(self.changed)}: {_titles(self.changed)}.")
        if self.already:
            said.append(f"{_count(self.already)} already had that: {_titles(self.already)}.")
        if self.stale:
            said.append(
                f"Not changed, because someone changed {'them' if len(self.stale) > 1 else 'it'} after you loaded "
                f"the list: {_titles(self.stale)}. Look at {'them' if len(self.stale) > 1 else 'it'} again."
            )
        return said


def _count(actions):
    return f"{len(actions)} action{'s' if len(actions) != 1 else ''}"


def _titles(actions):
    return "; ".join(f"“{shorten(action.action, 50)}”" for action in actions)


def _describe(name, value):
    if name == "status":
        return f"status set to {MitigationStatus(value).label.lower()}"
    if name == "owner":
        return f"owner set to {display_name(value)}" if value else "owner removed"
    if name == "due_date":
        return f"due date set to {value:%-d %B %Y}" if value else "due date removed"
    return name


def bulk_update_mitigations(*, actions, versions, changes, by=None):
    """Apply the same changes to many actions, each through update_mitigation, so each keeps its own
    history entry and the optimistic-locking rule holds: an action changed after the person saw it
    (its version moved on) is not touched."""
    result = BulkResult([], [], [])
    with transaction.atomic():
        for action in actions:
            current = {name: getattr(action, name) for name in changes}
            if current == changes and versions[action.pk] == action.version:
                result.already.append(action)
                continue
            try:
                update_mitigation(mitigation_id=action.pk, changes=changes, version=versions[action.pk], by=by)
            except Conflict:
                result.stale.append(action)
            else:
                result.changed.append(action)
    return result


def create_mitigation(*, changes, by, item=None, items=None):
    """A new action addressing the given item (or items, all of one checklist)."""
    items = _same_checklist(items if items is not None else [item])
    with transaction.atomic():
        mitigation = Mitigation(checklist_id=items[0].checklist_id, created_by=by)
        for field, value in changes.items():
            setattr(mitigation, field, value)
        mitigation._history_user = by
        mitigation.save()
        mitigation.items.set(items)
        events.assigned(mitigation=mitigation, previous_owner_id=None, by=by)
    return mitigation


def save_mitigation(*, mitigation_id, changes, items, version, by):
    """The action's form saved: its fields and the items it addresses (all of its checklist, at least one),
    together or not at all, and only if nobody has saved since `version` (else Conflict, nothing applied).
    A change of the items moves the version on too, so another form of the action open meanwhile is refused
    rather than quietly putting back the items it showed. Fields not changed make no history entry."""
    items = _same_checklist(items)
    with transaction.atomic():
        # One read of the row, locked, with what the fields compare against (owner, phase): the same row
        # update_mitigation reads, so a change of the fields alone is saved onto it without a second read.
        current = _locked(mitigation_id)
        if current.version != version:
            raise Conflict(current)
        if any(item.checklist_id != current.checklist_id for item in items):
            raise Refused("An action can only address challenges of its own checklist.")
        changed = {name: value for name, value in changes.items() if getattr(current, name) != normalise_text(value)}
        items_changed = {item.pk for item in items} != set(_ADDRESSED_IDS(pk=current.pk))
        if items_changed:
            set_items(mitigation=current, items=items, by=by)
        if changed and not items_changed:
            _apply(current, changed, version, by)
        elif changed:
            # set_items saved the row (its history entries): the fields go onto the row as it is now.
            current = update_mitigation(mitigation_id=mitigation_id, changes=changed, version=version, by=by)
        elif items_changed:
            Mitigation.objects.filter(pk=mitigation_id).update(version=version + 1)
            current.refresh_from_db()
    return current


def _record(mitigation, by, reason):
    """A history entry on the action for a change that is not one of its fields (which challenges it
    addresses): saved under the row lock, version unchanged, since nobody's typing is overwritten."""
    mitigation._history_user = by
    mitigation._change_reason = shorten(reason, 100)
    mitigation.save()


def _names(items):
    return ", ".join(f"“{item.finding.theme.name}”" for item in items)


def link_items(*, mitigation, items, by):
    """Make the action address further items of its own checklist; returns the items newly linked."""
    with transaction.atomic():
        current = Mitigation.objects.select_for_update(of=("self",)).get(pk=mitigation.pk)
        items = [item for item in items]
        if any(item.checklist_id != current.checklist_id for item in items):
            raise Refused("An action can only address challenges of its own checklist.")
        already = set(current.items.values_list("pk", flat=True))
        new = [item for item in items if item.pk not in already]
        if new:
            current.items.add(*new)
            _record(current, by, f"Now also addresses {_names(new)}")
    return new


def unlink_item(*, mitigation, item, by):
    """Stop the action addressing one item; an action must keep at least one."""
    with transaction.atomic():
        current = Mitigation.objects.select_for_update(of=("self",)).get(pk=mitigation.pk)
        linked = set(current.items.values_list("pk", flat=True))
        if item.pk not in linked:
            raise Refused("This action does not address that challenge.")
        if linked == {item.pk}:
            raise Refused(
                "An action must address at least one challenge. Link it to another challenge first, "
                "or set its status to dropped."
            )
        current.items.remove(item)
        _record(current, by, f"No longer addresses {_names([item])}")


def set_items(*, mitigation, items, by):
    """Make the action address exactly these items (all of its own checklist, at least one): the new ones are
    linked and the others unlinked, each with its history entry, in one transaction."""
    items = _same_checklist(items)
    with transaction.atomic():
        link_items(mitigation=mitigation, items=items, by=by)
        wanted = {item.pk for item in items}
        for item in (
            Item.objects.filter(mitigations=mitigation.pk).exclude(pk__in=wanted).select_related("finding__theme")
        ):
            unlink_item(mitigation=mitigation, item=item, by=by)


MERGED_INTO = "Merged into action {pk}"


def merge_mitigations(*, keep, others, by):
    """Merge duplicate actions of one checklist into `keep`: it addresses every challenge any of them
    addressed, and the others are deleted with a reason that points at `keep`, so their whole history
    stays readable on `keep`'s timeline and the checklist's."""
    others = [other for other in others if other.pk != keep.pk]
    if not others:
        raise Refused("Choose at least one other action to merge into this one.")
    if any(other.checklist_id != keep.checklist_id for other in others):
        raise Refused("Only actions of the same checklist can be merged.")
    with transaction.atomic():
        current = Mitigation.objects.select_for_update(of=("self",)).get(pk=keep.pk)
        linked = set(current.items.values_list("pk", flat=True))
        moved = Item.objects.filter(mitigations__in=[other.pk for other in others]).exclude(pk__in=linked).distinct()
        current.items.add(*moved)
        for other in others:
            other._history_user = by
            other._change_reason = MERGED_INTO.format(pk=current.pk)
            other.delete()
        _record(current, by, f"Merged {len(others)} duplicate action{'s' if len(others) != 1 else ''} into this one")
    return current


@transaction.atomic
def adopt_for_uncovered(*, checklist, suggestion, by):
    """Adopt one suggestion as ONE action addressing every uncovered applicable challenge of the checklist
    that it addresses; returns the action, or None if it addresses nothing still uncovered."""
    items = list(
        checklist.items.uncovered()
        .filter(finding__theme__in=suggestion.themes.all())
        .select_related("finding__theme")
        .in_published_order()
    )
    if not items:
        return None
    return adopt_suggestion(items=items, suggestion=suggestion, by=by)


# What restoring an action brings back: what people edit. Never its identity (pk, checklist, item),
# its creation record, or its version (which moves forward, so an open edit form notices the restore).
RESTORED_FIELDS = [*MITIGATION_FIELDS, "suggestion"]


def restore_mitigation(mitigation, record, *, by, seen_version=None):
    """Bring back the values an action had in `record` (one of its own history records).

    Saves a new version (so an edit form opened before the restore is refused, not applied) and a new
    history entry saying which version was restored. Returns the notes a person should be told.
    """
    notes = []
    with transaction.atomic():
        current = Mitigation.objects.select_for_update().select_related("checklist").get(pk=mitigation.pk)
        if record.id != current.pk or record.organisation_id != current.checklist.organisation_id:
            raise ValueError("A version of another action cannot be restored onto this one.")
        if seen_version is not None and current.version != seen_version:
            # The action changed after the person opened its history: restoring now would overwrite that.
            raise Conflict(current)
        previous_owner_id = current.owner_id
        for name in RESTORED_FIELDS:
            attname = Mitigation._meta.get_field(name).attname
            setattr(current, attname, getattr(record, attname))
        # What the old version pointed at may be gone: an owner who left the organisation keeps their
        # name on the action (as a person outside it); a deleted phase or suggestion is left empty.
        if (
            current.owner_id
            and not Membership.objects.filter(
                user_id=current.owner_id, organisation_id=current.checklist.organisation_id
            ).exists()
        ):
            former = get_user_model().objects.filter(pk=current.owner_id).first()
            current.owner_id = None
            if former is not None and not current.owner_name:
                current.owner_name = display_name(former)
            notes.append("The owner of that version is no longer a member, so they are named as an outside owner.")
        if current.phase_id and not ImplementationPhase.objects.filter(pk=current.phase_id).exists():
            current.phase_id = None
        if current.suggestion_id and not SuggestedMitigation.objects.filter(pk=current.suggestion_id).exists():
            current.suggestion_id = None
        current.version += 1
        current._history_user = by
        current._change_reason = (
            f"Restored the version of {date_format(localtime(record.history_date), DATETIME_FORMAT)}"
        )
        current.save()
        events.assigned(mitigation=current, previous_owner_id=previous_owner_id, by=by)
    return current, notes
