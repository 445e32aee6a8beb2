"""The evidence interchange format, "peerplan-evidence/2": one or more sources, each with its version.

The format is documented in evidence/interchange.md, with a JSON Schema beside it
(evidence/peerplan-evidence-2.schema.json) that the tests hold every exported file to. Files in the first
format, "peerplan-evidence/1" (one source, Table 6's shape), are still read, as version 1 of Table 6.

A release updates a source in place by name (headings and themes by name within the source, findings by
kind within their theme, perspectives by position), so checklists that point at findings keep working. A
finding the release no longer has is *retired*, never deleted: items that use it stay, marked with the
version that removed it. A release must be newer than the version already loaded. Everything happens in
one transaction, so a refused release changes nothing; `import_evidence(..., dry_run=True)` runs the whole
import and rolls it back, returning what it would have done.
"""

import json
import re
from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.db import transaction
from django.utils import timezone

from evidence.curation import MAJOR, MINOR, record_change
from evidence.models import unique_slug
from evidence.parser import FORMAT as FORMAT_V1
from evidence.parser import STAKEHOLDER_GROUPS as GROUPS
from evidence.places import in_words
from evidence.release_preview import (
    changed_texts,
    keep_admin_edits,
    last_release_at,
    release_reason,
    undone_edits,
    undone_reference_edit,
    whole_texts,
)

FORMAT = "peerplan-evidence/2"
KINDS_ORDER = ["benefit", "challenge", "facilitator", "barrier", None]
V1_KINDS_ORDER = ["benefit", "challenge", None]
KINDS = set(KINDS_ORDER)
V1_KINDS = set(V1_KINDS_ORDER)
SOURCE_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
# Table 6's identity, for "peerplan-evidence/1" files, which carry none (see migration 0006).
TABLE6_ID = "cooper-2024-table-6"
TABLE6_NAME = "Cooper et al. 2024, Table 6"
# The order of a source's fields in a file; "references" and "categories" follow them.
SOURCE_FIELDS = [
    "name",
    "version",
    "title",
    "authors",
    "journal",
    "year",
    "volume",
    "article",
    "doi",
    "url",
    "table",
    "licence",
    "provenance",
    "heading",
    "caveat",
    "footnotes",
]
V1_SOURCE_FIELDS = ["title", "authors", "journal", "year", "volume", "article", "doi", "table", "caveat", "footnotes"]
TEXT_FIELDS = [f for f in SOURCE_FIELDS if f not in ("version", "year", "footnotes")]


class EvidenceFormatError(ValueError):
    """The file is not a valid evidence release; the message says what is wrong and where: in words
    (source, theme, finding number) and as the path in the file. `where` is that path, if there is one."""

    def __init__(self, message, where=None):
        super().__init__(message)
        self.where = where


def _models(apps):
    return {
        name: apps.get_model("evidence", name)
        for name in ("Source", "Reference", "Category", "Theme", "Finding", "Perspective", "Statement")
    }


# Export ---------------------------------------------------------------------------------------------


def export_evidence(sources=None, apps=global_apps):
    """The given sources (default: every published source) as the interchange dict, in published order.

    Only the current version is exported: retired findings, and themes and headings left with none, are not.
    """
    m = _models(apps)
    if sources is None:
        sources = m["Source"].objects.filter(organisation__isnull=True).order_by("pk")
    return {"format": FORMAT, "sources": [_export_source(source, m) for source in sources]}


def _export_source(source, m):
    findings_by_theme = {}
    for finding in (
        m["Finding"]
        .objects.filter(theme__category__source=source, retired_in_version__isnull=True)
        .order_by("position", "pk")
        .prefetch_related("references")
    ):
        findings_by_theme.setdefault(finding.theme_id, []).append(finding)
    perspectives_by_finding = {}
    for perspective in (
        m["Perspective"]
        .objects.filter(finding__theme__category__source=source)
        .order_by("position", "pk")
        .prefetch_related("references")
    ):
        perspectives_by_finding.setdefault(perspective.finding_id, []).append(perspective)
    themes_by_category = {}
    for theme in (
        m["Theme"]
        .objects.filter(category__source=source)
        .order_by("position", "pk")
        .prefetch_related("related__category__source")
    ):
        if theme.pk in findings_by_theme:
            themes_by_category.setdefault(theme.category_id, []).append(theme)

    statements_by_theme = {}
    for statement in (
        m["Statement"]
        .objects.filter(theme__category__source=source, organisation=source.organisation_id, retired=False)
        .order_by("position", "pk")
    ):
        statements_by_theme.setdefault(statement.theme_id, []).append(statement.text)

    def numbers(obj):
        return sorted(reference.number for reference in obj.references.all())

    def related(theme):
        # Only links to other sources: related evidence is across sources (a link within one source is shown
        # nowhere, and a release would report it as a theme that is not here).
        links = [
            {"source": other.category.source.slug, "theme": other.name}
            for other in theme.related.all()
            if other.category.source.organisation_id == source.organisation_id and other.category.source_id != source.pk
        ]
        return sorted(links, key=lambda link: (link["source"], link["theme"]))

    data = {"id": source.slug}
    data.update({name: getattr(source, name) for name in SOURCE_FIELDS})
    data["references"] = [
        {"number": reference.number, "citation": reference.citation}
        for reference in m["Reference"].objects.filter(source=source).order_by("number")
    ]
    data["categories"] = [
        {
            "name": category.name,
            "themes": [
                {
                    "name": theme.name,
                    **({"description": theme.short_description} if theme.short_description else {}),
                    # Check-in statements: the source's own wording (PeerPlan's for a published source).
                    **({"statements": statements_by_theme[theme.pk]} if theme.pk in statements_by_theme else {}),
                    "related": related(theme),
                    "findings": [
                        {
                            "kind": finding.valence or None,
                            "references": numbers(finding),
                            "samples": [
                                {
                                    "group": perspective.group,
                                    "references": numbers(perspective),
                                    "summary": perspective.summary,
                                    "stakeholders": list(perspective.stakeholders),
                                }
                                for perspective in perspectives_by_finding.get(finding.pk, [])
                            ],
                        }
                        for finding in findings_by_theme[theme.pk]
                    ],
                }
                for theme in themes_by_category[category.pk]
            ],
        }
        for category in m["Category"].objects.filter(source=source).order_by("position", "pk")
        if category.pk in themes_by_category
    ]
    return data


def dumps(data):
    """Stable bytes for a given evidence base, so a round trip can be compared byte for byte."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def parse_json(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        # Some of json's messages end in "at" ("Unterminated string starting at"): not "at at line 605".
        what = error.msg if error.msg.endswith(" at") else f"{error.msg} at"
        raise EvidenceFormatError(
            f"not JSON: {what} line {error.lineno}, column {error.colno} (look there for a missing or extra "
            "comma, quotation mark or bracket)"
        ) from None


# Validation -----------------------------------------------------------------------------------------


def _require(condition, where, problem):
    if not condition:
        raise EvidenceFormatError(f"{where}: {problem}", where=where)


def _one_of(values):
    """The allowed values of a fixed list, as a refusal offers them."""
    shown = [value for value in values if value is not None]
    listed = ", ".join(shown)
    return f"use one of {listed}" + (", or null for no kind" if None in values else "")


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _reference_list(value, where):
    _require(isinstance(value, list), where, "references must be a list of numbers")
    for index, number in enumerate(value):
        _require(
            _whole(number) and number > 0, f"{where}[{index}]", f"reference {number!r} is not a whole number above 0"
        )
    return sorted(set(value))


def upgrade_v1(data):
    """A "peerplan-evidence/1" file as the one source it holds: version 1 of Table 6."""
    source = data.get("source")
    _require(isinstance(source, dict), "source", "must be an object")
    v2 = {"id": TABLE6_ID, "name": TABLE6_NAME, "version": 1}
    v2.update({name: source.get(name, [] if name == "footnotes" else "") for name in V1_SOURCE_FIELDS})
    v2["references"] = data.get("references")
    categories = data.get("categories")
    if isinstance(categories, list):
        for category in categories:
            for theme in category.get("themes", []) if isinstance(category, dict) else []:
                for finding in theme.get("findings", []) if isinstance(theme, dict) else []:
                    if isinstance(finding, dict) and "valence" in finding:
                        _require(
                            finding["valence"] in V1_KINDS,
                            _v1_place(data, finding),
                            f"unknown valence {finding['valence']!r}: {_one_of(V1_KINDS_ORDER)}",
                        )
                        finding["kind"] = finding.pop("valence")
    v2["categories"] = categories
    return {"format": FORMAT, "sources": [v2]}, True


def _v1_place(data, target):
    for c, category in enumerate(data["categories"]):
        for t, theme in enumerate(category.get("themes", [])):
            for f, finding in enumerate(theme.get("findings", [])):
                if finding is target:
                    return f"categories[{c}].themes[{t}].findings[{f}].valence"
    return "categories"


def normalise(data):
    """The release as "peerplan-evidence/2", and whether it came as "/1" (its places are named as in /1)."""
    _require(isinstance(data, dict), "file", "the top level must be a JSON object")
    if data.get("format") == FORMAT_V1:
        return upgrade_v1(data)
    _require(
        data.get("format") == FORMAT,
        "format",
        f"expected {FORMAT!r} (or {FORMAT_V1!r}), found {data.get('format')!r}",
    )
    return data, False


def sources_in(data):
    """(id, name, version) of each source a release file holds, as stored at upload (already validated): a
    "peerplan-evidence/1" file is version 1 of Table 6."""
    if data.get("format") == FORMAT_V1:
        return [(TABLE6_ID, TABLE6_NAME, 1)]
    return [(source["id"], source["name"], source["version"]) for source in data.get("sources", [])]


def validate(data):
    """Check the whole release before anything is written; raise EvidenceFormatError naming the place, in
    words and as the path in the file, and for a value from a fixed list the values allowed.

    Returns the release as "peerplan-evidence/2"."""
    is_v1 = isinstance(data, dict) and data.get("format") == FORMAT_V1
    try:
        return _validate(data)
    except EvidenceFormatError as error:
        words = in_words(data, error.where, single_source_name=TABLE6_NAME if is_v1 else None) if error.where else ""
        if not words:
            raise
        raise EvidenceFormatError(f"{words}, at {error}", where=error.where) from None


def _validate(data):
    data, from_v1 = normalise(data)
    sources = data.get("sources")
    _require(isinstance(sources, list) and sources, "sources", "must be a non-empty list")
    ids = set()
    for index, source in enumerate(sources):
        # A /1 file's places are named as they were (no "sources[0]." in front).
        prefix = "" if from_v1 else f"sources[{index}]."
        _validate_source(source, prefix, from_v1)
        _require(source["id"] not in ids, f"{prefix}id", f"duplicate source {source['id']!r}")
        ids.add(source["id"])
    return data


def _validate_source(source, prefix, from_v1):
    where_source = prefix.rstrip(".") or "source"
    _require(isinstance(source, dict), where_source, "must be an object")
    s = "source." if from_v1 else prefix
    if not from_v1:
        source_id = source.get("id")
        _require(
            isinstance(source_id, str) and SOURCE_ID.fullmatch(source_id) and len(source_id) <= 100,
            f"{s}id",
            "must be a short identifier of lower-case letters, digits and hyphens, e.g. cooper-2024-table-6",
        )
        _require(
            _whole(source.get("version")) and source["version"] > 0, f"{s}version", "must be a whole number above 0"
        )
    required = ("title", "authors", "journal", "table") if from_v1 else ("name", "title")
    for name in required:
        _require(isinstance(source.get(name), str) and source.get(name).strip(), f"{s}{name}", "is required text")
    for name in TEXT_FIELDS:
        _require(isinstance(source.get(name, ""), str), f"{s}{name}", "must be text")
    _require(_whole(source.get("year")), f"{s}year", "must be a whole number")
    footnotes = source.get("footnotes", [])
    _require(isinstance(footnotes, list), f"{s}footnotes", "must be a list")
    for index, note in enumerate(footnotes):
        _require(
            isinstance(note, dict) and isinstance(note.get("mark"), str) and isinstance(note.get("text"), str),
            f"{s}footnotes[{index}]",
            'must be {"mark": text, "text": text}',
        )

    references = source.get("references")
    _require(isinstance(references, list), f"{prefix}references", "must be a list")
    seen_numbers = set()
    for index, reference in enumerate(references):
        where = f"{prefix}references[{index}]"
        _require(isinstance(reference, dict), where, "must be an object")
        number = reference.get("number")
        _require(
            _whole(number) and number > 0, f"{where}.number", f"reference {number!r} is not a whole number above 0"
        )
        _require(number not in seen_numbers, f"{where}.number", f"duplicate reference {number}")
        _require(isinstance(reference.get("citation", ""), str), f"{where}.citation", "must be text")
        seen_numbers.add(number)

    categories = source.get("categories")
    _require(isinstance(categories, list) and categories, f"{prefix}categories", "must be a non-empty list")
    category_names, theme_names = set(), set()
    kind_key = "valence" if from_v1 else "kind"
    for c_index, category in enumerate(categories):
        where = f"{prefix}categories[{c_index}]"
        _require(isinstance(category, dict), where, "must be an object")
        name = category.get("name")
        _require(isinstance(name, str) and name.strip(), f"{where}.name", "is required text")
        _require(name not in category_names, f"{where}.name", f"duplicate category {name!r}")
        category_names.add(name)
        _require(isinstance(category.get("themes"), list), f"{where}.themes", "must be a list")
        for t_index, theme in enumerate(category["themes"]):
            where = f"{prefix}categories[{c_index}].themes[{t_index}]"
            _require(isinstance(theme, dict), where, "must be an object")
            name = theme.get("name")
            _require(isinstance(name, str) and name.strip(), f"{where}.name", "is required text")
            _require(name not in theme_names, f"{where}.name", f"duplicate theme {name!r}")
            theme_names.add(name)
            description = theme.get("description", "")
            _require(
                isinstance(description, str) and len(description) <= 200,
                f"{where}.description",
                "must be text of at most 200 characters",
            )
            statements = theme.get("statements", [])
            _require(isinstance(statements, list), f"{where}.statements", "must be a list")
            for st_index, text in enumerate(statements):
                _require(
                    isinstance(text, str) and text.strip() and len(text) <= 200,
                    f"{where}.statements[{st_index}]",
                    "must be text of at most 200 characters",
                )
            _require(len(set(statements)) == len(statements), f"{where}.statements", "lists a statement twice")
            related = theme.get("related", [])
            _require(isinstance(related, list), f"{where}.related", "must be a list")
            for r_index, link in enumerate(related):
                _require(
                    isinstance(link, dict)
                    and isinstance(link.get("source"), str)
                    and isinstance(link.get("theme"), str),
                    f"{where}.related[{r_index}]",
                    'must be {"source": id, "theme": name}',
                )
            _require(isinstance(theme.get("findings"), list), f"{where}.findings", "must be a list")
            kinds = set()
            for f_index, finding in enumerate(theme["findings"]):
                where = f"{prefix}categories[{c_index}].themes[{t_index}].findings[{f_index}]"
                _require(isinstance(finding, dict), where, "must be an object")
                kind = finding.get("kind")
                _require(
                    kind in KINDS,
                    f"{where}.{kind_key}",
                    f"unknown {kind_key} {kind!r}: {_one_of(V1_KINDS_ORDER if from_v1 else KINDS_ORDER)}",
                )
                # Findings are matched by kind on import, so a theme holds at most one of each.
                _require(
                    kind not in kinds,
                    f"{where}.{kind_key}",
                    f"a second {kind or 'unvalenced'} finding in {name!r}",
                )
                kinds.add(kind)
                _reference_list(finding.get("references"), f"{where}.references")
                _require(isinstance(finding.get("samples"), list), f"{where}.samples", "must be a list")
                for s_index, sample in enumerate(finding["samples"]):
                    where = f"{prefix}categories[{c_index}].themes[{t_index}].findings[{f_index}].samples[{s_index}]"
                    _require(isinstance(sample, dict), where, "must be an object")
                    _require(
                        sample.get("group") in GROUPS,
                        f"{where}.group",
                        f"unknown group {sample.get('group')!r}: {_one_of(GROUPS)} (spelt exactly so; name other "
                        'stakeholders of a Mixed sample in its "stakeholders")',
                    )
                    _reference_list(sample.get("references"), f"{where}.references")
                    _require(
                        isinstance(sample.get("summary"), str) and sample["summary"].strip(),
                        f"{where}.summary",
                        "is required text",
                    )
                    stakeholders = sample.get("stakeholders", [])
                    _require(
                        isinstance(stakeholders, list) and all(isinstance(s, str) for s in stakeholders),
                        f"{where}.stakeholders",
                        "must be a list of text",
                    )

    used = set()
    for category in categories:
        for theme in category["themes"]:
            for finding in theme["findings"]:
                used.update(finding["references"])
                for sample in finding["samples"]:
                    used.update(sample["references"])
    missing = sorted(used - seen_numbers)
    _require(
        not missing,
        f"{prefix}references",
        f"numbers used but not listed: {missing} (cited by a finding or sample but not in the source's list of "
        "references: add them to the list, or correct the citing numbers)",
    )


# Import ---------------------------------------------------------------------------------------------


@dataclass
class SourceChanges:
    """What a release does to one source: findings added, changed and retired, named "Theme: kind" (every
    finding of a new source is added). A preview (a dry run) also has their texts, as FindingText, in the
    same order: whole for added and retired ones, word by word for changed ones, with the admin edits undone."""

    id: str
    name: str
    old_version: int | None
    new_version: int
    added: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    retired: list = field(default_factory=list)
    related_skipped: int = 0  # links naming a theme that is neither in the file nor in the database
    related_within: int = 0  # links within the source itself, which related evidence never makes
    added_texts: list = field(default_factory=list)
    changed_texts: list = field(default_factory=list)
    retired_texts: list = field(default_factory=list)
    themes_added: list = field(default_factory=list)  # a new source's themes, in published order

    @property
    def is_new(self):
        return self.old_version is None

    @property
    def undone(self):
        return [text for text in self.changed_texts if text.undone]

    @property
    def undone_edits(self):
        return [edit for text in self.changed_texts for edit in text.undone]


@dataclass
class OrganisationImpact:
    """For one organisation, only how many of its checklists and items a release touches (curators never
    see the plans themselves)."""

    organisation: str
    checklists: int
    items: int


@dataclass
class ReleaseReport:
    sources: list = field(default_factory=list)
    organisations: list = field(default_factory=list)
    dry_run: bool = False
    kept: list = field(default_factory=list)  # applied from the admin: the undone edits kept, as UndoneEdit
    used_file: list = field(default_factory=list)  # and those the curator chose to undo with the file's text

    def totals(self):
        return {
            "added": sum(len(s.added) for s in self.sources),
            "changed": sum(len(s.changed) for s in self.sources),
            "retired": sum(len(s.retired) for s in self.sources),
        }

    def lines(self):
        """The report as plain lines, for the command line."""
        out = []
        for s in self.sources:
            was = f"version {s.old_version}" if s.old_version else "not loaded"
            out.append(f"{s.name} ({s.id}): {was} -> version {s.new_version}")
            for label, entries in (("added", s.added), ("changed", s.changed), ("retired", s.retired)):
                if s.is_new and label == "added":
                    out.append(f"  {len(entries)} added (a new source: every finding in it)")
                    continue
                out.append(f"  {len(entries)} {label}" + (": " + "; ".join(entries) if entries else ""))
            if s.related_skipped:
                out.append(f"  {s.related_skipped} related-evidence links skipped (their theme is not here)")
            if s.related_within:
                out.append(f"  {s.related_within} related-evidence links ignored (within this source)")
            for text in s.undone:
                for edit in text.undone:
                    out.append(
                        f"  would undo the edit {edit.who} made on {timezone.localtime(edit.when):%Y-%m-%d %H:%M} ({text.label}, {edit.place})"
                    )
        if self.organisations:
            out.append("Organisations affected (checklists, items):")
            out.extend(f"  {o.organisation}: {o.checklists} checklists, {o.items} items" for o in self.organisations)
        else:
            out.append("No organisation's checklists are affected.")
        return out


# How many of each organisation's checklists and items a release touches: planning's to count, since the
# checklists are planning's (peerplan/), which evidence/ does not import. peerplan hands its count in when it
# starts (PeerPlanConfig.ready); without it a release's report names no organisation.
_count_impact = None


def count_impact_with(count):
    """Have every release's report say what `count(touched_findings, sources, added_findings)` returns: a
    list of OrganisationImpact, for the findings the release changed or retired, the sources it loaded and
    the findings it added (every finding of a new source)."""
    global _count_impact
    _count_impact = count


@dataclass
class ReleaseChoices:
    """What the curator said of a release's changes when applying it: the keys (`change_key`) of the changed
    findings that are minor changes (they flag nothing; every other change is major), the release's change
    note that planners read on each major one, who applied it and the Release row."""

    minor: set = field(default_factory=set)
    note: str = ""
    by: object = None
    release: object = None


def change_key(source_id, theme_name, kind):
    """The name of a changed finding's minor-or-major choice in the preview's form."""
    return f"change/{source_id}/{theme_name}/{kind or 'none'}"


class _DryRun(Exception):
    """Raised inside the import's transaction to roll back a dry run."""


def import_evidence(data, apps=global_apps, now=None, dry_run=False, organisation=None, progress=None, choices=None):
    """Load a release. Returns a ReleaseReport of what changed (or, with dry_run, what would have).

    `organisation` imports the file as that organisation's own sources, never published ones. The whole
    import is one transaction: on any error, or on a dry run, the database is left exactly as it was.
    `progress(done, total)` is told of each finding loaded, of all the findings in the file. `choices`
    (ReleaseChoices) says which changes are minor and the change note; without it every change is major.
    """
    data = validate(data)
    report = ReleaseReport(dry_run=dry_run)
    total = sum(len(t["findings"]) for s in data["sources"] for c in s["categories"] for t in c["themes"])
    counted = iter(range(1, total + 1))

    def tick():
        if progress:
            progress(next(counted), total)

    try:
        with transaction.atomic():
            _import(data, apps, now or timezone.now(), organisation, report, tick, details=dry_run, choices=choices)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def apply_release(data, use_the_file=(), apps=global_apps, choices=None):
    """Apply a release as its preview offered: every admin edit since the last release that the file would
    undo is kept as the curator saved it, except those whose `key` is in `use_the_file`, which take the
    file's value; everything else is applied as the file says. The report's `kept` and `used_file` list them.

    The edits are found again here, in the same transaction as the writes, so the choices apply to the
    evidence as it is now (an edit made since the preview is kept, as is the default)."""
    data = validate(data)
    with transaction.atomic():
        edits = [
            edit for source in import_evidence(data, apps=apps, dry_run=True).sources for edit in source.undone_edits
        ]
        kept = [edit for edit in edits if edit.key not in use_the_file]
        report = import_evidence(keep_admin_edits(json.loads(json.dumps(data)), kept), apps=apps, choices=choices)
    report.kept = kept
    report.used_file = [edit for edit in edits if edit.key in use_the_file]
    return report


def _import(data, apps, now, organisation, report, tick, details=False, choices=None):
    m = _models(apps)
    loaded = []
    added = set()
    for index, s_data in enumerate(data["sources"]):
        source, changes, finding_ids, added_ids = _import_source(
            s_data, index, m, now, organisation, tick, details, choices or ReleaseChoices()
        )
        report.sources.append(changes)
        loaded.append((source, s_data, changes, finding_ids))
        added |= added_ids
    # Related themes last: a link can point at a source later in the same file.
    for source, s_data, changes, _ in loaded:
        changes.related_skipped, changes.related_within = _link_related(source, s_data, m, organisation)
    touched = set()
    for _, _, _, finding_ids in loaded:
        touched |= finding_ids
    sources = [source for source, *_ in loaded]
    report.organisations = _count_impact(touched, sources, added) if _count_impact else []


def _import_source(s_data, index, m, now, organisation, tick, details=False, choices=None):
    """Load one source; returns it, its SourceChanges, the findings changed or retired and those added.
    With `details` (a preview), the changes also carry the findings' texts and the admin edits undone.
    Otherwise each changed finding's change is recorded as `choices` says (evidence/curation.py): a major
    one flags the checklists using it, a minor one none, and one back to an earlier content reverts."""
    Source = m["Source"]
    existing = Source.objects.filter(slug=s_data["id"], organisation=organisation).first()
    version = s_data["version"]
    if existing is not None and version <= existing.version:
        raise EvidenceFormatError(
            f"sources[{index}].version: {s_data['name']} version {version} is not newer than the version "
            f"{existing.version} already loaded; nothing was imported. A release must have a higher version."
        )
    since = last_release_at(existing, Source) if details and existing is not None else None
    reason = release_reason(s_data["name"], version)
    source = existing or Source(slug=s_data["id"], organisation=organisation)
    changes = SourceChanges(s_data["id"], s_data["name"], existing.version if existing else None, version)
    for name in SOURCE_FIELDS:
        value = s_data.get(name)
        if name == "footnotes":
            value = value or []
        elif name == "heading":
            value = value or "Category"
        elif value is None:
            value = ""
        setattr(source, name, value)
    source._change_reason = reason  # in the history, a release's writes are never taken for a curator's edit
    source.save()
    is_new_source = existing is None

    references = {}
    for entry in s_data["references"]:
        reference = m["Reference"].objects.filter(source=source, number=entry["number"]).first()
        if reference is None or reference.citation != entry.get("citation", ""):
            reference = reference or m["Reference"](source=source, number=entry["number"])
            reference.citation = entry.get("citation", "")
            reference._change_reason = reason
            reference.save()
        references[reference.number] = reference

    kept = set()
    touched = set()
    added = set()
    for c_position, c_data in enumerate(s_data["categories"], start=1):
        category = m["Category"].objects.filter(source=source, name=c_data["name"]).first()
        if category is None:
            category = m["Category"](
                source=source,
                name=c_data["name"],
                slug=unique_slug(m["Category"], c_data["name"], private=organisation is not None),
            )
        category.position = c_position
        category._change_reason = reason
        category.save()
        for t_position, t_data in enumerate(c_data["themes"], start=1):
            theme = m["Theme"].objects.filter(category__source=source, name=t_data["name"]).first()
            if theme is None:
                theme = m["Theme"](
                    name=t_data["name"], slug=unique_slug(m["Theme"], t_data["name"], private=organisation is not None)
                )
            theme.category = category
            theme.position = t_position
            if "description" in t_data:  # a file without one keeps the curator's
                theme.short_description = t_data["description"]
            theme._change_reason = reason
            theme.save()
            if "statements" in t_data:  # a file without them keeps the bank as curated
                _set_statements(theme, t_data["statements"], m, organisation, reason)
            if is_new_source and t_data["findings"]:
                changes.themes_added.append(theme.name)
            for f_position, f_data in enumerate(t_data["findings"], start=1):
                kind = f_data["kind"] or ""
                finding = m["Finding"].objects.filter(theme=theme, valence=kind).first()
                label = f"{theme.name}: {_kind_label(kind)}"
                if finding is None or finding.retired_in_version is not None:
                    if finding is None:
                        finding = m["Finding"](theme=theme, valence=kind, position=f_position)
                    finding.retired_in_version = None
                    finding.added_in_version = None if is_new_source else version
                    finding.position = f_position
                    finding._change_reason = reason
                    finding.save()
                    _set_references(finding, sorted(set(f_data["references"])), references)
                    _load_perspectives(finding, f_data["samples"], references, m["Perspective"], reason)
                    changes.added.append(label)
                    added.add(finding.pk)
                    if details:
                        changes.added_texts.append(
                            whole_texts(label, _texts(f_data["samples"]), sorted(set(f_data["references"])))
                        )
                else:
                    content_before = None if details else finding.content()
                    if details:
                        before = list(m["Perspective"].objects.filter(finding=finding).order_by("position", "pk"))
                        references_before = sorted(finding.references.values_list("number", flat=True))
                        # Read before the release writes its own versions into the history.
                        undone = undone_edits(before, f_data["samples"], since, m["Perspective"])
                        undone += undone_reference_edit(
                            finding, references_before, sorted(set(f_data["references"])), since, m["Finding"]
                        )
                        for edit in undone:
                            edit.finding = (s_data["id"], theme.name, f_data["kind"])
                    changed = finding.position != f_position
                    finding.position = f_position
                    finding._change_reason = reason  # before the references: their history record carries it too
                    changed |= _set_references(finding, sorted(set(f_data["references"])), references)
                    changed |= _load_perspectives(finding, f_data["samples"], references, m["Perspective"], reason)
                    if changed:
                        changes.changed.append(label)
                        touched.add(finding.pk)
                        if details:
                            text = changed_texts(
                                label,
                                [(p.group, p.summary) for p in before],
                                _texts(f_data["samples"]),
                                references_before,
                                sorted(set(f_data["references"])),
                            )
                            text.undone = undone
                            text.key = change_key(s_data["id"], theme.name, kind)
                            changes.changed_texts.append(text)
                    finding._change_reason = reason
                    finding.save()
                    if changed and not details:
                        minor = change_key(s_data["id"], theme.name, kind) in choices.minor
                        record_change(
                            finding,
                            content_before,
                            kind=MINOR if minor else MAJOR,
                            note=choices.note,
                            by=choices.by,
                            release=choices.release,
                            now=now,
                        )
                kept.add(finding.pk)
                tick()

    for finding in (
        m["Finding"]
        .objects.filter(theme__category__source=source, retired_in_version__isnull=True)
        .exclude(pk__in=kept)
        .select_related("theme")
        .prefetch_related("perspectives", "references")
        .order_by("theme__category__position", "theme__position", "position")
    ):
        finding.retired_in_version = version
        finding._change_reason = reason
        finding.save()
        label = f"{finding.theme.name}: {_kind_label(finding.valence)}"
        changes.retired.append(label)
        touched.add(finding.pk)
        if details:
            samples = sorted(finding.perspectives.all(), key=lambda p: (p.position, p.pk))
            numbers = sorted(reference.number for reference in finding.references.all())
            changes.retired_texts.append(whole_texts(label, [(p.group, p.summary) for p in samples], numbers))
    # References nobody cites any more (not even a retired finding) and not in the release go.
    m["Reference"].objects.filter(source=source).exclude(number__in=references).filter(
        findings__isnull=True, perspectives__isnull=True
    ).delete()
    return source, changes, touched, added


def _texts(samples):
    return [(sample["group"], sample["summary"]) for sample in samples]


def _kind_label(kind):
    return kind or "finding of no kind"


def _link_related(source, s_data, m, organisation):
    """Link each theme to the themes it names in other sources, looked up in the database as the release
    leaves it (a source later in the same file is already loaded); returns how many named themes are not
    here, and how many links name this same source (ignored: related evidence is across sources)."""
    skipped = within = 0
    for c_data in s_data["categories"]:
        for t_data in c_data["themes"]:
            if "related" not in t_data:
                continue
            theme = m["Theme"].objects.get(category__source=source, name=t_data["name"])
            targets = []
            for link in t_data["related"]:
                if link["source"] == source.slug:
                    within += 1
                    continue
                other = (
                    m["Theme"]
                    .objects.filter(
                        category__source__slug=link["source"],
                        category__source__organisation=organisation,
                        name=link["theme"],
                    )
                    .exclude(category__source=source)
                    .first()
                )
                if other is None:
                    skipped += 1
                else:
                    targets.append(other)
            theme.related.add(*targets)
    return skipped, within


def _set_statements(theme, texts, m, organisation, reason):
    """The theme's current check-in statements become `texts`, in that order: one already there (even retired)
    is kept and moved, a new text added, and one the file leaves out retired, never deleted, since the rounds
    that asked it keep their figures."""
    Statement = m["Statement"]
    existing = {s.text: s for s in Statement.objects.filter(theme=theme, organisation=organisation)}
    for position, text in enumerate(texts, start=1):
        statement = existing.pop(text, None) or Statement(theme=theme, organisation=organisation, text=text)
        if statement.pk is None or statement.position != position or statement.retired:
            statement.position, statement.retired = position, False
            statement._change_reason = reason
            statement.save()
    for statement in existing.values():
        if not statement.retired:
            statement.retired = True
            statement._change_reason = reason
            statement.save()


def _set_references(obj, numbers, references_by_number):
    current = sorted(reference.number for reference in obj.references.all())
    if current != numbers:
        obj.references.set([references_by_number[number] for number in numbers])
        return True
    return False


def _load_perspectives(finding, samples, references_by_number, Perspective, reason=None):
    """Bring a finding's perspectives in line with the release; True if anything published changed."""
    existing = list(
        Perspective.objects.filter(finding=finding).order_by("position", "pk").prefetch_related("references")
    )
    changed = len(existing) != len(samples)
    for position, sample in enumerate(samples, start=1):
        perspective = existing[position - 1] if position <= len(existing) else Perspective(finding=finding)
        stakeholders = sample.get("stakeholders", [])
        if (perspective.group, perspective.summary, perspective.stakeholders) != (
            sample["group"],
            sample["summary"],
            stakeholders,
        ):
            changed = True
        perspective.group = sample["group"]
        perspective.summary = sample["summary"]
        perspective.stakeholders = stakeholders
        perspective.position = position
        perspective._change_reason = reason
        perspective.save()
        changed |= _set_references(perspective, sorted(set(sample["references"])), references_by_number)
    for perspective in existing[len(samples) :]:
        perspective._change_reason = reason
        perspective.delete()
    return changed
