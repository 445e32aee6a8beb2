"""Tracking: the figures a manager reads every week — what is late, what is stuck, are we covered.

Every function here runs a fixed number of queries whatever the number of checklists, items and
actions: counting is done by the database (Count with a filter, grouped by checklist). The dashboard that
shows them is put together in pages.py.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Min, Q, Value
from django.utils import timezone

from evidence.models import Valence
from peerplan.models import (
    LIVE_STATUSES,
    OPEN_STATUSES,
    Coverage,
    Item,
    Mitigation,
    MitigationStatus,
    no_due_date_q,
    no_owner_q,
    open_q,
    overdue_q,
)

DUE_SOON_DAYS = 14

# The dashboard's figures, and the "my actions" page, as views of an organisation's actions (the action
# lists' quick views and the API's `view` filter): each the same queryset rule, on tracked (active) checklists
# like every figure ("mine": open, like my actions), so a view's count is the figure's.
QUICK_VIEWS = {
    "overdue": lambda actions, today, user: actions.tracked().overdue(today),
    "due_soon": lambda actions, today, user: actions.tracked().due_within(today, DUE_SOON_DAYS),
    "blocked": lambda actions, today, user: actions.tracked().blocked(),
    "no_owner": lambda actions, today, user: actions.tracked().filter(open_q() & no_owner_q()),
    "no_due_date": lambda actions, today, user: actions.tracked().filter(open_q() & no_due_date_q()),
    "mine": lambda actions, today, user: actions.owned_by_member(user).open().tracked(),
}

# Their names on the lists' links and in the "Showing" bar, in the order a manager triages.
QUICK_VIEW_LABELS = {
    "overdue": "Overdue",
    "due_soon": f"Due in {DUE_SOON_DAYS} days",
    "no_owner": "No owner",
    "no_due_date": "No due date",
    "mine": "Mine",
    "blocked": "Blocked",
}


def quick_view(actions, name, *, today, user):
    return QUICK_VIEWS[name](actions, today, user)


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
    return progress_and_totals(checklist_ids, today, {})[0]


def progress_and_totals(checklist_ids, today, totals):
    """progress_by_checklist, and in the same query `totals` ({name: Q}): {name: how many of these checklists'
    actions match it}, added up over the checklists (the dashboard's figures, without a second pass over
    every action)."""
    rows = progress_rows(Mitigation.objects.filter(checklist_id__in=checklist_ids), today, totals)
    return progress_from_rows(rows, checklist_ids, totals)


def progress_rows(actions, today, totals):
    """The query progress_and_totals reads: `actions` counted per checklist, per status and overdue, and each
    of `totals` ({name: Q}) as total_<name>."""
    counts = {status: Count("pk", filter=Q(status=status)) for status in MitigationStatus.values}
    extra = {f"total_{name}": Count("pk", filter=rule) for name, rule in totals.items()}
    return (
        actions.values("checklist_id")
        .annotate(**counts, overdue=Count("pk", filter=overdue_q(today)), **extra)
        .order_by()
    )


def progress_from_rows(rows, checklist_ids, totals):
    """({checklist id: Progress}, {name of each of `totals`: added up}) from progress_rows' rows."""
    result = {checklist_id: Progress() for checklist_id in checklist_ids}
    added_up = dict.fromkeys(totals, 0)
    for row in rows:
        result[row["checklist_id"]] = Progress(
            counts={status: row[status] for status in MitigationStatus.values}, overdue=row["overdue"]
        )
        for name in totals:
            added_up[name] += row[f"total_{name}"]
    return result, added_up


def counted_by_index(actions, today, totals):
    """progress_rows' figures as a union of counts the database reads from the (checklist, status, due date)
    index alone, rather than eleven conditional counts worked out on every action (a large organisation's 5,000
    actions: 4 ms of SQLite against about 1): rows of (checklist id, status, count) per checklist and status,
    (checklist id, "overdue", count) per checklist with overdue actions, and (checklist id, name, count) per
    checklist for each of `totals` ({name: Q}; progress_and_totals_from_counts adds them up): every row is one
    checklist's, so a checklist's rows can be kept apart from the others' (pages.checklist_counts)."""
    by_status = actions.values("checklist_id", "status").annotate(n=Count("pk")).order_by()
    overdue = (
        actions.filter(overdue_q(today)).values("checklist_id", kind=Value(OVERDUE)).annotate(n=Count("pk")).order_by()
    )
    added_up = [
        actions.filter(rule).values("checklist_id", kind=Value(name)).annotate(n=Count("pk")).order_by()
        for name, rule in totals.items()
    ]
    return by_status.values_list("checklist_id", "status", "n").union(
        overdue.values_list("checklist_id", "kind", "n"),
        *(total.values_list("checklist_id", "kind", "n") for total in added_up),
        all=True,
    )


# A row of counted_by_index that counts overdue actions (no status or total is named so).
OVERDUE = "overdue"


def progress_and_totals_from_counts(rows, checklist_ids, totals):
    """progress_and_totals' answer ({checklist id: Progress}, {name of each of `totals`: count}) from
    counted_by_index's rows."""
    counts, overdue, added_up = {}, {}, dict.fromkeys(totals, 0)
    statuses = MitigationStatus.values  # worked out afresh on every read of it
    for checklist_id, kind, n in rows:
        if kind in added_up:
            added_up[kind] += n
        elif kind == OVERDUE:
            overdue[checklist_id] = n
        else:
            if checklist_id not in counts:
                counts[checklist_id] = dict.fromkeys(statuses, 0)
            counts[checklist_id][kind] = n
    result = {checklist_id: Progress() for checklist_id in checklist_ids}
    for checklist_id, by_status in counts.items():
        result[checklist_id] = Progress(counts=by_status, overdue=overdue.get(checklist_id, 0))
    return result, added_up


class Cell:
    """One theme in one checklist: how many of its applicable challenges are covered (a live action)
    and done (an action done), and the checklist's item it links to."""

    DONE, COVERED, PARTLY, OPEN, NOT_APPLICABLE = "done", "covered", "partly", "open", "not-applicable"
    LABELS = {
        DONE: "Done",
        COVERED: "Covered",
        PARTLY: "Partly covered",
        OPEN: "Not covered",
        NOT_APPLICABLE: "Not applicable",
    }
    # Names of icons in the sprite (templatetags/icons.py), never symbol characters (an empty box where no
    # font has them); the label beside each says the same in words.
    ICONS = {DONE: "check-lg", COVERED: "circle-fill", PARTLY: "circle-half", OPEN: "circle", NOT_APPLICABLE: "dash-lg"}

    def __init__(self, applicable, covered, done=0, item_id=None, checklist_title=""):
        self.applicable = applicable
        self.covered = covered
        self.done = done
        self.item_id = item_id
        self.checklist_title = checklist_title  # a cell's label when the grid is stacked on a phone

    @property
    def state(self):
        """Not applicable when none of the theme's challenges applies here; done when every applicable one
        has an action done; covered when every applicable one has a live action; partly when some do;
        open when none does."""
        if self.applicable == 0:
            return self.NOT_APPLICABLE
        if self.done == self.applicable:
            return self.DONE
        if self.covered == self.applicable:
            return self.COVERED
        return self.PARTLY if self.covered else self.OPEN

    @property
    def label(self):
        return self.LABELS[self.state]

    @property
    def icon(self):
        return self.ICONS[self.state]

    @property
    def detail(self):
        if self.state == self.NOT_APPLICABLE:
            return ""
        return f"covered {self.covered} of {self.applicable}, done {self.done}"


@dataclass
class GridRow:
    theme_name: str
    theme_slug: str
    cells: list
    # The organisation's own source the theme is from (its page is inside the organisation), or None for
    # published evidence (its page is public).
    own_source: int | None = None
    theme_id: int | None = None


def coverage_grid_rows(items):
    """`items`' challenges counted per checklist and theme, as tuples (checklist id, theme id, then applicable,
    covered, done and the first item's id), in no order. Not the themes themselves: grid_from_rows is given
    them (joining the evidence to every item and sorting by it was a third of a large organisation's query).

    A theme can have more than one challenge finding, so a cell counts the theme's challenge items in that
    checklist: how many apply, how many of those have a live action and how many an action done. It links to
    the theme's first challenge in that checklist (items are made in published order, so the lowest id is the
    first)."""
    return (
        items.challenges()
        .with_coverage()
        .values("checklist_id", "finding__theme_id")
        .annotate(
            applicable=Count("pk", filter=Q(applies=True)),
            covered=Count("pk", filter=Q(applies=True, is_covered=True)),
            done=Count("pk", filter=Q(applies=True, is_done=True)),
            item_id=Min("pk"),
        )
        .values_list("checklist_id", "finding__theme_id", "applicable", "covered", "done", "item_id")
        .order_by()
    )


def grid_from_rows(rows, checklists, finding_of_theme):
    """The grid from coverage_grid_rows' rows: challenge themes (rows, in published order) against `checklists`
    (columns). `finding_of_theme`: {theme id: a finding of it, with its theme and category and its source's
    `source_organisation_id`} (pages.findings.Findings.of_theme), for every theme in the rows. No query."""
    titles = {c.pk: c.title for c in checklists}
    cells = {}
    for checklist_id, theme_id, applicable, covered, done, item_id in rows:
        cells[theme_id, checklist_id] = Cell(applicable, covered, done, item_id, titles.get(checklist_id, ""))
    grid = []
    for theme_id in {theme_id for theme_id, _ in cells}:
        finding = finding_of_theme[theme_id]
        theme = finding.theme
        # The organisation's own source the theme is from, or None for published evidence.
        own = theme.category.source_id if finding.source_organisation_id else None
        row = [cells.get((theme_id, pk)) or Cell(0, 0, 0, None, title) for pk, title in titles.items()]
        grid.append(GridRow(theme.name, theme.slug, row, own, theme_id=theme_id))
    return sorted(grid, key=lambda row: _published_place(finding_of_theme[row.theme_id].theme))


def _published_place(theme):
    # The published order of themes (PUBLISHED_ORDER without the finding): source, category, theme.
    return (theme.category.source_id, theme.category.position, theme.position, theme.pk)


def coverage_of_rows(rows, checklists):
    """{checklist id: Coverage} added up from coverage_grid_rows' rows, no query: they count every challenge item
    of each checklist under its theme (the same applicable, covered and done rules as coverage_by_checklist), so
    a checklist's rows add up to its coverage, as its column of the grid does."""
    totals = {checklist.pk: [0, 0, 0] for checklist in checklists}
    for checklist_id, _theme_id, applicable, covered, done, _item_id in rows:
        total = totals[checklist_id]
        total[0] += covered
        total[1] += applicable
        total[2] += done
    return {pk: Coverage(covered, applicable, done) for pk, (covered, applicable, done) in totals.items()}


def today():
    """Today where the service is (settings.TIME_ZONE): what 'overdue' is measured against."""
    return timezone.localdate()


TREND_MONTHS = (3, 6, 12)


TREND_POINTS = 13  # 12 equal steps: weekly over 3 months, fortnightly over 6, monthly over 12


@dataclass(frozen=True)
class TrendPoint:
    day: object
    actions: int  # actions that exist and are not dropped (the burn-up's scope)
    done: int
    overdue: int
    applicable: int  # challenges that apply
    planned_for: int  # ... covered: with at least one live action
    covered_done: int  # ... with at least one action done


@dataclass
class Trend:
    months: int
    points: list
    has_history: bool


def trend_days(today, months):
    """TREND_POINTS days ending today, evenly spaced over the last `months` months."""
    span = round(months * 365.25 / 12)
    return [
        today - timedelta(days=round(span * (TREND_POINTS - 1 - i) / (TREND_POINTS - 1))) for i in range(TREND_POINTS)
    ]


def _versions(records, fields):
    """{object id: ([local day of each version], [values of each version, or None once deleted])}."""
    versions = {}
    for record in records:
        days, states = versions.setdefault(record["id"], ([], []))
        days.append(timezone.localdate(record["history_date"]))
        states.append(None if record["history_type"] == "-" else {name: record[name] for name in fields})
    return versions


def _on(history, day):
    """An object's values on `day`: its last version on or before it (None before it existed or once deleted)."""
    days, states = history
    index = bisect_right(days, day)
    return states[index - 1] if index else None


def progress_over_time(organisation_id, checklist_ids, today, months):
    """Burn-up (actions done of all live actions), coverage (covered and done) and overdue actions on
    TREND_POINTS days over the last `months` months, for the checklists together: three queries (the
    actions' history, the challenges' history, and which challenges each action addresses).

    History is read for the organisation's records only: history outlives the rows it describes, so a
    checklist id in it may once have been another organisation's (history.py's rule, issue 12)."""
    return coverage_over_time_by_organisation({organisation_id: list(checklist_ids)}, today, months)[organisation_id]


def coverage_over_time_by_organisation(checklists_by_organisation, today, months):
    """{organisation id: Trend}: progress over time of each organisation's checklists together, for many
    organisations at once in three queries (a network's members, side by side; progress_over_time for one).

    A history record counts for an organisation only when it was recorded for that organisation and one
    of its checklists."""
    owner_of = {pk: org for org, ids in checklists_by_organisation.items() for pk in ids}
    ids = list(owner_of)
    organisations = list(checklists_by_organisation)

    def by_organisation(records, fields):
        grouped = {org: [] for org in organisations}
        for record in records:
            if owner_of.get(record["checklist_id"]) == record["organisation_id"]:
                grouped[record["organisation_id"]].append(record)
        return {org: _versions(rows, fields) for org, rows in grouped.items()}

    actions = by_organisation(
        Mitigation.history.filter(organisation_id__in=organisations, checklist_id__in=ids)
        .order_by("history_date", "history_id")
        .values("id", "status", "due_date", "history_date", "history_type", "organisation_id", "checklist_id"),
        ("status", "due_date"),
    )
    items = by_organisation(
        Item.history.filter(organisation_id__in=organisations, checklist_id__in=ids, finding__valence=Valence.CHALLENGE)
        .order_by("history_date", "history_id")
        .values("id", "applies", "history_date", "history_type", "organisation_id", "checklist_id"),
        ("applies",),
    )
    addresses = {}
    links = Mitigation.items.through.objects.filter(mitigation__checklist_id__in=ids)
    for mitigation_id, item_id in links.values_list("mitigation_id", "item_id"):
        addresses.setdefault(item_id, []).append(mitigation_id)
    return {org: _trend(actions[org], items[org], addresses, today, months) for org in organisations}


def _trend(actions, items, addresses, today, months):
    """The Trend from the actions' and challenges' versions and which challenges each action addresses."""
    points = []
    for day in trend_days(today, months):
        states = {pk: _on(history, day) for pk, history in actions.items()}
        live = {pk for pk, state in states.items() if state and state["status"] in LIVE_STATUSES}
        done = {pk for pk, state in states.items() if state and state["status"] == MitigationStatus.DONE}
        overdue = sum(
            1
            for state in states.values()
            if state and state["status"] in OPEN_STATUSES and state["due_date"] and state["due_date"] < day
        )
        applicable = [pk for pk, history in items.items() if (_on(history, day) or {}).get("applies")]
        points.append(
            TrendPoint(
                day=day,
                actions=len(live),
                done=len(done),
                overdue=overdue,
                applicable=len(applicable),
                planned_for=sum(1 for pk in applicable if live.intersection(addresses.get(pk, ()))),
                covered_done=sum(1 for pk in applicable if done.intersection(addresses.get(pk, ()))),
            )
        )
    return Trend(months=months, points=points, has_history=bool(actions))
