"""The "peerplan-evidence/1" importer as it stood when migration 0002 was written, frozen here so that
migration keeps loading Table 6 into the models of its time (evidence/interchange.py moved on to
"peerplan-evidence/2" and models with several sources).

The original docstring:

Import updates in place by name (categories and themes by name, findings by valence within their
theme, perspectives by position), so checklists that point at findings keep working across a new
release. It refuses, changing nothing, a release that would remove a finding a checklist uses, and it
marks each finding whose published content changed so checklists can flag it for review.
"""

import json

from django.apps import apps as global_apps
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from evidence.parser import FORMAT
from evidence.parser import STAKEHOLDER_GROUPS as GROUPS

VALENCES = {"benefit", "challenge", None}
SOURCE_FIELDS = [
    "title",
    "authors",
    "journal",
    "year",
    "volume",
    "article",
    "doi",
    "table",
    "caveat",
    "footnotes",
]


class EvidenceFormatError(ValueError):
    """The file is not a valid evidence release; the message says what is wrong and where."""


def export_evidence(apps=global_apps):
    """The whole evidence base as the interchange dict, everything in published order."""
    Source = apps.get_model("evidence", "Source")
    Reference = apps.get_model("evidence", "Reference")
    Category = apps.get_model("evidence", "Category")
    Theme = apps.get_model("evidence", "Theme")
    Finding = apps.get_model("evidence", "Finding")
    Perspective = apps.get_model("evidence", "Perspective")

    source = Source.objects.order_by("pk").first()
    themes_by_category = {}
    for theme in Theme.objects.order_by("position", "pk"):
        themes_by_category.setdefault(theme.category_id, []).append(theme)
    findings_by_theme = {}
    for finding in Finding.objects.order_by("position", "pk").prefetch_related("references"):
        findings_by_theme.setdefault(finding.theme_id, []).append(finding)
    perspectives_by_finding = {}
    for perspective in Perspective.objects.order_by("position", "pk").prefetch_related("references"):
        perspectives_by_finding.setdefault(perspective.finding_id, []).append(perspective)

    def numbers(obj):
        return sorted(reference.number for reference in obj.references.all())

    return {
        "format": FORMAT,
        "source": {field: getattr(source, field) for field in SOURCE_FIELDS} if source else {},
        "references": [
            {"number": reference.number, "citation": reference.citation}
            for reference in Reference.objects.order_by("number")
        ],
        "categories": [
            {
                "name": category.name,
                "themes": [
                    {
                        "name": theme.name,
                        "findings": [
                            {
                                "valence": finding.valence or None,
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
                            for finding in findings_by_theme.get(theme.pk, [])
                        ],
                    }
                    for theme in themes_by_category.get(category.pk, [])
                ],
            }
            for category in Category.objects.order_by("position", "pk")
        ],
    }


def dumps(data):
    """Stable bytes for a given evidence base, so a round trip can be compared byte for byte."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def parse_json(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise EvidenceFormatError(f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None


def _require(condition, where, problem):
    if not condition:
        raise EvidenceFormatError(f"{where}: {problem}")


def _reference_list(value, where):
    _require(isinstance(value, list), where, "references must be a list of numbers")
    for index, number in enumerate(value):
        _require(
            isinstance(number, int) and not isinstance(number, bool) and number > 0,
            f"{where}[{index}]",
            f"reference {number!r} is not a whole number above 0",
        )
    return sorted(set(value))


def validate(data):
    """Check the whole release before anything is written; raise EvidenceFormatError naming the place."""
    _require(isinstance(data, dict), "file", "the top level must be a JSON object")
    _require(data.get("format") == FORMAT, "format", f"expected {FORMAT!r}, found {data.get('format')!r}")
    source = data.get("source")
    _require(isinstance(source, dict), "source", "must be an object")
    for field in ("title", "authors", "journal", "table"):
        _require(isinstance(source.get(field), str) and source.get(field), f"source.{field}", "is required text")
    _require(isinstance(source.get("year"), int), "source.year", "must be a whole number")
    _require(isinstance(source.get("footnotes", []), list), "source.footnotes", "must be a list")

    references = data.get("references")
    _require(isinstance(references, list), "references", "must be a list")
    seen_numbers = set()
    for index, reference in enumerate(references):
        where = f"references[{index}]"
        _require(isinstance(reference, dict), where, "must be an object")
        number = reference.get("number")
        _require(
            isinstance(number, int) and not isinstance(number, bool) and number > 0,
            f"{where}.number",
            f"reference {number!r} is not a whole number above 0",
        )
        _require(number not in seen_numbers, f"{where}.number", f"duplicate reference {number}")
        _require(isinstance(reference.get("citation", ""), str), f"{where}.citation", "must be text")
        seen_numbers.add(number)

    categories = data.get("categories")
    _require(isinstance(categories, list) and categories, "categories", "must be a non-empty list")
    category_names, theme_names = set(), set()
    for c_index, category in enumerate(categories):
        where = f"categories[{c_index}]"
        _require(isinstance(category, dict), where, "must be an object")
        name = category.get("name")
        _require(isinstance(name, str) and name.strip(), f"{where}.name", "is required text")
        _require(name not in category_names, f"{where}.name", f"duplicate category {name!r}")
        category_names.add(name)
        _require(isinstance(category.get("themes"), list), f"{where}.themes", "must be a list")
        for t_index, theme in enumerate(category["themes"]):
            where = f"categories[{c_index}].themes[{t_index}]"
            _require(isinstance(theme, dict), where, "must be an object")
            name = theme.get("name")
            _require(isinstance(name, str) and name.strip(), f"{where}.name", "is required text")
            _require(name not in theme_names, f"{where}.name", f"duplicate theme {name!r}")
            theme_names.add(name)
            _require(isinstance(theme.get("findings"), list), f"{where}.findings", "must be a list")
            valences = set()
            for f_index, finding in enumerate(theme["findings"]):
                where = f"categories[{c_index}].themes[{t_index}].findings[{f_index}]"
                _require(isinstance(finding, dict), where, "must be an object")
                valence = finding.get("valence")
                _require(valence in VALENCES, f"{where}.valence", f"unknown valence {valence!r}")
                # Findings are matched by valence on import, so a theme holds at most one of each.
                _require(
                    valence not in valences,
                    f"{where}.valence",
                    f"a second {valence or 'unvalenced'} finding in {name!r}",
                )
                valences.add(valence)
                _reference_list(finding.get("references"), f"{where}.references")
                _require(isinstance(finding.get("samples"), list), f"{where}.samples", "must be a list")
                for s_index, sample in enumerate(finding["samples"]):
                    where = f"categories[{c_index}].themes[{t_index}].findings[{f_index}].samples[{s_index}]"
                    _require(isinstance(sample, dict), where, "must be an object")
                    _require(
                        sample.get("group") in GROUPS,
                        f"{where}.group",
                        f"unknown group {sample.get('group')!r}",
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
    _require(not missing, "references", f"numbers used but not listed: {missing}")


def _set_references(obj, numbers, references_by_number):
    current = sorted(reference.number for reference in obj.references.all())
    if current != numbers:
        obj.references.set([references_by_number[number] for number in numbers])
        return True
    return False


@transaction.atomic
def import_evidence(data, apps=global_apps, now=None):
    """Load a validated release, updating in place by name. Returns counts of what changed.

    The whole import is one transaction: on any error the database is left exactly as it was.
    """
    validate(data)
    now = now or timezone.now()
    Source = apps.get_model("evidence", "Source")
    Reference = apps.get_model("evidence", "Reference")
    Category = apps.get_model("evidence", "Category")
    Theme = apps.get_model("evidence", "Theme")
    Finding = apps.get_model("evidence", "Finding")
    Perspective = apps.get_model("evidence", "Perspective")
    Item = apps.get_model("peerplan", "Item") if _has_model(apps, "peerplan", "Item") else None
    stats = {"created": 0, "changed": 0, "removed": 0}

    source = Source.objects.order_by("pk").first() or Source()
    for field in SOURCE_FIELDS:
        setattr(source, field, data["source"].get(field, [] if field == "footnotes" else ""))
    source.save()

    references_by_number = {}
    for entry in data["references"]:
        reference, created = Reference.objects.get_or_create(
            number=entry["number"], defaults={"citation": entry.get("citation", "")}
        )
        if not created and reference.citation != entry.get("citation", ""):
            reference.citation = entry.get("citation", "")
            reference.save()
        references_by_number[reference.number] = reference

    kept_findings = set()
    kept_themes = set()
    kept_categories = set()
    for c_position, c_data in enumerate(data["categories"], start=1):
        category, _ = Category.objects.update_or_create(
            name=c_data["name"],
            defaults={"position": c_position, "slug": _unique_slug(Category, c_data["name"])},
        )
        kept_categories.add(category.pk)
        for t_position, t_data in enumerate(c_data["themes"], start=1):
            theme = Theme.objects.filter(name=t_data["name"]).first()
            if theme is None:
                theme = Theme(name=t_data["name"], slug=_unique_slug(Theme, t_data["name"]))
            theme.category = category
            theme.position = t_position
            theme.save()
            kept_themes.add(theme.pk)
            for f_position, f_data in enumerate(t_data["findings"], start=1):
                valence = f_data["valence"] or ""
                finding = Finding.objects.filter(theme=theme, valence=valence).first()
                created = finding is None
                if created:
                    finding = Finding.objects.create(theme=theme, valence=valence, position=f_position)
                    stats["created"] += 1
                changed = finding.position != f_position
                finding.position = f_position
                changed |= _set_references(finding, f_data["references"], references_by_number)
                changed |= _load_perspectives(finding, f_data["samples"], references_by_number, Perspective)
                if changed and not created:
                    finding.evidence_changed_at = now
                    stats["changed"] += 1
                finding.save()
                kept_findings.add(finding.pk)

    gone = Finding.objects.exclude(pk__in=kept_findings)
    if Item is not None:
        in_use = Item.objects.filter(finding__in=gone).select_related("finding__theme")
        if in_use.exists():
            names = sorted({str(item.finding.theme.name) for item in in_use})
            raise EvidenceFormatError(
                f"categories: this release removes findings that checklists use ({', '.join(names)}); "
                "nothing was imported. Keep those themes and findings in the release."
            )
    stats["removed"] = gone.count()
    Perspective.objects.filter(finding__in=gone).delete()
    gone.delete()
    Theme.objects.exclude(pk__in=kept_themes).filter(findings__isnull=True).delete()
    Category.objects.exclude(pk__in=kept_categories).filter(themes__isnull=True).delete()
    Reference.objects.exclude(number__in=references_by_number).filter(
        findings__isnull=True, perspectives__isnull=True
    ).delete()
    return stats


def _load_perspectives(finding, samples, references_by_number, Perspective):
    """Bring a finding's perspectives in line with the release; True if anything published changed."""
    existing = list(
        Perspective.objects.filter(finding=finding).order_by("position", "pk").prefetch_related("references")
    )
    changed = len(existing) != len(samples)
    for position, sample in enumerate(samples, start=1):
        perspective = existing[position - 1] if position <= len(existing) else Perspective(finding=finding)
        stakeholders = sample.get("stakeholders", [])
        if (perspective.pk, perspective.group, perspective.summary, perspective.stakeholders) != (
            perspective.pk,
            sample["group"],
            sample["summary"],
            stakeholders,
        ):
            changed = True
        perspective.group = sample["group"]
        perspective.summary = sample["summary"]
        perspective.stakeholders = stakeholders
        perspective.position = position
        perspective.save()
        changed |= _set_references(perspective, sample["references"], references_by_number)
    for perspective in existing[len(samples) :]:
        perspective.delete()
    return changed


def _unique_slug(model, name):
    existing = model.objects.filter(name=name).values_list("slug", flat=True).first()
    if existing:
        return existing
    base = slugify(name)[:190] or "untitled"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _has_model(apps, app_label, model_name):
    try:
        apps.get_model(app_label, model_name)
    except LookupError:
        return False
    return True
