"""What services like yours did: anonymous figures from the organisations that chose to share them.

An owner switches `Organisation.share_anonymously` on (off by default). `compute` (run by the command
`compute_shared_learning` from cron) then counts, over those organisations' active checklists:

- for each challenge of the published evidence, how many services decided it and how many found it applies;
- for each curated suggestion, for each challenge and for all challenges together, how many services adopted
  it, how many have it done, and the median number of days from adoption to done (each service counted
  once: its first adoption that got done).

Only decisions (applies or not), curated suggestions and statuses are read: never an action's text, notes,
comments, anyone's name, or any organisation's own evidence. The figures go into the tables below and
pages read only those tables, never another organisation's rows.

What a page shows is decided here, in two functions and nowhere else:

- `*_text` (`challenge_text`, `suggestion_text`, `services_text`): the words for a figure's counts. Nothing
  under `MIN_SERVICES` services; counts rounded to the nearest `ROUND_TO` ("about 10"), and 0 to 4 all read
  "fewer than 5"; the median only when at least `MIN_SERVICES` services got the action done.
- `hold`: which counts a figure is shown from. Each figure keeps the counts it is shown from (`held_*`) and
  a computation moves them to its own counts only when the words would read differently *and* at least
  `HOLD` services must have changed what they contribute to that figure since the words last changed
  (`services_changed`, a lower bound from counts alone). So no change on a page is one service's doing:
  a reader comparing two computations sees a figure change only when at least five services changed.

Rounding alone did not give that: at the edge of a band ("about 5 of the about 5" one night, "fewer than 5
of the about 5" the next) one service's new decision showed. No rule without randomness can hide every
change from someone who already knows what every *other* service did night by night; README.md
("Privacy: networks and anonymous figures") says what a reader can and cannot learn.
"""

import statistics
import time
from dataclasses import dataclass
from typing import NamedTuple

from django.db import models, transaction
from django.db.models import Count, OuterRef, Q, Subquery

from evidence.models import TO_MITIGATE, Finding
from peerplan.models import ChecklistStatus, Item, Mitigation, MitigationStatus, SuggestedMitigation

# Fewer contributing services than this and a figure is not shown ("not enough services yet").
MIN_SERVICES = 5
# Counts are shown to the nearest ROUND_TO, and a count below it (0 included) as "fewer than 5": an exact
# small number tells a reader who knows the other services what the last one did.
ROUND_TO = 5
# A figure's words change only once at least this many services changed what they contribute to it since
# the words last changed (`hold`).
HOLD = 5


# What a page shows -------------------------------------------------------------------------------------


def about(n):
    """A count rounded to the nearest ROUND_TO, or 0 when it is under ROUND_TO ("fewer than 5")."""
    return 0 if n < ROUND_TO else ROUND_TO * round(n / ROUND_TO)


def shown_count(n):
    """A count as a page shows it: "fewer than 5" (0 to 4), or "about N" to the nearest 5. Always "about",
    even when the count is a multiple of 5: an exact "10" beside an "about 10" would tell the two apart;
    and no "none": an exact 0 is an exact count too."""
    return f"fewer than {ROUND_TO}" if n < ROUND_TO else f"about {about(n)}"


class ChallengeCounts(NamedTuple):
    deciding: int = 0
    applying: int = 0


class SuggestionCounts(NamedTuple):
    adopted: int = 0
    done: int = 0
    median_days: int | None = None
    # How many of the done services took fewer, and more, days than median_days (None: not known): with
    # them a later computation can tell that services moved across the median without the counts moving.
    below: int | None = None
    above: int | None = None


@dataclass(frozen=True)
class ChallengeText:
    applying: str
    deciding: str


@dataclass(frozen=True)
class SuggestionText:
    adopted: str
    done: str
    median_days: int | None  # None: not shown (fewer than MIN_SERVICES services got it done)
    adopted_about: int  # the numbers in the words, for ordering by what a reader sees and nothing finer
    done_about: int  # 0 when fewer than MIN_SERVICES services got it done


def challenge_text(counts):
    """The words for a challenge's figure, or None ("not enough services yet")."""
    if counts.deciding < MIN_SERVICES:
        return None
    return ChallengeText(applying=shown_count(counts.applying), deciding=shown_count(counts.deciding))


def suggestion_text(counts):
    """The words for a suggestion's figure, or None ("not enough services yet")."""
    if counts.adopted < MIN_SERVICES:
        return None
    median = counts.median_days if counts.done >= MIN_SERVICES else None
    return SuggestionText(
        adopted=shown_count(counts.adopted),
        done=shown_count(counts.done),
        median_days=median,
        adopted_about=about(counts.adopted),
        done_about=about(counts.done) if counts.done >= MIN_SERVICES else 0,
    )


def services_text(organisations):
    """How many services share, as the item page's footer says it ("about 5", "fewer than 5")."""
    return shown_count(organisations)


def services_changed(before, after):
    """At least how many services changed what they contribute to a figure between two sets of tallies.

    Each tally counts the services with one property (decided it; found it applies; decided it does not;
    adopted; done; adopted and not done; done in fewer days than the median shown; in more). One service
    joining, leaving or changing anything moves each tally by at most one, so the largest difference is a
    lower bound on the number of services that changed. A tally that is None on either side is skipped."""
    return max((abs(a - b) for a, b in zip(before, after, strict=True) if a is not None and b is not None), default=0)


def hold(held, current, *, text, changed):
    """The counts a figure is shown from after a computation: `current` only when its words read
    differently from `held`'s and at least HOLD services changed since (`changed`, from
    `services_changed`); otherwise `held`, unchanged, so the page reads exactly as before."""
    if text(current) != text(held) and changed >= HOLD:
        return current
    return held


def _challenge_tallies(counts):
    return (counts.deciding, counts.applying, counts.deciding - counts.applying)


def next_challenge_counts(held, deciding, applying):
    """The counts a challenge's figure is shown from, given those it was shown from and this computation's."""
    current = ChallengeCounts(deciding, applying)
    return hold(
        held,
        current,
        text=challenge_text,
        changed=services_changed(_challenge_tallies(held), _challenge_tallies(current)),
    )


def _around(days, median):
    """(how many took fewer days than median, how many more); (None, None) when there is no median."""
    if median is None:
        return None, None
    return sum(1 for d in days if d < median), sum(1 for d in days if d > median)


def next_suggestion_counts(held, adopted, done, days):
    """The counts a suggestion's figure is shown from, given those it was shown from and this computation's
    (`days`: for each service that got it done and whose done day is known, the days it took)."""
    median = round(statistics.median(days)) if days else None
    below, above = _around(days, median)
    current = SuggestionCounts(adopted, done, median, below, above)
    # The tallies around the median shown until now, counted again over this computation's services.
    now_below, now_above = _around(days, held.median_days)
    changed = services_changed(
        (held.adopted, held.done, held.adopted - held.done, held.below, held.above),
        (adopted, done, adopted - done, now_below, now_above),
    )
    return hold(held, current, text=suggestion_text, changed=changed)


def next_services_count(held, organisations):
    """How many sharing services the footer is shown from, given the number it was shown from."""
    return hold(held, organisations, text=services_text, changed=abs(organisations - held))


# Tables ------------------------------------------------------------------------------------------------


class SharedLearningRun(models.Model):
    """One computation of the anonymous figures: when it ran, from how many sharing organisations."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    organisations = models.PositiveIntegerField(help_text="Organisations that share anonymously.")
    held_organisations = models.PositiveIntegerField(
        default=0, help_text="The number pages are shown from (see shared_learning.hold)."
    )
    seconds = models.FloatField()

    class Meta:
        ordering = ["-finished_at"]
        get_latest_by = "finished_at"

    def __str__(self):
        return f"Shared figures computed {self.finished_at:%Y-%m-%d %H:%M} from {self.organisations} organisations"

    @property
    def shown_organisations(self):
        return services_text(self.held_organisations)


class ChallengeFigure(models.Model):
    """How many sharing organisations decided one published challenge, and how many found it applies
    (`deciding`, `applying`: this computation's); `held_*`: the counts pages are shown from (`hold`)."""

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="shared_figure")
    deciding = models.PositiveIntegerField()
    applying = models.PositiveIntegerField()
    held_deciding = models.PositiveIntegerField(default=0)
    held_applying = models.PositiveIntegerField(default=0)

    def __str__(self):
        # No counts: admin pages (a delete's confirmation) name rows by this, and counts are shown rounded.
        return f"Anonymous figures for {self.finding}"

    @property
    def held(self):
        return ChallengeCounts(self.held_deciding, self.held_applying)

    @property
    def text(self):
        """What pages show (None: not enough services yet)."""
        return challenge_text(self.held)


class SuggestionFigure(models.Model):
    """How many sharing organisations adopted one suggestion for one challenge (or for any challenge, when
    `finding` is empty), how many have it done, and the median days from adoption to done (this
    computation's); `held_*`: the counts pages are shown from (`hold`)."""

    suggestion = models.ForeignKey(SuggestedMitigation, on_delete=models.CASCADE, related_name="shared_figures")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    adopted = models.PositiveIntegerField()
    done = models.PositiveIntegerField()
    median_days = models.PositiveIntegerField(null=True, blank=True)
    held_adopted = models.PositiveIntegerField(default=0)
    held_done = models.PositiveIntegerField(default=0)
    held_median_days = models.PositiveIntegerField(null=True, blank=True)
    held_below = models.PositiveIntegerField(null=True, blank=True)
    held_above = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["suggestion", "finding"], name="one_figure_per_suggestion_and_finding"),
            models.UniqueConstraint(
                fields=["suggestion"], condition=Q(finding__isnull=True), name="one_overall_figure_per_suggestion"
            ),
        ]

    def __str__(self):
        return f"Anonymous figures for {self.suggestion}"

    @property
    def held(self):
        return SuggestionCounts(
            self.held_adopted, self.held_done, self.held_median_days, self.held_below, self.held_above
        )

    @property
    def text(self):
        """What pages show (None: not enough services yet)."""
        return suggestion_text(self.held)


# Computing ---------------------------------------------------------------------------------------------


def _sharing_items():
    """Published challenges of sharing organisations' active checklists (the only rows counted)."""
    return Item.objects.filter(
        checklist__organisation__share_anonymously=True,
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
    from django.utils import timezone

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
    from peerplan.models import Organisation

    return Organisation.objects.filter(share_anonymously=True).count()


# Reading (pages) ---------------------------------------------------------------------------------------


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
