"""The checklist, item, review summary and phases pages, each in a fixed number of queries."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Prefetch, prefetch_related_objects

from evidence import cache as evidence_cache
from evidence.cache import finding_facts
from evidence.models import Perspective
from peerplan.figures import check_ins as check_in_figures
from peerplan.figures import insights, shared_learning
from peerplan.lib.prepared import PreparedQuery, as_prefetched
from peerplan.models import (
    PUBLISHED_ORDER,
    Coverage,
    Item,
    Mitigation,
    MitigationStatus,
    ReviewProgress,
    SuggestedMitigation,
    addressed_items,
)
from peerplan.models.shared_learning import HOLD, MIN_SERVICES, ROUND_TO
from peerplan.operations import releases
from peerplan.pages import dashboard, history
from peerplan.pages.dashboard import LEVERAGE_SHOWN
from peerplan.pages.findings import kept_findings, with_findings

# How a stakeholder group reads in "Challenges reported by ...: 4 of 6 covered".
GROUP_PHRASES = {
    "PSWs": "reported by PSWs",
    "Service users": "reported by service users",
    "Non-peer staff": "reported by non-peer staff",
    "Peer support group members": "reported by peer support group members",
    "Mental health organisations": "reported by mental health organisations",
    "Mixed": "reported by mixed samples",
}


@dataclass
class ThemeGroup:
    theme: object
    items: list


@dataclass
class CategoryGroup:
    category: object
    themes: list

    @property
    def items(self):
        """Its themes' items, in order."""
        return [item for theme in self.themes for item in theme.items]


def group_by_category_and_theme(entries, item_of=lambda entry: entry):
    """Entries (already in published order) as categories of themes of entries, for a page to loop over.
    `item_of` finds the item in an entry that wraps one (the report's rows)."""
    groups = []
    for entry in entries:
        theme = item_of(entry).finding.theme
        if not groups or groups[-1].category.pk != theme.category_id:
            groups.append(CategoryGroup(category=theme.category, themes=[]))
        themes = groups[-1].themes
        if not themes or themes[-1].theme.pk != theme.pk:
            themes.append(ThemeGroup(theme=theme, items=[]))
        themes[-1].items.append(entry)
    return groups


def status_summary(item):
    """[(label, count)] of an item's mitigations by status, from with_mitigation_counts()."""
    return [(label, getattr(item, counted)) for counted, label in _STATUS_COUNTS if getattr(item, counted)]


# (the count's name, the status's label) for each status, in order: made once, not for each item of each page.
_STATUS_COUNTS = tuple((f"{value}_count", label) for value, label in MitigationStatus.choices)


# The checklist page's queries built the same way on every request, compiled once per process
# (peerplan/lib/prepared.py): building and compiling the items query alone cost more than running it.
ITEMS = PreparedQuery(
    lambda checklist_id, today: (
        Item.objects.filter(checklist_id=checklist_id)
        # Not their findings, themes and categories (with_findings puts them in), nor who decided (the page
        # does not show it; the review's summary does).
        .with_coverage()
        .with_mitigation_counts()
        .with_overdue_counts(today)
        .in_published_order()
    )
)
ADOPTED = PreparedQuery(
    lambda checklist_id: Mitigation.objects.filter(checklist_id=checklist_id, suggestion__isnull=False).values(
        "suggestion_id"
    )
)


def evidence_offers(checklist, items, evidence_generation):
    """releases.offers(checklist), whose query is run only when the evidence has a finding for the checklist's
    organisation that `items` (all the checklist's) lack: nearly every checklist has them all, nearly always,
    and its misses then read nothing for it."""
    plannable = kept_findings(evidence_generation).plannable
    offered = plannable.get(None, frozenset()) | plannable.get(checklist.organisation_id, frozenset())
    lacks = not offered <= {item.finding_id for item in items}
    return releases.offers(checklist) if lacks else []


def checklist_page(checklist, today, evidence_generation):
    """Everything the checklist page shows, in a fixed number of queries whatever its size:
    items with counts and coverage (1; the coverage figures, each group's lens and the uncovered challenges
    the suggestions are ranked against are read from them), live mitigations per phase with how many are
    co-produced (1), the suggestion each action was adopted from (1: the ranking leaves those out, and the
    actions of one adopted twice, offered to merge, are read only when there are some), the check-in's trends
    beside each challenge (1 without a check-in, 7 with one: figures.check_ins), the new evidence on offer (1,
    only when the evidence has a finding the checklist lacks: evidence_offers). What is the evidence's or
    curated for everyone (the items' findings with their themes and categories, the evidence facts, the
    phases, the suggestions with their themes and figures) is kept by this process for the
    `evidence_generation` the page is built in (page_cache.evidence_generation)."""
    items = with_findings(ITEMS(checklist_id=checklist.pk, today=today), evidence_generation)
    for item in items:
        item.checklist = checklist  # as checklist.items would have it (the evidence's "updated" reads it)
    facts = evidence_cache.kept_part("finding-facts", (), evidence_generation, finding_facts)
    strengths = evidence_cache.kept_part(
        "evidence-strengths", (), evidence_generation, lambda: insights.evidence_strengths(facts)
    )
    # Without their charts: a trend's is drawn when its kept part is rendered ({% check_in_trend %}).
    check_in, trends = check_in_figures.check_in_with_trends(checklist, with_charts=False)
    for item in items:
        item.check_in = trends.get(item.pk)
        item.statuses = status_summary(item)
        item.strength = strengths[item.finding_id]
        item.evidence_updated = insights.evidence_updated(item)
    # A challenge closed after a release retired its finding is out of the review and the figures (as
    # ItemQuerySet.challenges() has it); the page still lists it apart.
    challenges = [item for item in items if item.is_challenge and not item.is_closed]
    closed = [item for item in items if item.is_challenge and item.is_closed]
    benefits = [item for item in items if item.is_benefit]
    # A benefit chosen as an outcome sits with the challenges of its theme: what the service guards
    # against and what it means to gain, read together.
    chosen = {}
    for benefit in benefits:
        if benefit.applies:
            chosen.setdefault(benefit.finding.theme_id, []).append(benefit)
    seen_themes = set()
    for item in challenges:
        first = item.finding.theme_id not in seen_themes
        seen_themes.add(item.finding.theme_id)
        item.outcomes = chosen.get(item.finding.theme_id, []) if first else []
    # The figures below read the items already fetched (with their coverage) rather than fetch them again.
    applicable = [item for item in challenges if item.applies]
    uncovered = [item for item in applicable if not item.is_covered]
    by_group = checklist.coverage_by_group(facts, applicable)
    # Which suggestion each of its actions was adopted from, read once: the ranking leaves those out, and
    # one adopted twice is offered to merge.
    adopted = ADOPTED(checklist_id=checklist.pk)
    live = insights.live_by_phase(checklist)
    return {
        "check_in": check_in,
        "review_progress": ReviewProgress(decided=sum(item.is_decided for item in challenges), total=len(challenges)),
        "coverage": Coverage.of(applicable),
        "coverage_by_group": [(GROUP_PHRASES.get(group, group), by_group[group]) for group in by_group],
        "uncovered": uncovered,
        "not_applicable_count": sum(1 for item in challenges if not item.applies),
        "rereview_due": [item for item in challenges if item.is_rereview_due(today)],
        "evidence_updated": [item for item in items if item.evidence_updated],
        # A release retired their finding and nobody has kept or closed them yet.
        "retired_undecided": [item for item in items if item.awaits_retired_choice],
        "challenge_groups": group_by_category_and_theme(challenges),
        "closed_challenges": closed,
        "benefit_groups": group_by_category_and_theme(benefits),
        "chosen_outcomes": sum(1 for item in benefits if item.applies),
        "benefit_count": len(benefits),
        "phases": insights.phase_counts(checklist, evidence_generation, live=live),
        "co_production": insights.co_production(checklist, live=live),
        "leverage": insights.rank_suggestions(
            checklist,
            facts,
            uncovered,
            shown=LEVERAGE_SHOWN,
            evidence_generation=evidence_generation,
            adopted=adopted,
        ),
        "duplicates": duplicate_groups(checklist, adopted),
        "offers": evidence_offers(checklist, items, evidence_generation),
    }


def duplicate_groups(checklist, adopted):
    """[(suggestion, [actions])] adopted more than once on the checklist, to offer "merge into one": `adopted`,
    the checklist's actions adopted from a suggestion as {"suggestion_id": id} rows, says which (one query, none
    unless a suggestion repeats in them)."""
    times = Counter(row["suggestion_id"] for row in adopted)
    twice = [suggestion_id for suggestion_id, count in times.items() if count > 1]
    if not twice:
        return []
    actions = checklist.mitigations.filter(suggestion_id__in=twice)
    groups = {}
    for action in actions.select_related("suggestion").order_by("suggestion_id", "pk"):
        groups.setdefault(action.suggestion_id, (action.suggestion, []))[1].append(action)
    return list(groups.values())


def evidence_in_place(item):
    """What the evidence partial shows for an item: the finding with its references and perspectives
    (three queries) and its own source (one, unless the loader fetched it)."""
    finding = _with_its_evidence(item.finding)
    return _evidence_shown(
        item,
        references=list(finding.references.all()),
        perspectives=list(finding.perspectives.all()),
        strength=insights.evidence_strength(finding),
        updated=insights.evidence_updated(item),
    )


def _with_its_evidence(finding):
    """The finding with its references and perspectives (with theirs) in one prefetch, so the strength, the
    changes since review and the page all read the same rows."""
    prefetch_related_objects(
        [finding],
        "references",
        Prefetch("perspectives", queryset=Perspective.objects.order_by("position").prefetch_related("references")),
    )
    return finding


def _evidence_shown(item, *, references, perspectives, strength, updated):
    """What the evidence partial shows for an item, from its finding's `references`, `perspectives`, their
    `strength` and whether the evidence was `updated` since the item's review."""
    finding = item.finding
    source = finding.theme.category.source
    return {
        # The version the text shown comes from: a retired finding's is the last one that published it.
        "text_version": finding.published_version() if finding.is_retired else source.version,
        "finding": finding,
        "strength": strength,
        "evidence_updated": updated,
        "finding_references": references,
        "perspectives": perspectives,
        "has_mixed": any(p.is_mixed for p in perspectives),
        "mixed_footnote": source.footnote("a") if source else "",
        "source": source,
    }


@dataclass(frozen=True)
class EvidenceOnly:
    """What the item page shows that the evidence alone decides, for one finding: its references, its
    perspectives with theirs, the suggested actions for its theme (with their phases, sources and citations'
    references) and their anonymous figures, and the related themes of other published sources.

    Kept per process by the evidence generation and the finding (evidence_cache.kept_part). The key is
    complete: every row read here is evidence (findings, perspectives, references, themes, categories and
    published sources, whose writes replace the evidence generation; an organisation's own source's themes,
    findings and perspectives are evidence too) or curated for every organisation (suggested actions, phases,
    the anonymous figures' computation, whose writes replace it as well: organisation_generations._Changes),
    and none is filtered by who reads it. What an organisation's own data decides stays outside: its own
    source (name, version, whether references are reviews), the item's decisions, which suggestions it
    adopted and whether it shares its figures."""

    finding_references: tuple
    perspectives: tuple
    cited_reference_numbers: tuple
    suggestions: tuple
    shared: dict | None
    related: tuple


def _evidence_only(item):
    finding = _with_its_evidence(item.finding)
    suggestions = list(
        SuggestedMitigation.objects.for_planners().filter(themes=finding.theme_id).order_by("position", "title")
    )
    return EvidenceOnly(
        finding_references=tuple(finding.references.all()),
        perspectives=tuple(finding.perspectives.all()),
        cited_reference_numbers=tuple(finding.cited_reference_numbers()),
        suggestions=tuple(suggestions),
        shared=_shared_figures(item, suggestions),
        related=tuple(finding.theme.related_elsewhere()),
    )


# The item page's actions and the items each addresses (what prefetching addressed_items() would read, by
# hand: a prepared query cannot prefetch), compiled once per process (peerplan/lib/prepared.py): building and
# compiling them cost more than running them.
ITEM_ACTIONS = PreparedQuery(
    lambda item_id: (
        Mitigation.objects.filter(items=item_id)
        .select_related("owner", "phase", "suggestion", "checklist")
        .order_by("created_at", "pk")
    )
)
ITEM_ACTIONS_ADDRESSED = PreparedQuery(
    lambda item_id: (
        Mitigation.items.through.objects.filter(mitigation__items=item_id)
        # Not the items' findings, themes and categories: with_findings puts them in.
        .select_related("item")
        .order_by(*(f"item__{field}" for field in PUBLISHED_ORDER))
    )
)


def _with_addressed(mitigations, links):
    """`mitigations` with the items each addresses (from `links`, ITEM_ACTIONS_ADDRESSED's rows) where
    prefetch_related(addressed_items()) puts them: mitigation.items.all() reads them, in published order."""
    addressed = {}
    for link in links:
        addressed.setdefault(link.mitigation_id, []).append(link.item)
    return as_prefetched(mitigations, "items", addressed)


def item_page(item, membership, evidence_generation):
    """The item with its evidence in place, its mitigations, the suggestions for its theme and its timeline.
    `evidence_generation`: the one the page is built in (page_cache.evidence_generation), which the parts
    of the page that show only the evidence are kept by."""
    finding = item.finding
    source = finding.theme.category.source
    # Whether the finding is a challenge (its kind) and its source's id are evidence; whether that source is
    # an organisation's own is in the key too, since the shared figures are never shown for one.
    kept = evidence_cache.kept_part(
        "item-evidence",
        (finding.pk, source.pk, source.organisation_id is None),
        evidence_generation,
        lambda: _evidence_only(item),
    )
    updated = insights.evidence_updated(item)
    mitigations = ITEM_ACTIONS(item_id=item.pk)
    if mitigations:  # as a prefetch, none without actions
        links = ITEM_ACTIONS_ADDRESSED(item_id=item.pk)
        with_findings([link.item for link in links], evidence_generation)
        _with_addressed(mitigations, links)
    adopted = {m.suggestion_id for m in mitigations if m.suggestion_id}
    shared = None
    if kept.shared is not None:
        shared = {**kept.shared, "shares": item.checklist.organisation.share_anonymously}
    return {
        **_evidence_shown(
            item,
            references=kept.finding_references,
            perspectives=kept.perspectives,
            strength=insights.EvidenceStrength(list(kept.cited_reference_numbers), source.references_are_reviews),
            updated=updated,
        ),
        # Without its chart, drawn when its kept part is rendered ({% check_in_trend %}).
        "check_in": check_in_figures.trends_for_items(item.checklist, item=item.pk, with_charts=False).get(item.pk),
        "shared": shared,
        "item": item,
        **_changes_since_review(item, updated, kept.perspectives),
        "timeline": history.item_timeline(item),
        "checklist": item.checklist,
        "membership": membership,
        "mitigations": mitigations,
        "suggestions": [(s, s.pk in adopted) for s in kept.suggestions],
        "related": kept.related,
    }


def _changes_since_review(item, updated, perspectives):
    """What the "Evidence updated" flag shows: each major change since the review with its note and
    differences (one query), or, for a flag raised before changes were recorded, the perspectives' texts
    then and now from the history (`perspectives`: the finding's now)."""
    if not updated:
        return {"evidence_changes": [], "unrecorded_changes": []}
    changes = insights.evidence_changes(item)
    if changes:
        return {"evidence_changes": changes, "unrecorded_changes": []}
    return {"evidence_changes": [], "unrecorded_changes": insights.unrecorded_changes(item, perspectives)}


def _shared_figures(item, suggestions):
    """ "What services like yours did" for a challenge of the published evidence (three queries; none for
    an organisation's own evidence or a benefit, which are never shared). Each suggestion gets its figure
    as `suggestion.shared`."""
    if not item.is_challenge or item.finding.theme.category.source.organisation_id is not None:
        return None
    shared = shared_learning.for_item(item, suggestions)
    # Set once, on suggestions read for this part alone (kept with it, never read again).
    for suggestion in suggestions:
        suggestion.shared = shared["by_suggestion"].get(suggestion.pk)
    # Ordered by the numbers a reader sees ("about 10"), then the curated order: nothing finer.
    shared["most_adopted"] = sorted(
        (s for s in suggestions if s.shared and s.shared.text),
        key=lambda s: (-s.shared.text.adopted_about, s.position),
    )[:3]
    shared["min_services"], shared["round_to"] = MIN_SERVICES, ROUND_TO
    shared["hold"] = HOLD
    return shared


def review_summary_page(checklist):
    """The review's check-answers summary: every challenge with its decision, who took it and when (one
    query; the review progress is counted from the same rows)."""
    items = list(
        checklist.items.challenges().select_related("finding__theme__category", "decided_by").in_published_order()
    )
    progress = ReviewProgress(decided=sum(item.is_decided for item in items), total=len(items))
    return {"groups": group_by_category_and_theme(items), "progress": progress, "items": items}


def phases_page(checklist):
    """The checklist's mitigations by phase of introducing PSWs, with the phases that have few or none."""
    mitigations = list(
        checklist.mitigations.select_related("owner", "phase")
        .prefetch_related(addressed_items())
        .order_by("phase__position", "due_date", "pk")
    )
    live = insights.live_by_phase(checklist)
    counts = insights.phase_counts(checklist, live=live)
    by_phase = [
        (count, [m for m in mitigations if m.phase_id == (count.phase.pk if count.phase else None)]) for count in counts
    ]
    if not any(count.phase is None for count in counts):
        unphased = [m for m in mitigations if m.phase_id is None]
        if unphased:
            by_phase.append((insights.PhaseCount(None, 0), unphased))
    return {"by_phase": by_phase, "co_production": insights.co_production(checklist, live=live)}


# The action page shows the latest few changes; the full history is a link away.
RECENT_CHANGES = 5


def action_page(mitigation, membership, user, members):
    """What the action's own page shows besides its comments and files, in a fixed number of queries: the
    in-place status, owner and due date (none: dashboard.prepare_quick_edit, given the membership the access
    check read and the organisation's `members`, dashboard.MEMBERS' rows, which the page reads once for this
    and the handles one can mention), other actions adopted from the same suggestion (0 or 1), and its latest
    changes (history.mitigation_timeline's fixed count)."""
    dashboard.prepare_quick_edit([mitigation], user, memberships=[membership], member_rows=members)
    timeline = history.mitigation_timeline(mitigation)
    return {
        "addressed": mitigation.addressed,
        "owner_choices": dashboard.owner_choices([mitigation]),
        "duplicates": duplicates_of(mitigation) if membership.can_edit else [],
        "recent": timeline[:RECENT_CHANGES],
        "more_history": len(timeline) > RECENT_CHANGES,
    }


def duplicates_of(mitigation):
    """Other actions of the checklist adopted from the same suggestion (one query; none when not adopted)."""
    if mitigation.suggestion_id is None:
        return []
    return list(
        Mitigation.objects.filter(checklist_id=mitigation.checklist_id, suggestion_id=mitigation.suggestion_id)
        .exclude(pk=mitigation.pk)
        .select_related("owner")
        .order_by("created_at", "pk")
    )
