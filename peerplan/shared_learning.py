"""What services like yours did: anonymous figures from the organisations that chose to share them.

An owner switches `Organisation.share_anonymously` on (off by default). `compute` (run by the command
`compute_shared_learning` from cron) then counts, over those organisations' active checklists:

- for each challenge of the published evidence, how many services decided it and how many found it applies;
- for each curated suggestion, for each challenge and for all challenges together, how many services adopted
  it, how many have it done, and the median number of days from adoption to done (each service counted
  once: its first adoption that got done).

Only decisions (applies or not), curated suggestions and statuses are read: never an action's text, notes,
comments, anyone's name, or any organisation's own evidence. The figures go into the tables below and
pages read only those tables, never another organisation's rows. A figure is shown only when at least
`MIN_SERVICES` services contribute to it, and counts are shown rounded (`shown_count`), so no page lets a
reader work out what one service did.
"""

import statistics
import time
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Count, OuterRef, Q, Subquery

from evidence.models import TO_MITIGATE, Finding
from peerplan.models import ChecklistStatus, Item, Mitigation, MitigationStatus, SuggestedMitigation

# Fewer contributing services than this and a figure is not shown ("not enough services yet").
MIN_SERVICES = 5
# Counts are shown to the nearest ROUND_TO, and a count below it as "fewer than 5": with exact small
# numbers, someone who knows four of the five services could work out what the fifth did.
ROUND_TO = 5


class SharedLearningRun(models.Model):
    """One computation of the anonymous figures: when it ran, from how many sharing organisations."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    organisations = models.PositiveIntegerField(help_text="Organisations that share anonymously.")
    seconds = models.FloatField()

    class Meta:
        ordering = ["-finished_at"]
        get_latest_by = "finished_at"

    def __str__(self):
        return f"Shared figures computed {self.finished_at:%Y-%m-%d %H:%M} from {self.organisations} organisations"


class ChallengeFigure(models.Model):
    """How many sharing organisations decided one published challenge, and how many found it applies."""

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="shared_figure")
    deciding = models.PositiveIntegerField()
    applying = models.PositiveIntegerField()

    def __str__(self):
        # No counts: admin pages (a delete's confirmation) name rows by this, and counts are shown rounded.
        return f"Anonymous figures for {self.finding}"

    @property
    def enough(self):
        return self.deciding >= MIN_SERVICES

    @property
    def shown_deciding(self):
        return shown_count(self.deciding)

    @property
    def shown_applying(self):
        return shown_count(self.applying)


class SuggestionFigure(models.Model):
    """How many sharing organisations adopted one suggestion for one challenge (or for any challenge, when
    `finding` is empty), how many have it done, and the median days from adoption to done."""

    suggestion = models.ForeignKey(SuggestedMitigation, on_delete=models.CASCADE, related_name="shared_figures")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    adopted = models.PositiveIntegerField()
    done = models.PositiveIntegerField()
    median_days = models.PositiveIntegerField(null=True, blank=True)

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
    def enough(self):
        return self.adopted >= MIN_SERVICES

    @property
    def enough_done(self):
        """The median needs MIN_SERVICES services that got it done, not only that adopted it."""
        return self.done >= MIN_SERVICES and self.median_days is not None

    @property
    def shown_adopted(self):
        return shown_count(self.adopted)

    @property
    def shown_done(self):
        return shown_count(self.done)


def shown_count(n):
    """A count as a page shows it: "none", "fewer than 5", or "about N" to the nearest 5. Always "about",
    even when the count is a multiple of 5: an exact "10" beside an "about 10" would tell the two apart."""
    if n == 0:
        return "none"
    if n < ROUND_TO:
        return f"fewer than {ROUND_TO}"
    return f"about {ROUND_TO * round(n / ROUND_TO)}"


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

    # 3. Replace the figures in one transaction: a page reads the old set or the new one, never half.
    challenge_rows = [
        ChallengeFigure(finding_id=finding_id, deciding=deciding, applying=applying)
        for finding_id, (deciding, applying) in challenge.items()
    ]
    suggestion_rows = [
        SuggestionFigure(
            finding_id=finding_id,
            suggestion_id=suggestion_id,
            adopted=len(entry.adopted),
            done=len(entry.done),
            median_days=round(statistics.median(entry.days.values())) if entry.days else None,
        )
        for (finding_id, suggestion_id), entry in tallies.items()
    ]
    sharing = _sharing_organisations()
    with transaction.atomic():
        ChallengeFigure.objects.all().delete()
        SuggestionFigure.objects.all().delete()
        ChallengeFigure.objects.bulk_create(challenge_rows, batch_size=500)
        SuggestionFigure.objects.bulk_create(suggestion_rows, batch_size=500)
        run = SharedLearningRun.objects.create(
            started_at=started_at, finished_at=timezone.now(), organisations=sharing, seconds=time.monotonic() - clock
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
