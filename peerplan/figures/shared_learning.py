"""Computing the anonymous figures across sharing organisations, and what pages read of them."""

import statistics
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from evidence.models import TO_MITIGATE
from peerplan.models import (
    ChallengeFigure,
    ChecklistStatus,
    Item,
    Mitigation,
    MitigationStatus,
    Organisation,
    SharedLearningRun,
    SuggestionFigure,
)
from peerplan.models.shared_learning import (
    ChallengeCounts,
    SuggestionCounts,
    next_challenge_counts,
    next_services_count,
    next_suggestion_counts,
)


def _sharing_items():
    """Published challenges of sharing organisations' active checklists (the only rows counted)."""
    return Item.objects.filter(
        checklist__organisation__share_anonymously=True,
        checklist__organisation__deleted_at__isnull=True,
        checklist__status=ChecklistStatus.ACTIVE,
        finding__valence__in=TO_MITIGATE,
        finding__theme__category__source__organisation__isnull=True,
    ).exclude(retired_choice="closed")


@dataclass
class _Tally:
    adopted: set
    done: set
    days: dict  # organisation id -> days from its first adoption that got done to done


def compute(*, log=None):
    """Recompute every figure from the organisations that share anonymously, replacing the previous ones.

    Memory stays bounded whatever the number of organisations: the database groups the rows (one row per
    organisation and challenge, or per organisation, challenge and suggestion) and they are read as a
    stream; what is kept is a few counters per challenge and suggestion and, for the medians, one number
    per service per suggestion."""
    started_at, clock = timezone.now(), time.monotonic()
    say = log or (lambda message: None)
    items = _sharing_items()

    # 1. Decisions: per organisation and challenge, whether it was decided and whether it applies.
    decisions = (
        items.filter(decided_at__isnull=False)
        .values("finding_id", "checklist__organisation_id")
        .annotate(applies=Count("pk", filter=Q(applies=True)))  # not Max: PostgreSQL has no max(boolean)
        .order_by()
    )
    challenge = {}
    organisations = set()
    for n, row in enumerate(decisions.iterator(chunk_size=5000), 1):
        deciding, applying = challenge.get(row["finding_id"], (0, 0))
        challenge[row["finding_id"]] = (deciding + 1, applying + (1 if row["applies"] else 0))
        organisations.add(row["checklist__organisation_id"])
        if n % 20000 == 0:
            say(f"  decisions: {n} organisation-challenge pairs read")
    say(f"Decisions: {len(challenge)} challenges from {len(organisations)} organisations.")

    # 2. Adoptions: per organisation, challenge and suggestion, whether it was adopted and when the first
    # of its actions got done (the earliest history record saying "done"; read as a stream).
    Link = Mitigation.items.through
    first_done = (
        Mitigation.history.filter(id=OuterRef("mitigation_id"), status=MitigationStatus.DONE)
        .order_by("history_date")
        .values("history_date")[:1]
    )
    links = (
        Link.objects.filter(
            mitigation__suggestion__isnull=False,
            mitigation__suggestion__is_published=True,
            item__in=items,
        )
        .annotate(done_at=Subquery(first_done))
        .values_list(
            "item__finding_id",
            "mitigation__suggestion_id",
            "mitigation__checklist__organisation_id",
            "mitigation__status",
            "mitigation__created_at",
            "done_at",
        )
        .order_by()
    )
    tallies = {}

    def tally(key):
        if key not in tallies:
            tallies[key] = _Tally(set(), set(), {})
        return tallies[key]

    for n, (finding_id, suggestion_id, organisation_id, status, created_at, done_at) in enumerate(
        links.iterator(chunk_size=5000), 1
    ):
        for key in ((finding_id, suggestion_id), (None, suggestion_id)):
            entry = tally(key)
            entry.adopted.add(organisation_id)
            if status == MitigationStatus.DONE:
                entry.done.add(organisation_id)
                if done_at is not None:
                    days = max(0, (done_at - created_at).days)
                    # Each service once: its quickest adoption that got done.
                    entry.days[organisation_id] = min(days, entry.days.get(organisation_id, days))
        if n % 20000 == 0:
            say(f"  adoptions: {n} actions read")
    say(f"Adoptions: {len(tallies)} suggestion figures.")

    # 3. What pages will be shown from: each figure's held counts, moved to this computation's only when
    # `hold` says so. A figure no service counts in any more keeps its row while its held counts show.
    held_challenge = {f.finding_id: f.held for f in ChallengeFigure.objects.all()}
    held_suggestion = {(f.finding_id, f.suggestion_id): f.held for f in SuggestionFigure.objects.all()}
    challenge_rows = []
    for finding_id in challenge.keys() | held_challenge.keys():
        deciding, applying = challenge.get(finding_id, (0, 0))
        held = next_challenge_counts(held_challenge.get(finding_id, ChallengeCounts()), deciding, applying)
        if deciding or held.deciding:
            challenge_rows.append(
                ChallengeFigure(
                    finding_id=finding_id,
                    deciding=deciding,
                    applying=applying,
                    held_deciding=held.deciding,
                    held_applying=held.applying,
                )
            )
    empty = _Tally(set(), set(), {})
    suggestion_rows = []
    for key in tallies.keys() | held_suggestion.keys():
        entry = tallies.get(key, empty)
        days = list(entry.days.values())
        held = next_suggestion_counts(
            held_suggestion.get(key, SuggestionCounts()), len(entry.adopted), len(entry.done), days
        )
        if entry.adopted or held.adopted:
            suggestion_rows.append(
                SuggestionFigure(
                    finding_id=key[0],
                    suggestion_id=key[1],
                    adopted=len(entry.adopted),
                    done=len(entry.done),
                    median_days=round(statistics.median(days)) if days else None,
                    held_adopted=held.adopted,
                    held_done=held.done,
                    held_median_days=held.median_days,
                    held_below=held.below,
                    held_above=held.above,
                )
            )
    sharing = _sharing_organisations()
    previous = last_run()
    held_sharing = next_services_count(previous.held_organisations if previous else 0, sharing)

    # 4. Replace the figures in one transaction: a page reads the old set or the new one, never half.
    with transaction.atomic():
        ChallengeFigure.objects.all().delete()
        SuggestionFigure.objects.all().delete()
        ChallengeFigure.objects.bulk_create(challenge_rows, batch_size=500)
        SuggestionFigure.objects.bulk_create(suggestion_rows, batch_size=500)
        run = SharedLearningRun.objects.create(
            started_at=started_at,
            finished_at=timezone.now(),
            organisations=sharing,
            held_organisations=held_sharing,
            seconds=time.monotonic() - clock,
        )
    return run


def _sharing_organisations():
    return Organisation.objects.live().filter(share_anonymously=True).count()


def last_run():
    """The latest computation, or None if the figures were never computed (one query)."""
    return SharedLearningRun.objects.order_by("-finished_at").first()


def for_item(item, suggestions):
    """What the item page shows: the challenge's figure and each suggestion's figure for this challenge
    (three queries: the run, the challenge, the suggestions)."""
    # Always the same three queries, computed or not, so the page's query count does not depend on it.
    run = last_run()
    figure = ChallengeFigure.objects.filter(finding_id=item.finding_id).first()
    by_suggestion = {
        f.suggestion_id: f
        for f in SuggestionFigure.objects.filter(finding_id=item.finding_id, suggestion__in=[s.pk for s in suggestions])
    }
    return {"run": run, "challenge": figure, "by_suggestion": by_suggestion}


def overall_for(suggestion_ids):
    """{suggestion id: its figure over all challenges} (one query)."""
    return {
        f.suggestion_id: f
        for f in SuggestionFigure.objects.filter(finding__isnull=True, suggestion_id__in=list(suggestion_ids))
    }
