"""What PeerPlan knows that a spreadsheet does not: how strong the evidence behind an item is, which
implementation phases have nothing planned, how much is co-produced, which evidence changed since a
planner last looked, and which suggestions would cover the most at once."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce

from evidence import cache as evidence_cache
from evidence.cache import finding_facts
from evidence.models import Perspective
from peerplan.figures.shared_learning import overall_for
from peerplan.lib.numbers import percent
from peerplan.lib.prepared import PreparedQuery
from peerplan.lib.text import word_diff
from peerplan.models import ImplementationPhase, Mitigation, SuggestedMitigation, SuggestionFigure

# A phase with fewer live mitigations than this is called out as thin.
FEW_MITIGATIONS = 2


@dataclass(frozen=True)
class EvidenceStrength:
    """How many distinct references a finding cites, across its own and its perspectives'. Each is a review
    only when its source is a review of reviews (Source.references_are_reviews, like Table 6); a framework's
    or a survey's references are just references, so one of them is never called "a single review"."""

    reference_numbers: list
    of_reviews: bool = False

    @property
    def reviews(self):
        return len(self.reference_numbers)

    @property
    def single_review(self):
        return self.reviews == 1

    @property
    def noun(self):
        """What one reference is: "review" or "reference"."""
        return "review" if self.of_reviews else "reference"

    @property
    def single_label(self):
        """As the checklist's row shows one: "Single review [3]" or "Single reference [1]"."""
        return f"Single {self.noun} [{self.reference_numbers[0]}]" if self.single_review else ""

    @property
    def count_label(self):
        """ "4 reviews" or "2 references"."""
        return f"{self.reviews} {self.noun}{'' if self.reviews == 1 else 's'}"

    def hint(self):
        if self.single_review:
            return f"Rests on a single {self.noun} [{self.reference_numbers[0]}]: treat it as a signal, not a finding."
        if self.of_reviews:
            return f"Reported in {self.reviews} reviews."
        return f"Cites {self.count_label}."


def evidence_strength(finding):
    """Uses the finding's prefetched references and perspectives, and its source, when they are there."""
    return EvidenceStrength(finding.cited_reference_numbers(), finding.theme.category.source.references_are_reviews)


def evidence_strengths(facts):
    """{finding id: EvidenceStrength} for every finding, from the cached evidence facts."""
    return {pk: EvidenceStrength(list(finding.reference_numbers), finding.of_reviews) for pk, finding in facts.items()}


@dataclass(frozen=True)
class PhaseCount:
    phase: object  # an ImplementationPhase, or None for mitigations with no phase yet
    live: int

    @property
    def is_empty(self):
        return self.live == 0

    @property
    def is_thin(self):
        return 0 < self.live < FEW_MITIGATIONS

    def gap_message(self):
        if self.phase is None:
            return ""
        if self.is_empty:
            return f"No live actions for {self.phase.name.lower()} yet."
        if self.is_thin:
            return f"Only {self.live} live action for {self.phase.name.lower()}."
        return ""


def live_by_phase(checklist):
    """The checklist's live mitigations counted per phase, with how many of them are co-produced and how many
    led by someone with lived experience: what phase_counts and co_production add up (one query for both,
    compiled once per process)."""
    return LIVE_BY_PHASE(checklist_id=checklist.pk)


LIVE_BY_PHASE = PreparedQuery(
    lambda checklist_id: (
        Mitigation.objects.filter(checklist_id=checklist_id)
        .live()
        .values("phase_id")
        .annotate(
            live=Count("pk"),
            co_produced=Count("pk", filter=Q(co_produced=True)),
            lived_experience_led=Count("pk", filter=Q(lived_experience_led=True)),
        )
        .order_by()
    )
)


def phase_counts(checklist, evidence_generation=None, live=None):
    """Live mitigations per implementation phase, every phase listed in order (two queries; one given the
    `evidence_generation` the page is built in: the phases, curated for everyone, are kept by it; none
    more given `live`, the counts live_by_phase read)."""
    if live is None:
        live = live_by_phase(checklist)
    counts = {row["phase_id"]: row["live"] for row in live}
    if evidence_generation is not None:
        phases = evidence_cache.kept_part(
            "phases", (), evidence_generation, lambda: tuple(ImplementationPhase.objects.all())
        )
    else:
        phases = ImplementationPhase.objects.all()
    result = [PhaseCount(phase, counts.get(phase.pk, 0)) for phase in phases]
    if counts.get(None):
        result.append(PhaseCount(None, counts[None]))
    return result


@dataclass(frozen=True)
class CoProduction:
    co_produced: int
    lived_experience_led: int
    live: int

    @property
    def percent(self):
        return percent(self.co_produced, self.live)


def co_production(checklist, live=None):
    """Share of the checklist's live mitigations co-produced with people with lived experience (one query;
    none given `live`, the counts per phase live_by_phase read)."""
    if live is None:
        live = live_by_phase(checklist)
    return CoProduction(
        co_produced=sum(row["co_produced"] for row in live),
        lived_experience_led=sum(row["lived_experience_led"] for row in live),
        live=sum(row["live"] for row in live),
    )


def evidence_updated_q(via=""):
    """The queryset form of evidence_updated(), for items (`via` reaches the item from another model)."""
    reviewed = Coalesce(F(f"{via}evidence_reviewed_at"), F(f"{via}checklist__created_at"))
    return Q(**{f"{via}finding__evidence_changed_at__gt": reviewed})


def evidence_updated(item):
    """True when curators or a new release changed the item's evidence after a planner last reviewed it
    (evidence_updated_q is the same rule for a queryset)."""
    changed = item.finding.evidence_changed_at
    if changed is None:
        return False
    reviewed = item.evidence_reviewed_at or item.checklist.created_at
    return changed > reviewed


def evidence_changes(item):
    """The major changes to the item's finding since a planner last reviewed it (not reverted), oldest first:
    each with its change note and, for the page, the word-level differences it made (one query)."""
    reviewed = item.evidence_reviewed_at or item.checklist.created_at
    return list(
        item.finding.changes.filter(reverted_at__isnull=True, made_at__gt=reviewed)
        .select_related("release")
        .order_by("made_at", "pk")
    )


@dataclass
class EvidenceChange:
    """A change recorded before curators' changes carried a note: one perspective's text then and now."""

    group: str
    before: str  # "" when the perspective is new since the review
    after: str  # "" when the perspective was removed

    @property
    def diff(self):
        return word_diff(self.before, self.after)


def unrecorded_changes(item, perspectives=None):
    """What changed in the item's perspectives since the planner last reviewed it, from the history: for a
    flag raised before major changes were recorded with their note (FindingChange). `perspectives`: the
    finding's as read already, if they were."""
    reviewed = item.evidence_reviewed_at or item.checklist.created_at
    changes = []
    current = {p.pk: p for p in (item.finding.perspectives.all() if perspectives is None else perspectives)}
    # Each perspective as it stood when reviewed: its latest history record up to then.
    latest = {}
    for record in Perspective.history.filter(finding_id=item.finding_id, history_date__lte=reviewed).order_by(
        "history_date"
    ):
        latest[record.id] = record
    then = {pk: record for pk, record in latest.items() if record.history_type != "-"}
    for pk, perspective in current.items():
        before = then.get(pk)
        if before is None:
            changes.append(EvidenceChange(perspective.group, "", perspective.summary))
        elif before.summary != perspective.summary or before.group != perspective.group:
            changes.append(EvidenceChange(perspective.group, before.summary, perspective.summary))
    for pk, record in then.items():
        if pk not in current:
            changes.append(EvidenceChange(record.group, record.summary, ""))
    return changes


@dataclass
class RankedSuggestion:
    suggestion: SuggestedMitigation
    items: list = field(default_factory=list)  # uncovered applicable challenge items it would address
    groups: set = field(default_factory=set)  # stakeholder groups whose challenges those are

    # The anonymous figure over all challenges (shared_learning.SuggestionFigure), or None.
    shared: object = None

    @property
    def leverage(self):
        return (len(self.items), len(self.groups))

    @property
    def done_by_many(self):
        """How many services that share anonymously have it done, as the page shows it ("about 10"), when
        at least MIN_SERVICES do ("adopted and done by many services"); 0 otherwise. The figure's words
        (shared_learning.suggestion_text), so the order tells no more than the figures shown."""
        text = self.shared.text if self.shared is not None else None
        return text.done_about if text is not None else 0


@dataclass(frozen=True)
class CuratedSuggestions:
    """Every published suggestion as the ranking reads it: (id, position, theme id) rows in the suggestions'
    own order, each one's anonymous figure over all challenges, and each one whole with what its citation is
    built from. Curated for every organisation (suggested actions, their themes, phases, sources and
    references, the figures' computation): a write to any of them replaces the evidence generation
    (organisation_generations._Changes, freshness.EVIDENCE), which it is kept by."""

    themes: tuple
    figures: dict
    suggestions: dict

    @classmethod
    def read(cls):
        published = SuggestedMitigation.objects.published()
        themes = (
            SuggestedMitigation.themes.through.objects.filter(suggestedmitigation__in=published)
            .order_by("suggestedmitigation__position", "suggestedmitigation__title", "suggestedmitigation_id")
            .values_list("suggestedmitigation_id", "suggestedmitigation__position", "theme_id")
        )
        return cls(
            themes=tuple(themes),
            # Over all challenges, of every suggestion (a withdrawn one's is never looked up).
            figures={f.suggestion_id: f for f in SuggestionFigure.objects.filter(finding__isnull=True)},
            suggestions=SuggestedMitigation.objects.for_planners().in_bulk(),
        )


def rank_suggestions(checklist, facts=None, uncovered=None, shown=None, evidence_generation=None, adopted=None):
    """Published suggestions not yet adopted in this checklist, ranked by how many uncovered applicable
    challenges they address, then by how many services that share anonymously adopted and got them done
    (from five, rounded), then by how many stakeholder groups reported those challenges.

    `uncovered`: the checklist's uncovered applicable challenges in published order with their findings, when
    the caller has them. `shown`: only the first so many. Suggestions are ranked from their ids and themes
    alone; only those returned are read whole, with the references their citations are built from (most
    never reach the page). Five queries (four given `uncovered`; none when every challenge is covered).
    Given the `evidence_generation` the page is built in (page_cache.evidence_generation), what is curated
    for everyone (CuratedSuggestions) is kept by this process for it: one query, the suggestions adopted, or
    none given `adopted` (the checklist's actions adopted from a suggestion, as {"suggestion_id": id} rows)."""
    if uncovered is None:
        uncovered = checklist.items.uncovered().select_related("finding__theme").in_published_order()
    uncovered = list(uncovered)
    if not uncovered:
        return []
    facts = facts if facts is not None else finding_facts()
    uncovered_themes = {item.finding.theme_id for item in uncovered}
    if adopted is None:
        adopted = Mitigation.objects.filter(checklist=checklist, suggestion__isnull=False).values("suggestion_id")
    if evidence_generation is not None:
        curated = evidence_cache.kept_part("curated-suggestions", (), evidence_generation, CuratedSuggestions.read)
        adopted = {row["suggestion_id"] for row in adopted}
        themes = [row for row in curated.themes if row[0] not in adopted]
    else:
        curated = None
        offered = SuggestedMitigation.objects.published().exclude(pk__in=adopted)
        themes = (
            SuggestedMitigation.themes.through.objects.filter(suggestedmitigation__in=offered)
            .order_by("suggestedmitigation__position", "suggestedmitigation__title", "suggestedmitigation_id")
            .values_list("suggestedmitigation_id", "suggestedmitigation__position", "theme_id")
        )
    # {suggestion id: the uncovered challenges' themes it addresses}, in the suggestions' own order.
    addressed, position = {}, {}
    for suggestion_id, at, theme_id in themes:
        position[suggestion_id] = at
        if theme_id in uncovered_themes:
            addressed.setdefault(suggestion_id, set()).add(theme_id)
    entries = {}
    for suggestion_id, its_themes in addressed.items():
        entry = entries[suggestion_id] = RankedSuggestion(suggestion=None)
        entry.items = [item for item in uncovered if item.finding.theme_id in its_themes]  # in published order
        for item in entry.items:
            entry.groups.update(facts[item.finding_id].groups)
    shared = curated.figures if curated is not None else overall_for(entries)
    for suggestion_id, entry in entries.items():
        entry.shared = shared.get(suggestion_id)
    ranked = sorted(
        entries,
        key=lambda pk: (-entries[pk].leverage[0], -entries[pk].done_by_many, -entries[pk].leverage[1], position[pk]),
    )[:shown]
    if curated is not None:
        suggestions = curated.suggestions
    else:
        suggestions = SuggestedMitigation.objects.for_planners().in_bulk(ranked)
    for suggestion_id in ranked:
        entries[suggestion_id].suggestion = suggestions[suggestion_id]
    return [entries[suggestion_id] for suggestion_id in ranked]
