"""The anonymous figures ("what services like yours did"): their tables, and the rules that keep one
service from showing in them (a minimum number of services, rounding, holding a figure until enough change)."""

import statistics
from dataclasses import dataclass
from typing import NamedTuple

from django.db import models
from django.db.models import Q

from evidence.models import Finding
from peerplan.lib.freshness import EVERY_ORGANISATION, NOT_SHOWN
from peerplan.models.curation import SuggestedMitigation

# Fewer contributing services than this and a figure is not shown ("not enough services yet").
MIN_SERVICES = 5


# Counts are shown to the nearest ROUND_TO, and a count below it (0 included) as "fewer than 5": an exact
# small number tells a reader who knows the other services what the last one did.
ROUND_TO = 5


# A figure's words change only once at least this many services changed what they contribute to it since
# the words last changed (`hold`).
HOLD = 5


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


class SharedLearningRun(models.Model):
    """One computation of the anonymous figures: when it ran, from how many sharing organisations."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    organisations = models.PositiveIntegerField(help_text="Organisations that share anonymously.")
    held_organisations = models.PositiveIntegerField(
        default=0, help_text="The number pages are shown from (see shared_learning.hold)."
    )
    seconds = models.FloatField()

    # A new computation of the anonymous figures (one run, written last with its figures) re-ranks every
    # checklist's suggestions.
    freshness = EVERY_ORGANISATION

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

    freshness = NOT_SHOWN  # written by compute_shared_learning with a SharedLearningRun, which declares the write

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

    freshness = NOT_SHOWN  # written by compute_shared_learning with a SharedLearningRun, which declares the write

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
