"""What the curation home shows: each published source with its version and releases, what curators changed
since its last release, how many checklists (in how many organisations) its changes ask to look again, and
the suggested actions waiting for review. Organisations are counted, never named: curators must not learn
which organisations use what."""

from dataclasses import dataclass, field

from django.db.models import Count

from evidence.history import edits_since_release
from evidence.interchange import sources_in
from evidence.models import Release, Source
from peerplan.figures.insights import evidence_updated_q
from peerplan.models import Item, SuggestedMitigation, not_archived

# Releases shown on the home, newest first; the list in the admin has every one.
RECENT_RELEASES = 20


@dataclass
class SourceOnTheHome:
    source: Source
    applied: list = field(default_factory=list)  # releases applied, newest first
    waiting: list = field(default_factory=list)  # uploaded, not yet applied
    since: object = None  # when its current version was released
    edits: list = field(default_factory=list)  # evidence.history.EditedRow
    flagged_checklists: int = 0
    flagged_organisations: int = 0


def flagged_by_source():
    """{source id: (checklists, organisations)} with items whose evidence changed since a planner last looked
    ("Needs a fresh look" on the checklist), on checklists not archived, in one query."""
    rows = (
        Item.objects.filter(evidence_updated_q(), not_archived(via="checklist__"))
        .filter(finding__theme__category__source__organisation__isnull=True)
        .values("finding__theme__category__source")
        .annotate(
            checklists=Count("checklist", distinct=True), organisations=Count("checklist__organisation", distinct=True)
        )
    )
    return {row["finding__theme__category__source"]: (row["checklists"], row["organisations"]) for row in rows}


def curation_home():
    sources = {source.slug: SourceOnTheHome(source) for source in Source.objects.published().order_by("pk")}
    recent = list(
        Release.objects.select_related("uploaded_by", "applied_by").order_by("-uploaded_at", "-pk")[:RECENT_RELEASES]
    )
    for release in recent:
        for slug, _name, version in sources_in(release.data):
            if slug in sources:
                entry = sources[slug]
                (entry.applied if release.applied_at else entry.waiting).append((release, version))
    flagged = flagged_by_source()
    for entry in sources.values():
        entry.since, entry.edits = edits_since_release(entry.source)
        entry.flagged_checklists, entry.flagged_organisations = flagged.get(entry.source.pk, (0, 0))
    # A release of a source not loaded yet waits under no source.
    new_sources = [
        (release, name, version)
        for release in recent
        if release.applied_at is None
        for slug, name, version in sources_in(release.data)
        if slug not in sources
    ]
    return {
        "sources": list(sources.values()),
        "new_sources": new_sources,
        "drafts": list(SuggestedMitigation.objects.filter(is_published=False).order_by("title")),
    }
