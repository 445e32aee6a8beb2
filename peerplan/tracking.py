"""Tracking: the figures a manager reads every week — what is late, what is stuck, are we covered.

Every function here runs a fixed number of queries whatever the number of checklists, items and
actions: counting is done by the database (Count with a filter, grouped by checklist).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from evidence.models import TO_MITIGATE, Theme
from peerplan.models import (
    LIVE_STATUSES,
    OPEN_STATUSES,
    Checklist,
    ChecklistStatus,
    Item,
    Membership,
    Mitigation,
    MitigationStatus,
    Reminder,
    coverage_by_checklist,
)

DUE_SOON_DAYS = 14
# Lists on the dashboard show this many and link to the full, filtered action list.
DASHBOARD_LIST_LENGTH = 10

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
    def done(self):
        return self.count(MitigationStatus.DONE)

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
        .annotate(**counts, overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today)))
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
    live = Mitigation.objects.filter(item=OuterRef("pk"), status__in=LIVE_STATUSES)
    rows = (
        Item.objects.filter(checklist__in=[c.pk for c in checklists], finding__valence__in=TO_MITIGATE)
        .annotate(is_covered=Exists(live))
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


# Dashboard -------------------------------------------------------------------------------------


@dataclass
class ChecklistSummary:
    checklist: Checklist
    progress: Progress
    coverage: object


@dataclass
class ActionList:
    """A short list for the dashboard, with the full count and where the whole list is."""

    actions: list
    count: int
    query: str


def dashboard(organisation, today):
    """Everything the dashboard shows, in a fixed number of queries (nine)."""
    checklists = list(Checklist.objects.filter(organisation=organisation).active())
    ids = [c.pk for c in checklists]
    progress = progress_by_checklist(ids, today)
    coverage = coverage_by_checklist(ids)
    summaries = [ChecklistSummary(c, progress[c.pk], coverage[c.pk]) for c in checklists]

    current = Mitigation.objects.in_organisation(organisation).on_current_checklists()
    soon_end = today + timedelta(days=DUE_SOON_DAYS)
    counts = current.aggregate(
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today)),
        due_soon=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_date__gte=today, due_date__lte=soon_end)),
        blocked=Count("pk", filter=Q(status=MitigationStatus.BLOCKED)),
    )
    open_params = "&".join(f"status={s}" for s in OPEN_STATUSES)
    lists = {
        "overdue": ActionList(
            list(current.overdue(today).for_listing().with_overdue(today).soonest_due_first()[:DASHBOARD_LIST_LENGTH]),
            counts["overdue"],
            f"{open_params}&due_before={(today - timedelta(days=1)).isoformat()}",
        ),
        "due_soon": ActionList(
            list(
                current.due_within(today, DUE_SOON_DAYS)
                .for_listing()
                .with_overdue(today)
                .soonest_due_first()[:DASHBOARD_LIST_LENGTH]
            ),
            counts["due_soon"],
            f"{open_params}&due_after={today.isoformat()}&due_before={soon_end.isoformat()}",
        ),
        "blocked": ActionList(
            list(current.blocked().for_listing().with_overdue(today).soonest_due_first()[:DASHBOARD_LIST_LENGTH]),
            counts["blocked"],
            f"status={MitigationStatus.BLOCKED}",
        ),
    }
    past_review = list(Checklist.objects.filter(organisation=organisation).past_review(today).order_by("review_date"))
    rereview_due = list(
        Item.objects.filter(checklist__organisation=organisation)
        .exclude(checklist__status=ChecklistStatus.ARCHIVED)
        .rereview_due(today)
        .select_related("checklist", "finding__theme")
        .order_by("rereview_on", "pk")
    )
    return {
        "summaries": summaries,
        "grid": coverage_grid(checklists),
        "rereview_due": rereview_due,
        "grid_checklists": checklists,
        "past_review": past_review,
        **lists,
    }


# Action list filters -----------------------------------------------------------------------------


class ActionFilterForm(forms.Form):
    """The organisation's action list filters; every choice narrowed to the organisation."""

    checklist = forms.ModelChoiceField(queryset=Checklist.objects.none(), required=False, empty_label="Any checklist")
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label="Anyone")
    status = forms.MultipleChoiceField(
        choices=MitigationStatus.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    theme = forms.ModelChoiceField(queryset=Theme.objects.none(), required=False, empty_label="Any theme")
    due_after = forms.DateField(
        label="Due on or after",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as year-month-day, e.g. 2025-06-30."},
    )
    due_before = forms.DateField(
        label="Due on or before",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as year-month-day, e.g. 2025-06-30."},
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].queryset = Checklist.objects.filter(organisation=organisation).order_by("title")
        self.fields["checklist"].error_messages["invalid_choice"] = "Choose one of this organisation's checklists."
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__organisation=organisation).order_by("first_name", "username")
        )
        self.fields["owner"].label_from_instance = person_name
        self.fields["owner"].error_messages["invalid_choice"] = "Choose a member of this organisation."
        self.fields["theme"].queryset = Theme.objects.in_published_order()
        self.fields["theme"].error_messages["invalid_choice"] = "Choose one of the listed themes."
        self.fields["status"].error_messages["invalid_choice"] = "Choose statuses from the list."

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("due_after"), cleaned.get("due_before")
        if after and before and after > before:
            self.add_error("due_before", "“Due on or before” must not be earlier than “due on or after”.")
        return cleaned


def filter_actions(queryset, cleaned):
    """Apply the filters that passed validation (an invalid one is reported and left out)."""
    if cleaned.get("checklist"):
        queryset = queryset.filter(checklist=cleaned["checklist"])
    if cleaned.get("owner"):
        queryset = queryset.filter(owner=cleaned["owner"])
    if cleaned.get("status"):
        queryset = queryset.filter(status__in=cleaned["status"])
    if cleaned.get("theme"):
        queryset = queryset.filter(item__finding__theme=cleaned["theme"])
    if cleaned.get("due_after"):
        queryset = queryset.filter(due_date__gte=cleaned["due_after"])
    if cleaned.get("due_before"):
        queryset = queryset.filter(due_date__lte=cleaned["due_before"])
    return queryset


def person_name(user):
    """How a person is named on screen and in exports."""
    if user is None:
        return ""
    return user.get_full_name() or user.username


def owner_label(mitigation):
    """The owner as people know them: a member's name, or the named person outside the organisation."""
    if mitigation.owner_id:
        return person_name(mitigation.owner)
    return mitigation.owner_name


def today():
    """Today where the service is (settings.TIME_ZONE): what 'overdue' is measured against."""
    return timezone.localdate()


# Reminders ---------------------------------------------------------------------------------------


@dataclass
class ActionDigest:
    """One person's overdue actions and those due soon, across their organisations."""

    recipient: object
    overdue: list = field(default_factory=list)
    due_soon: list = field(default_factory=list)


def action_digests(today, days):
    """{person: ActionDigest} for everyone who owns open actions that are overdue or due within `days`,
    on checklists not archived, in organisations they are still a member of (two queries)."""
    actions = (
        Mitigation.objects.open()
        .on_current_checklists()
        .filter(due_date__lte=today + timedelta(days=days), checklist__organisation__memberships__user=F("owner"))
        .select_related("owner", "checklist__organisation", "item__finding__theme")
        .order_by("owner_id", "due_date", "pk")
    )
    digests = {}
    for action in actions:
        digest = digests.setdefault(action.owner_id, ActionDigest(action.owner))
        action.days_late = (today - action.due_date).days
        (digest.overdue if action.due_date < today else digest.due_soon).append(action)
    return list(digests.values())


@dataclass
class ReviewDigest:
    """Checklists past their review date, for one manager or owner, across their organisations."""

    recipient: object
    checklists: list = field(default_factory=list)


def review_digests(today):
    checklists = list(
        Checklist.objects.past_review(today)
        .select_related("organisation")
        .order_by("organisation__name", "review_date")
    )
    by_organisation = {}
    for checklist in checklists:
        by_organisation.setdefault(checklist.organisation_id, []).append(checklist)
    digests = {}
    memberships = (
        Membership.objects.managers()
        .filter(organisation_id__in=by_organisation)
        .select_related("user")
        .order_by("user_id", "organisation__name")
    )
    for membership in memberships:
        digest = digests.setdefault(membership.user_id, ReviewDigest(membership.user))
        digest.checklists.extend(by_organisation[membership.organisation_id])
    return list(digests.values())


def send_once(recipient, kind, day, message):
    """Send `message` unless this person already had this kind of reminder on `day`.

    The Reminder row and the send share one transaction: the row is only kept when the send succeeded,
    and a second run at the same time waits on the unique constraint and then finds the row, so two
    overlapping cron runs still send one email. Returns False when it was already sent.
    """
    if Reminder.objects.filter(recipient=recipient, kind=kind, sent_on=day).exists():
        return False
    try:
        with transaction.atomic():
            Reminder.objects.create(recipient=recipient, kind=kind, sent_on=day)
            message.send()
    except IntegrityError:
        return False
    return True
