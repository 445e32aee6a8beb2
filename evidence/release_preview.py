"""What a release's preview shows of each finding it adds, changes or retires: the text of each sample
(for a changed finding, a word-level difference of old and new), and every edit a curator saved in the
admin since the last release that the file would undo, because the file still has the text from before it."""

from dataclasses import dataclass, field
from datetime import datetime

from peerplan.lib.text import word_diff

# The reason a release's own writes carry in the history ("Release: Cooper et al. 2024, Table 6 version 2"),
# so a person reading it knows which release wrote it, and so they are never taken for a curator's edit.
RELEASE_REASON = "Release: {name} version {version}"
# Releases applied before the reason named the source wrote this; they are releases' writes all the same.
EARLIER_RELEASE_REASON = "Evidence release: version"
# simple-history keeps a change reason in 100 characters.
REASON_LENGTH = 100


def release_reason(name, version):
    """The history's reason for a release's writes; a long source name is shortened, never the version."""
    tail = f" version {version}"
    head = RELEASE_REASON.split("{name}")[0]
    room = REASON_LENGTH - len(head) - len(tail)
    shown = name if len(name) <= room else name[: room - 1] + "…"
    return f"{head}{shown}{tail}"


def is_release_reason(reason):
    """Whether a history record was written by a release (not by a curator in the admin)."""
    reason = reason or ""
    return reason.startswith(RELEASE_REASON.split("{name}")[0]) or reason.startswith(EARLIER_RELEASE_REASON)


@dataclass
class SampleText:
    """One sample of a finding as the preview shows it: its whole text, or the difference in words."""

    number: int
    group: str
    text: str = ""
    diff: list = field(default_factory=list)


@dataclass
class UndoneEdit:
    """A curator's edit since the last release that the file would undo: of one sample's `part` (its
    "summary", "group", "stakeholders" or "references"), or of the finding's "references" (`sample` None). `saved` is the
    value as the curator saved it, which applying the release keeps unless the curator chooses the file's."""

    sample: int | None
    who: str
    when: datetime
    saved_text: str
    file_text: str
    part: str = "summary"
    saved: object = None
    citations: dict = field(default_factory=dict)  # a kept reference list's numbers, should the file lack them
    finding: tuple = ()  # (source id, theme name, kind as in the file), set by the import

    @property
    def place(self):
        """The part undone, in words."""
        if self.sample is None:
            return "the finding's references"
        return f"sample {self.sample}" + ("" if self.part == "summary" else f"'s {self.part}")

    @property
    def key(self):
        """The name of its choice in the apply form: the same edit has the same name when the form comes back."""
        source, theme, kind = self.finding
        return f"undo/{source}/{theme}/{kind or 'none'}/{self.sample or 'finding'}/{self.part}"


@dataclass
class FindingText:
    label: str
    samples: list
    references_before: list = field(default_factory=list)
    references_after: list = field(default_factory=list)
    undone: list = field(default_factory=list)
    key: str = ""  # a changed finding's minor-or-major choice in the apply form (interchange.change_key)
    minor: bool = False  # chosen minor when the form came back refused

    @property
    def references_changed(self):
        return self.references_before != self.references_after


def whole_texts(label, samples, references):
    """An added or retired finding: `samples` as [(group, summary)]."""
    shown = [SampleText(number, group, text=summary) for number, (group, summary) in enumerate(samples, start=1)]
    return FindingText(label, shown, references, references)


def changed_texts(label, before, after, references_before, references_after):
    """A changed finding: each sample's words, old struck and new marked, by position as the import matches."""
    shown = []
    for number in range(1, max(len(before), len(after)) + 1):
        old = before[number - 1] if number <= len(before) else None
        new = after[number - 1] if number <= len(after) else None
        group = new[0] if old is None or (new and new[0] == old[0]) else f"{old[0]} → {new[0]}" if new else old[0]
        shown.append(SampleText(number, group, diff=word_diff(old[1] if old else "", new[1] if new else "")))
    return FindingText(label, shown, references_before, references_after)


def last_release_at(source, Source):
    """When the source took its current version (its last release), or None if the history does not say."""
    records = list(Source.history.filter(id=source.pk).order_by("-history_date", "-history_id"))
    since = None
    for record in records:
        if record.version != source.version:
            break
        since = record.history_date
    return since


def _name(user):
    if user is None:
        return "someone"
    return user.get_full_name() or user.get_username()


def _edit_undone(records, current, file_value, state, since):
    """The edit that gave a row its current state (`records` newest first, `state(record)` what is compared),
    if a curator made it since the last release and the file's value is a state from before it; else None."""
    edit, earlier = None, []
    for index, record in enumerate(records):
        if state(record) != current:
            earlier = records[index:]
            break
        edit = record
    if edit is None or not earlier or is_release_reason(edit.history_change_reason):
        return None
    if since is not None and edit.history_date <= since:
        return None
    return edit if any(state(record) == file_value for record in earlier) else None


# What a sample's edit may change, each part as the preview words it.
SAMPLE_PARTS = {
    "summary": lambda value: value,
    "group": lambda value: f"Group: {value}",
    "stakeholders": lambda value: "Stakeholders: " + (", ".join(value) or "none"),
}


def _reference_numbers(record):
    """The reference numbers a historical finding or perspective had (one query a version; a few versions)."""
    return sorted(record.references.values_list("reference__number", flat=True))


def _references_in_words(numbers):
    return "References: " + (", ".join(str(number) for number in numbers) or "none")


def undone_edits(existing, samples, since, Perspective):
    """The curators' edits the file would undo: `existing` is the finding's perspectives in position order,
    `samples` the file's. An edit of a sample's summary, group, stakeholders or references is undone when the
    file's value differs from what a curator saved since the last release (not a release's own write) and
    equals a value the sample had before that edit."""
    undone = []
    for number, perspective in enumerate(existing, start=1):
        if number > len(samples):
            continue
        saved = {part: getattr(perspective, part) for part in SAMPLE_PARTS}
        saved["references"] = sorted(perspective.reference_numbers())
        in_file = {part: samples[number - 1].get(part, []) for part in saved}
        in_file["references"] = sorted(set(in_file["references"]))
        differing = [part for part in saved if in_file[part] != saved[part]]
        if not differing:
            continue
        records = list(
            Perspective.history.filter(id=perspective.pk)
            .order_by("-history_date", "-history_id")
            .select_related("history_user")
        )
        for part in differing:
            if part == "references":
                state, words = _reference_numbers, _references_in_words
            else:
                state, words = (lambda record, part=part: getattr(record, part)), SAMPLE_PARTS[part]
            edit = _edit_undone(records, saved[part], in_file[part], state, since)
            if edit is not None:
                citations = {r.number: r.citation for r in perspective.references.all()} if part == "references" else {}
                undone.append(
                    UndoneEdit(
                        number,
                        _name(edit.history_user),
                        edit.history_date,
                        words(saved[part]),
                        words(in_file[part]),
                        part=part,
                        saved=saved[part],
                        citations=citations,
                    )
                )
    return undone


def undone_reference_edit(finding, current, file_numbers, since, Finding):
    """A curator's edit of the finding's own references since the last release that the file would undo."""
    if file_numbers == current:
        return []
    records = list(
        Finding.history.filter(id=finding.pk).order_by("-history_date", "-history_id").select_related("history_user")
    )
    edit = _edit_undone(records, current, file_numbers, _reference_numbers, since)
    if edit is None:
        return []
    citations = {reference.number: reference.citation for reference in finding.references.all()}
    return [
        UndoneEdit(
            None,
            _name(edit.history_user),
            edit.history_date,
            _references_in_words(current),
            _references_in_words(file_numbers),
            part="references",
            saved=list(current),
            citations=citations,
        )
    ]


def keep_admin_edits(data, kept):
    """The release (as "peerplan-evidence/2") with each kept edit's saved value in place of the file's, so
    applying it leaves those edits as the curators saved them and changes everything else as the file says."""
    for edit in kept:
        source_id, theme_name, kind = edit.finding
        source = next(s for s in data["sources"] if s["id"] == source_id)
        theme = next(t for c in source["categories"] for t in c["themes"] if t["name"] == theme_name)
        finding = next(f for f in theme["findings"] if f["kind"] == kind)
        if edit.sample is None:
            finding["references"] = list(edit.saved)
        else:
            finding["samples"][edit.sample - 1][edit.part] = (
                list(edit.saved) if edit.part == "references" else edit.saved
            )
        if edit.part == "references":
            # A kept reference the file's list lacks comes back with its citation, so the release stays valid.
            listed = {reference["number"] for reference in source["references"]}
            source["references"] += [
                {"number": number, "citation": edit.citations.get(number, "")}
                for number in edit.saved
                if number not in listed
            ]
    return data
