"""Tracking: the figures a manager reads every week — what is late, what is stuck, are we covered.

Every function here runs a fixed number of queries whatever the number of checklists, items and
actions: counting is done by the database (Count with a filter, grouped by checklist). The dashboard that
shows them is put together in pages.py.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from peerplan.models import Item, Mitigation, MitigationStatus, overdue_q

# The order statuses are drawn in a progress bar and its legend: work done first, then work going on.
STATUS_ORDER = [
    MitigationStatus.DONE,
    MitigationStatus.IN_PROGRESS,
    MitigationStatus.PLANNED,
    MitigationStatus.BLOCKED,
    MitigationStatus.DROPPED,
]


@dataclass(frozen=True)
class Segment:
    status: str
    label: str
    count: int
    x: float  # where the segment starts, in percent of the bar
    width: float  # in percent of the bar


@dataclass
class Progress:
    """How many actions of a checklist are in each status."""

    counts: dict = field(default_factory=dict)
    overdue: int = 0

    @property
    def total(self):
        return sum(self.counts.values())

    def count(self, status):
        return self.counts.get(status, 0)

    @property
    def segments(self):
        """One segment per status, in STATUS_ORDER, with its place in a bar 100 units wide."""
        total = self.total
        segments, x = [], 0.0
        for status in STATUS_ORDER:
            n = self.count(status)
            width = round(100 * n / total, 2) if total else 0
            segments.append(Segment(status, MitigationStatus(status).label, n, round(x, 2), width))
            x += width
        return segments

    @property
    def summary(self):
        """The bar in words, for screen readers and anyone who would rather read."""
        if not self.total:
            return "No actions yet"
        parts = [f"{segment.count} {segment.label.lower()}" for segment in self.segments if segment.count]
        return f"{self.total} action{'s' if self.total != 1 else ''}: " + ", ".join(parts)


def progress_by_checklist(checklist_ids, today):
    """{checklist id: Progress} in one query: actions counted per status and overdue, per checklist."""
    counts = {status: Count("pk", filter=Q(status=status)) for status in MitigationStatus.values}
    rows = (
        Mitigation.objects.filter(checklist_id__in=checklist_ids)
        .values("checklist_id")
        .annotate(**counts, overdue=Count("pk", filter=overdue_q(today)))
        .order_by()
    )
    result = {checklist_id: Progress() for checklist_id in checklist_ids}
    for row in rows:
        result[row["checklist_id"]] = Progress(
            counts={status: row[status] for status in MitigationStatus.values}, overdue=row["overdue"]
        )
    return result


# Coverage grid ---------------------------------------------------------------------------------


class Cell:
    COVERED, PARTLY, OPEN, NOT_APPLICABLE = "covered", "partly", "open", "not-applicable"
    LABELS = {COVERED: "Covered", PARTLY: "Partly", OPEN: "Open", NOT_APPLICABLE: "Not applicable"}
    MARKERS = {COVERED: "●", PARTLY: "◐", OPEN: "○", NOT_APPLICABLE: "–"}

    def __init__(self, applicable, covered):
        self.applicable = applicable
        self.covered = covered

    @property
    def state(self):
        """Not applicable when none of the theme's challenges applies here; covered when every applicable
        one has a live action; partly when some do; open when none does."""
        if self.applicable == 0:
            return self.NOT_APPLICABLE
        if self.covered == self.applicable:
            return self.COVERED
        return self.PARTLY if self.covered else self.OPEN

    @property
    def label(self):
        return self.LABELS[self.state]

    @property
    def marker(self):
        return self.MARKERS[self.state]

    @property
    def detail(self):
        if self.state == self.NOT_APPLICABLE:
            return ""
        return f"{self.covered} of {self.applicable}"


@dataclass
class GridRow:
    theme_name: str
    theme_slug: str
    cells: list


def coverage_grid(checklists):
    """Challenge themes (rows, published order) against checklists (columns), one query.

    A theme can have more than one challenge finding, so a cell counts the theme's challenge items in
    that checklist: how many apply, and how many of those have a live action.
    """
    checklists = list(checklists)
    rows = (
        Item.objects.filter(checklist__in=[c.pk for c in checklists])
        .challenges()
        .with_coverage()
        .values(
            "checklist_id",
            "finding__theme_id",
            "finding__theme__name",
            "finding__theme__slug",
            "finding__theme__category__position",
            "finding__theme__position",
        )
        .annotate(
            applicable=Count("pk", filter=Q(applies=True)),
            covered=Count("pk", filter=Q(applies=True, is_covered=True)),
        )
        .order_by("finding__theme__category__position", "finding__theme__position")
    )
    themes, cells = {}, {}
    for row in rows:
        themes.setdefault(row["finding__theme_id"], (row["finding__theme__name"], row["finding__theme__slug"]))
        cells[row["finding__theme_id"], row["checklist_id"]] = Cell(row["applicable"], row["covered"])
    return [
        GridRow(name, slug, [cells.get((theme_id, c.pk), Cell(0, 0)) for c in checklists])
        for theme_id, (name, slug) in themes.items()
    ]


def today():
    """Today where the service is (settings.TIME_ZONE): what 'overdue' is measured against."""
    return timezone.localdate()
