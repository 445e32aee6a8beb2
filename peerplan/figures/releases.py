"""What an evidence release does to organisations' plans, in counts only: the curators' preview and the
import command show it (evidence/interchange.py asks for it through `count_impact_with`, as evidence/ does
not import planning)."""

from django.db.models import Count

from evidence.interchange import OrganisationImpact
from evidence.models import Finding
from peerplan.models import Checklist, ChecklistStatus, Item


def release_impact(touched_findings, sources, added_findings=()):
    """Per organisation, how many checklists and items the release touches: items on changed or retired
    findings, and checklists that will be offered the findings it adds (every finding of a new source)."""
    impact = {}
    rows = (
        Item.objects.filter(finding__in=touched_findings)
        .values("checklist__organisation__name")
        .annotate(checklists=Count("checklist", distinct=True), items=Count("pk"))
    )
    for row in rows:
        impact[row["checklist__organisation__name"]] = [row["checklists"], row["items"]]
    for source in sources:
        added = Finding.objects.filter(
            theme__category__source=source, pk__in=added_findings, retired_in_version__isnull=True
        ).filter(valence__in=["challenge", "barrier", "benefit", "facilitator"])
        if not added.exists():
            continue
        checklists = Checklist.objects.filter(status=ChecklistStatus.ACTIVE).exclude(items__finding__in=added)
        if source.organisation_id:
            checklists = checklists.filter(organisation_id=source.organisation_id)
        offered = checklists.values("organisation__name").annotate(n=Count("pk", distinct=True))
        for row in offered:
            entry = impact.setdefault(row["organisation__name"], [0, 0])
            entry[0] = max(entry[0], row["n"])
    return [OrganisationImpact(name, c, i) for name, (c, i) in sorted(impact.items())]


def checklists_using(finding_ids):
    """(checklists, organisations) with an item on any of these findings: the curators' save message says
    how many will be asked to look again, in counts only (one query)."""
    totals = Item.objects.filter(finding__in=finding_ids).aggregate(
        checklists=Count("checklist", distinct=True), organisations=Count("checklist__organisation", distinct=True)
    )
    return totals["checklists"], totals["organisations"]
