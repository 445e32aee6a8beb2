"""The evidence's findings with their themes and categories, kept by this process per evidence generation: what
the pages that show an organisation's items by their challenges read instead of joining the evidence again."""

from dataclasses import dataclass

from django.db.models import F

from evidence import cache as evidence_cache
from evidence.models import Finding


@dataclass(frozen=True)
class Findings:
    """Every finding with its theme and category (`by_id`), one of each theme's (`of_theme`: {theme id: finding},
    what the coverage grid names its rows by), and the ids of the current ones of a kind a checklist
    plans for by their source's organisation (`plannable`: None for the published sources, as
    operations.checklists.checklist_findings chooses them): the evidence alone, read in one query and kept by
    this process per evidence generation (evidence_cache.kept_part), as the evidence facts are. Shared by every
    page built in that generation, so read, never changed."""

    by_id: dict
    of_theme: dict
    plannable: dict

    @classmethod
    def read(cls):
        by_id = (
            Finding.objects.select_related("theme__category")
            .annotate(source_organisation_id=F("theme__category__source__organisation_id"))
            .in_bulk()
        )
        plannable = {}
        for finding in by_id.values():
            if not finding.is_retired and finding.plans_for is not None:
                plannable.setdefault(finding.source_organisation_id, set()).add(finding.pk)
        of_theme = {finding.theme_id: finding for finding in by_id.values()}
        return cls(by_id, of_theme, {organisation_id: frozenset(ids) for organisation_id, ids in plannable.items()})


def kept_findings(evidence_generation):
    """Findings, kept by this process for `evidence_generation` (the one the page is built in)."""
    return evidence_cache.kept_part("findings", (), evidence_generation, Findings.read)


def with_findings(items, evidence_generation):
    """`items` with their findings, themes and categories (as select_related("finding__theme__category")
    would have them), from the ones this process keeps for `evidence_generation` (the one the page is built
    in): a checklist's 25 items read with theirs made 100 model instances where 25 are the checklist's own,
    nearly half the cost of its items query."""
    findings = kept_findings(evidence_generation).by_id
    for item in items:
        item.finding = findings[item.finding_id]
    return items
