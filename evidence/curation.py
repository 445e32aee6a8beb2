"""Rules for curators' edits: which fields are the published content of a finding or perspective, and what
a change to that content does. A major change (with a change note) asks every checklist using the finding to
look again; a minor one (a typo, formatting) asks none and is only noted in the history; a save that brings
the finding back to what it was before a major change takes that change's flags back."""

from dataclasses import dataclass

from django.utils import dateformat, timezone

from evidence.models import Finding, FindingChange
from peerplan.lib.text import DATETIME_FORMAT

FINDING_CONTENT = {"valence", "references"}
PERSPECTIVE_CONTENT = {"finding", "group", "summary", "stakeholders", "references"}

MINOR, MAJOR = "minor", "major"
CHANGE_KINDS = [
    (MINOR, "Minor change (a typo or formatting): services are not asked to look again"),
    (MAJOR, "Major change: services are asked to look again"),
]
# The reasons the history shows for a curator's save.
MINOR_REASON = "Minor change"
MAJOR_REASON = "Major change: {note}"


def change_reason(kind, note=""):
    """What the history says of a save of published content, so a minor fix reads as one."""
    if kind == MAJOR:
        return MAJOR_REASON.format(note=" ".join(note.split()))[:100]
    return MINOR_REASON if kind == MINOR else None


def changes_content(form, fields):
    """Whether this admin form changes published content of an object that already existed.

    Compares concrete fields with the stored row too, so a revert from the history page (whose form
    starts from the old version) counts as a change.
    """
    obj = form.instance
    if obj.pk is None or obj._state.adding:
        return False
    if fields & set(form.changed_data):
        return True
    concrete = [name for name in fields if name != "references"]
    stored = type(obj).objects.filter(pk=obj.pk).values(*[_attname(obj, name) for name in concrete]).first()
    return stored is not None and any(
        stored[_attname(obj, name)] != getattr(obj, _attname(obj, name)) for name in concrete
    )


def _attname(obj, name):
    return obj._meta.get_field(name).attname


@dataclass
class Outcome:
    """What a save did to a finding: "major" (flags raised), "minor" (none), "revert" (the flags of `undone`,
    a major change, taken back) or None (its content is as it was)."""

    kind: str | None
    finding: Finding
    undone: FindingChange | None = None


def record_change(finding, before, *, kind, note="", by=None, release=None, now=None):
    """After a save of `finding` whose content was `before` (Finding.content()): a major change is recorded
    and flags every checklist using it; a minor one flags nothing; a content equal to what it was before an
    earlier major change (still standing) reverts that change and every later one, and the finding's
    evidence_changed_at goes back to what it was before, so only the items those changes flagged clear."""
    now = now or timezone.now()
    after = finding.content()
    if after == before:
        return Outcome(None, finding)
    standing = list(finding.changes.filter(reverted_at__isnull=True).order_by("made_at", "pk"))
    first = next((index for index, change in enumerate(standing) if change.before == after), None)
    if first is not None:
        for change in standing[first:]:
            change.reverted_at = now
            change.save(update_fields=["reverted_at"])
        undone = standing[first]
        finding.evidence_changed_at = undone.flagged_before
        finding._change_reason = f"Reverted the major change of {_when(undone.made_at)}"
        finding.save(update_fields=["evidence_changed_at"])
        return Outcome("revert", finding, undone)
    if kind != MAJOR:
        return Outcome(MINOR, finding)
    FindingChange.objects.create(
        finding=finding,
        made_at=now,
        made_by=by,
        release=release,
        note=note.strip(),
        before=before,
        after=after,
        flagged_before=finding.evidence_changed_at,
    )
    finding.evidence_changed_at = now
    finding._change_reason = change_reason(MAJOR, note) if release is None else getattr(finding, "_change_reason", None)
    finding.save(update_fields=["evidence_changed_at"])
    return Outcome(MAJOR, finding)


# How many checklists (and in how many organisations) use some findings: planning's to count, as the
# checklists are planning's (peerplan/), which evidence/ does not import. peerplan hands its count in when it
# starts (PeerPlanConfig.ready), like interchange.count_impact_with.
_count_checklists = None


def count_checklists_with(count):
    """Have the save messages say what `count(finding_ids)` returns: (checklists, organisations) using them."""
    global _count_checklists
    _count_checklists = count


def checklists_using(finding_ids):
    """(checklists, organisations) whose items use these findings; (0, 0) when planning has not said."""
    return _count_checklists(list(finding_ids)) if _count_checklists else (0, 0)


def _when(moment):
    return dateformat.format(timezone.localtime(moment), DATETIME_FORMAT)


def _checklists_in_words(finding_ids):
    checklists, organisations = checklists_using(finding_ids)
    if not checklists:
        return None
    return (
        f"{checklists} checklist{'s' if checklists != 1 else ''} in {organisations} "
        f"organisation{'s' if organisations != 1 else ''}"
    )


def outcome_message(outcomes):
    """The save message for what a save did to its findings: counts only, never which organisations (curators
    must not learn who uses what); None when no finding's content changed."""
    majors = [o.finding.pk for o in outcomes if o.kind == MAJOR]
    reverts = [o for o in outcomes if o.kind == "revert"]
    minors = [o for o in outcomes if o.kind == MINOR]
    said = []
    if majors:
        counted = _checklists_in_words(majors)
        said.append(
            f"Saved as a major change: {counted} will be asked to look again."
            if counted
            else "Saved as a major change: no checklist uses this finding yet, so no service is asked to look again."
        )
    for outcome in reverts:
        counted = _checklists_in_words([outcome.finding.pk])
        when = _when(outcome.undone.made_at)
        said.append(
            f"This brings “{outcome.finding}” back to what it was before the major change of {when}: "
            + (
                f"{counted} are no longer asked to look again because of it."
                if counted
                else "no service is asked to look again."
            )
        )
    if minors and not majors:
        said.append("Saved as a minor change: no service is asked to look again.")
    return " ".join(said) or None
