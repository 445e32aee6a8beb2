"""Readable timelines from django-simple-history, and restoring an earlier version of an action.

A timeline entry reads as a sentence a person would say: "Sam changed status from Planned to Done".
Each record is compared with the one before it for the same object (both fetched in the same query),
so a timeline costs a fixed number of queries however long it is.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime

from evidence.models import Finding
from peerplan.lib.prepared import PreparedQuery
from peerplan.lib.text import DATETIME_FORMAT, normalise_text, shorten
from peerplan.models import (
    FORMER_MEMBER,
    Checklist,
    ImplementationPhase,
    Item,
    Mitigation,
    SuggestedMitigation,
    display_name,
)
from peerplan.operations.mitigations import MERGED_INTO

# Bookkeeping fields that change with every save or never change: not worth a sentence.
NOT_SHOWN = {
    "id",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "checklist",
    "item",
    "organisation",
    # The review state is who saved the decision and when: the entry itself says both.
    "decided_at",
    "decided_by",
}


NOUNS = {Checklist: "checklist", Item: "challenge", Mitigation: "action"}


# Fields in people's words where the model's own name reads as code ("rereview on").
LABELS = {
    (Item, "applies"): "decision",
    (Item, "not_applicable_reason"): "reason it does not apply",
    (Item, "rereview_on"): "re-review date",
    (Item, "evidence_reviewed_at"): "evidence reviewed",
    (Mitigation, "owner_name"): "owner outside the organisation",
}


@dataclass(frozen=True)
class Change:
    label: str  # the field's name in words: "status", "due date"
    old: str
    new: str

    @property
    def phrase(self):
        if self.old == "":
            return f"set {self.label} to {self.new}"
        if self.new == "":
            return f"cleared {self.label} (was {self.old})"
        return f"changed {self.label} from {self.old} to {self.new}"


@dataclass
class Entry:
    """One line of a timeline: who did what, when."""

    when: object
    who: str
    sentence: str
    kind: str  # created, changed, deleted
    changes: list = field(default_factory=list)
    reason: str = ""
    history_id: int = 0
    object_pk: int = 0
    restorable: bool = False
    url: str = ""  # what the entry is about, when it still exists
    link_text: str = ""


def _who(record):
    # No person: PeerPlan itself made the change (a scheduled command or the site's set-up).
    return capfirst(display_name(record.history_user)) if record.history_user_id else "PeerPlan"


def _quote(text, length=80):
    return f"“{shorten(text, length)}”"


class _Names:
    """Display names for the foreign keys a timeline mentions, fetched once per kind."""

    def __init__(self, records):
        owners, phases, suggestions = set(), set(), set()
        for record in records:
            if hasattr(record, "owner_id"):
                owners.add(record.owner_id)
            if hasattr(record, "phase_id"):
                phases.add(record.phase_id)
            if hasattr(record, "suggestion_id"):
                suggestions.add(record.suggestion_id)
        owners.discard(None), phases.discard(None), suggestions.discard(None)
        users = get_user_model().objects.filter(pk__in=owners) if owners else []
        self.by_field = {
            "owner": {user.pk: display_name(user) for user in users},
            "phase": dict(ImplementationPhase.objects.filter(pk__in=phases).values_list("pk", "name"))
            if phases
            else {},
            "suggestion": (
                dict(SuggestedMitigation.objects.filter(pk__in=suggestions).values_list("pk", "title"))
                if suggestions
                else {}
            ),
        }

    def show(self, model, name, value):
        """A value as a person reads it: choice labels, yes/no, dates in words, names for people."""
        model_field = model._meta.get_field(name)
        if value is None or value == "":
            return ""
        if model is Item and name == "applies":
            return "applies" if value else "does not apply"
        if isinstance(model_field, models.ForeignKey):
            # A person's id that matches no one: they deleted their account (ids are never reused).
            missing = FORMER_MEMBER if name == "owner" else "someone no longer listed"
            return self.by_field.get(name, {}).get(value, missing)
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(model_field, models.BooleanField):
            return "yes" if value else "no"
        if isinstance(model_field, models.DateTimeField):
            return date_format(localtime(value), DATETIME_FORMAT)
        if isinstance(model_field, models.DateField):
            return date_format(value, "j F Y")
        if isinstance(model_field, models.TextField | models.CharField):
            return _quote(normalise_text(value))
        return str(value)


def _changes(model, record, previous, names):
    delta = record.diff_against(previous, excluded_fields=NOT_SHOWN)
    order = {f.name: position for position, f in enumerate(model._meta.fields)}
    changes = []
    for change in sorted(delta.changes, key=lambda c: order.get(c.field, 0)):
        if normalise_text(change.old) == normalise_text(change.new):
            continue  # the same text with other line endings: no change a person made
        label = LABELS.get((model, change.field)) or str(model._meta.get_field(change.field).verbose_name)
        old, new = names.show(model, change.field, change.old), names.show(model, change.field, change.new)
        if old != new:
            changes.append(Change(label, old, new))
    return changes


def _join(phrases):
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _link(model, record, alive):
    """(url, words) of the object an entry is about, when it still exists (`alive`: ids of those that do)."""
    if record.id not in alive:
        return "", ""
    if model is Mitigation:
        return reverse("peerplan:mitigation_discussion", args=[record.id]), "Open the action"
    if model is Item:
        return reverse("peerplan:item", args=[record.id]), "Open the challenge"
    return reverse("peerplan:checklist", args=[record.id]), "Open the checklist"


def _entries(model, records, names, subject=None, skip_created=False, alive=(), noun=None):
    """Entries for one kind of object. `records` are ordered oldest first; each is compared with the
    previous record of the same object. `subject(record)` names the object when the timeline mixes
    several ("the action “…”"); without it the sentence speaks of "this action"."""
    noun = noun or NOUNS[model]
    previous_by_object = {}
    entries = []
    for record in records:
        previous = previous_by_object.get(record.id)
        previous_by_object[record.id] = record
        who = _who(record)
        this = subject(record) if subject else f"this {noun}"
        reason = record.history_change_reason or ""
        if record.history_type == "+":
            if skip_created:
                continue
            sentence = f"{who} created {this}"
            entries.append(Entry(record.history_date, who, sentence, "created", reason=reason))
        elif record.history_type == "-":
            entries.append(Entry(record.history_date, who, f"{who} deleted {this}", "deleted", reason=reason))
        else:
            if previous is None:
                # Created without a history record (e.g. a bulk insert): nothing to compare with.
                sentence = f"{who} changed {this} (what it was before is not recorded)"
                entries.append(Entry(record.history_date, who, sentence, "changed", reason=reason))
                entries[-1].history_id, entries[-1].object_pk = record.history_id, record.id
                continue
            changes = _changes(model, record, previous, names)
            if not changes and not reason:
                continue  # saved without changing anything a person would notice
            if changes and subject:
                sentence = f"{who} updated {this}: " + _join([change.phrase for change in changes])
            elif changes:
                sentence = f"{who} " + _join([change.phrase for change in changes])
            else:
                # No field changed, but the reason says what did ("Now also addresses “Boundaries”": a
                # challenge linked is a change, not a save "without changes").
                sentence, reason = f"{who} changed {this}: {reason[:1].lower()}{reason[1:]}", ""
            entries.append(Entry(record.history_date, who, sentence, "changed", changes, reason))
        entries[-1].history_id = record.history_id
        entries[-1].object_pk = record.id
        entries[-1].url, entries[-1].link_text = _link(model, record, alive)
    return entries


def _records(model, organisation_id, **filters):
    """History records of one organisation, oldest first. Never by id alone: history outlives the rows it
    describes, so an id in it may since belong to another organisation's new row (issue 12)."""
    return list(_history(model, organisation_id, **filters))


def _history(model, organisation_id, **filters):
    """_records' query."""
    return (
        model.history.filter(organisation_id=organisation_id, **filters)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )


def _current_life(records):
    """The records of a live object since it last came to be: records up to a deletion of the same id
    describe an earlier object that had this id, not this one."""
    deleted = [position for position, record in enumerate(records) if record.history_type == "-"]
    return records[deleted[-1] + 1 :] if deleted else records


def mitigation_records(mitigation):
    return _current_life(_records(Mitigation, mitigation.checklist.organisation_id, id=mitigation.pk))


def mitigation_record(mitigation, history_id):
    """One of this action's own earlier versions that can be restored, or None."""
    for record in mitigation_records(mitigation):
        if record.history_id == history_id and record.history_type != "-":
            return record
    return None


def mitigation_timeline(mitigation):
    """Newest first. Every entry of the action's own but the newest can be restored (the newest is what
    the action is now). The whole lives of actions merged into it are shown too, named as such (two
    queries more: which were merged into it, and their records). Both are read within the action's
    organisation and current life only (issue 12): an id in history may have named another action."""
    records = mitigation_records(mitigation)
    organisation_id = mitigation.checklist.organisation_id
    merged_into_this = Mitigation.history.filter(
        organisation_id=organisation_id,
        history_type="-",
        history_change_reason=MERGED_INTO.format(pk=mitigation.pk),
    )
    if records:
        merged_into_this = merged_into_this.filter(history_date__gte=records[0].history_date)
    merged_ids = set(merged_into_this.values_list("id", flat=True))
    merged = _records(Mitigation, organisation_id, id__in=merged_ids) if merged_ids else []
    names = _Names(records + merged)
    entries = _entries(Mitigation, records, names)
    for entry in entries[:-1]:
        entry.restorable = entry.kind != "deleted"
    if merged:
        entries += _entries(Mitigation, merged, names, subject=lambda r: f"the merged action {_quote(r.action, 60)}")
        entries.sort(key=lambda entry: (entry.when, entry.history_id))
    return list(reversed(entries))


# The item page's timeline's records (_records for one item), compiled once per process (peerplan/lib/prepared.py):
# building and compiling the query cost the page more than running it.
ITEM_RECORDS = PreparedQuery(lambda organisation_id, item_id: _history(Item, organisation_id, id=item_id))


def item_timeline(item):
    records = _current_life(ITEM_RECORDS(organisation_id=item.checklist.organisation_id, item_id=item.pk))
    noun = "challenge" if item.is_challenge else "outcome"
    return list(reversed(_entries(Item, records, _Names(records), noun=noun)))


def checklist_timeline(checklist):
    """The checklist's own changes, its items' changes and its actions' whole lives, newest first, each
    entry linking to what it is about. Items are created with the checklist, so their creation is not
    repeated item by item. An action is named with the challenges it addresses now."""
    organisation_id = checklist.organisation_id
    every = _records(Checklist, organisation_id, id=checklist.pk)
    checklist_records = _current_life(every)
    # Items and actions of an earlier checklist of the same organisation that had this id end before it.
    since = {}
    if len(every) != len(checklist_records):
        start = checklist_records[0] if checklist_records else every[-1]
        since = {"history_date__gte": start.history_date}
    item_records = _records(Item, organisation_id, checklist_id=checklist.pk, **since)
    action_records = _records(Mitigation, organisation_id, checklist_id=checklist.pk, **since)
    names = _Names(action_records)
    findings = {
        finding.pk: finding
        for finding in Finding.objects.filter(pk__in={r.finding_id for r in item_records}).select_related("theme")
    }
    items = {r.id: findings.get(r.finding_id) for r in item_records}
    links = Mitigation.items.through.objects.filter(mitigation__checklist_id=checklist.pk).values_list(
        "mitigation_id", "item_id"
    )
    addressed = {}
    for mitigation_id, item_id in sorted(links, key=lambda link: link[1]):
        finding = items.get(item_id)
        if finding is not None and finding.theme.name not in addressed.setdefault(mitigation_id, []):
            addressed[mitigation_id].append(finding.theme.name)

    def item_subject(record):
        finding = findings.get(record.finding_id)
        if finding is None:
            return "a challenge no longer in the evidence"
        noun = "the outcome" if finding.valence == "benefit" else "the challenge"
        return f"{noun} {_quote(finding.theme.name)}"

    def action_subject(record):
        themes = addressed.get(record.id)
        return f"the action {_quote(record.action, 60)}" + (f" (for {'; '.join(themes)})" if themes else "")

    alive_actions = set(addressed)
    entries = [
        *_entries(Checklist, checklist_records, names, alive={checklist.pk}),
        *_entries(Item, item_records, names, subject=item_subject, skip_created=True, alive=set(items)),
        *_entries(Mitigation, action_records, names, subject=action_subject, alive=alive_actions),
    ]
    entries.sort(key=lambda entry: (entry.when, entry.history_id), reverse=True)
    return entries
