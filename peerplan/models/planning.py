"""Checklists, their items (a challenge or benefit as it applies to the service) and the actions
(mitigations) planned against them, with the rules about them beside their queryset forms."""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from evidence.cache import finding_facts
from evidence.models import TO_MITIGATE, Finding, StakeholderGroup
from peerplan.lib.freshness import OrganisationData
from peerplan.lib.numbers import percent
from peerplan.lib.text import shorten
from peerplan.models.curation import ImplementationPhase, SuggestedMitigation
from peerplan.models.organisations import Organisation, display_name, readable_organisations


class ChecklistStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


def not_archived(via=""):
    """Checklists that still ask something of someone: anything but archived. `via` reaches the checklist
    from another model ("checklist__" from an item or an action)."""
    return ~models.Q(**{f"{via}status": ChecklistStatus.ARCHIVED})


class ChecklistQuerySet(models.QuerySet):
    def for_user(self, user):
        """Checklists of the organisations this person belongs to: the one scope every view starts from."""
        return self.filter(organisation__memberships__user=user)

    def past_review(self, today):
        return self.not_archived().filter(review_date__lt=today)

    def active(self):
        return self.filter(status=ChecklistStatus.ACTIVE)

    def not_archived(self):
        return self.filter(not_archived())

    def drafts_holding(self, actions):
        """The drafts some of `actions` belong to: what a list that tracks only active checklists leaves out
        (and says so)."""
        return self.filter(status=ChecklistStatus.DRAFT, pk__in=actions.values("checklist_id")).order_by("title", "pk")


class _FillOrganisation(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        _fill_organisation(objs)
        return super().bulk_create(objs, *args, **kwargs)


def _fill_organisation(records):
    """Set each history record's organisation from its checklist (one query for all of them)."""
    missing = [record for record in records if record.organisation_id is None]
    if missing:
        owners = dict(
            Checklist.objects.filter(pk__in={r.checklist_id for r in missing}).values_list("pk", "organisation_id")
        )
        for record in missing:
            record.organisation_id = owners.get(record.checklist_id)


class OrganisationHistory(models.Model):
    """What an item's or action's history record adds: the organisation it belonged to when recorded.

    History rows outlive the rows they describe, so their ids can come back on someone else's new row;
    timelines and restores read history by organisation as well as by id, so they never cross organisations.
    Filled on every save and bulk insert of a history record, here rather than in a signal, so no path
    that writes history can forget it."""

    organisation = models.ForeignKey(
        "peerplan.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )

    objects = _FillOrganisation()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        _fill_organisation([self])
        super().save(*args, **kwargs)


class Checklist(models.Model):
    """An organisation's implementation plan for PSW roles in one service or setting."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="checklists")
    title = models.CharField(max_length=200)
    service = models.CharField("service or setting", max_length=200, blank=True)
    description = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=ChecklistStatus.choices, default=ChecklistStatus.DRAFT)
    review_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    freshness = OrganisationData("organisation")

    objects = ChecklistQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self):
        return self.title

    @property
    def is_archived(self):
        return self.status == ChecklistStatus.ARCHIVED

    @property
    def is_active(self):
        return self.status == ChecklistStatus.ACTIVE

    @property
    def is_draft(self):
        return self.status == ChecklistStatus.DRAFT

    def is_past_review(self, today):
        """ChecklistQuerySet.past_review for one checklist already in memory."""
        return not self.is_archived and self.review_date is not None and self.review_date < today

    def coverage(self):
        """How many applicable challenges have at least one live mitigation (one query)."""
        return coverage_by_checklist([self.pk])[self.pk]

    def coverage_by_group(self, facts=None, applicable=None):
        """The same figure through each stakeholder group's eyes (two queries; one given the evidence facts;
        none given those and the applicable challenges: coverage_by_stakeholder_group)."""
        return coverage_by_stakeholder_group(self, facts, applicable)


class Priority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


# Source first: each source keeps its own categories and themes in its own order.
PUBLISHED_ORDER = [
    "finding__theme__category__source",
    "finding__theme__category__position",
    "finding__theme__position",
    "finding__position",
    "pk",
]


class RetiredChoice(models.TextChoices):
    """A planner's answer for an item whose finding a release retired."""

    UNDECIDED = "", "Not decided"
    KEPT = "kept", "Kept in the plan"
    CLOSED = "closed", "Closed"


class ItemQuerySet(models.QuerySet):
    def challenges(self):
        """Items to mitigate: challenges and barriers (what a checklist plans for is a property of the kind),
        leaving out those closed after a release retired their finding."""
        return self.filter(finding__valence__in=TO_MITIGATE).exclude(retired_choice=RetiredChoice.CLOSED)

    def applicable_challenges(self):
        return self.challenges().filter(applies=True)

    def with_coverage(self):
        """Annotate `is_covered` (covered: the item has a live mitigation, any status but dropped) and
        `is_done` (at least one of its mitigations is done): 'covered' alone would show 100 % beside
        a page of overdue actions."""
        return self.annotate(
            is_covered=models.Exists(Mitigation.objects.live().filter(items=models.OuterRef("pk"))),
            is_done=models.Exists(Mitigation.objects.filter(status=MitigationStatus.DONE, items=models.OuterRef("pk"))),
        )

    def on_current_checklists(self):
        return self.filter(not_archived(via="checklist__"))

    def in_published_order(self):
        """The evidence's order: category, theme, finding (pages ask for it; there is no default ordering,
        so counting and filtering queries need no joins to the evidence)."""
        return self.order_by(*PUBLISHED_ORDER)

    def offered_to_actions(self, keep=()):
        """What an action's form offers to tick: the challenges that apply (not reviewed yet counts, as a
        challenge applies until a person says otherwise) and the benefits chosen as outcomes, never one
        marked "does not apply" or closed; plus the items `keep` (ids) an action already addresses,
        whatever their state, so that saving its form never drops one unseen."""
        offered = models.Q(applies=True) & ~models.Q(retired_choice=RetiredChoice.CLOSED)
        return self.filter(offered | models.Q(pk__in=list(keep)))

    def uncovered(self):
        return self.applicable_challenges().with_coverage().filter(is_covered=False)

    def decided(self):
        """Items a person has decided (applies or not, with its reason); the rest are not reviewed yet."""
        return self.filter(decided_at__isnull=False)

    def undecided(self):
        return self.filter(decided_at__isnull=True)

    def rereview_due(self, today):
        """'Does not apply' decisions whose re-review date has come."""
        return self.challenges().filter(applies=False, rereview_on__lte=today)

    def with_mitigation_counts(self):
        """Annotate `mitigation_count` and one `<status>_count` per mitigation status (one query)."""
        counts = {
            f"{status}_count": models.Count("mitigations", filter=models.Q(mitigations__status=status))
            for status in MitigationStatus.values
        }
        return self.annotate(mitigation_count=models.Count("mitigations"), **counts)

    def with_overdue_counts(self, today):
        """Annotate `overdue_count`: the item's open actions due before today."""
        late = models.Q(mitigations__status__in=OPEN_STATUSES, mitigations__due_date__lt=today)
        return self.annotate(overdue_count=models.Count("mitigations", filter=late))


class Item(models.Model):
    """A finding of the evidence as it applies to one checklist: a challenge to guard against, or a
    benefit the service means to realise. It points at the evidence; it never copies its text."""

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    # Curators cannot delete a finding that a checklist uses.
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="items")
    applies = models.BooleanField(
        default=True,
        help_text="Challenges: applies to this service. Benefits: an outcome the service means to realise.",
    )
    not_applicable_reason = models.TextField(blank=True, max_length=2000)
    rereview_on = models.DateField(
        null=True, blank=True, help_text="When a 'does not apply' decision is looked at again."
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    note = models.TextField(blank=True, max_length=4000)
    evidence_reviewed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a planner last reviewed the evidence behind this item."
    )
    evidence_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The version of the finding's source this item was decided against."
    )
    retired_choice = models.CharField(
        max_length=10,
        choices=RetiredChoice.choices,
        blank=True,
        default=RetiredChoice.UNDECIDED,
        help_text="Kept or closed, once a release retired the finding.",
    )
    # Review state: empty until a person saves a decision, so "applies" by default is never mistaken for
    # a decision somebody took.
    decided_at = models.DateTimeField(null=True, blank=True, help_text="When a person last decided this item.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(bases=[OrganisationHistory])

    freshness = OrganisationData("checklist__organisation")

    objects = ItemQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["checklist", "finding"], name="one_item_per_finding")]

    def __str__(self):
        return str(self.finding)

    @classmethod
    def from_finding(cls, checklist, finding):
        """A new item as the evidence starts it: a challenge applies until a planner says otherwise, a benefit
        is not chosen yet; decided against the version of its source it came from. (Not saved.)"""
        return cls(
            checklist=checklist,
            finding=finding,
            applies=finding.to_mitigate,
            evidence_version=finding.theme.category.source.version,
        )

    @property
    def is_challenge(self):
        """Something to mitigate (a challenge or a barrier)."""
        return self.finding.to_mitigate

    @property
    def is_benefit(self):
        """Something to realise or build on (a benefit or a facilitator)."""
        return self.finding.to_realise

    @property
    def is_closed(self):
        return self.retired_choice == RetiredChoice.CLOSED

    @property
    def awaits_retired_choice(self):
        """A release retired its finding and nobody has kept it in the plan or closed it yet."""
        return self.finding.is_retired and self.retired_choice == RetiredChoice.UNDECIDED

    def evidence_version_label(self):
        """E.g. "Cooper et al. 2024, Table 6 version 1" (needs the finding's theme, category and source)."""
        if self.evidence_version is None:
            return ""
        return self.version_label_of(self.finding.theme.category.source.name, self.evidence_version)

    @staticmethod
    def version_label_of(source_name, evidence_version):
        """What evidence_version_label() is for an item of a version (not None) of this source (for rows read
        as plain values)."""
        return f"{source_name} version {evidence_version}"

    @property
    def published_order(self):
        """Where the item stands in the evidence's published order (its finding, theme and category loaded)."""
        theme = self.finding.theme
        return (theme.category.source_id, theme.category.position, theme.position, self.finding.position, self.pk)

    @property
    def is_decided(self):
        return self.decided_at is not None

    @property
    def review_state(self):
        """The task-list state a person sees: not reviewed yet, applies, or does not apply."""
        if not self.is_decided:
            return ReviewState.NOT_REVIEWED
        return ReviewState.APPLIES if self.applies else ReviewState.DOES_NOT_APPLY

    def is_rereview_due(self, today):
        """The rule of ItemQuerySet.rereview_due(), for an item already in memory."""
        return self.is_challenge and not self.applies and self.rereview_on is not None and self.rereview_on <= today


class ReviewState(models.TextChoices):
    NOT_REVIEWED = "not-reviewed", "Not reviewed yet"
    APPLIES = "applies", "Applies"
    DOES_NOT_APPLY = "does-not-apply", "Does not apply"


@dataclass(frozen=True)
class ReviewProgress:
    """How many of a checklist's challenges a person has decided."""

    decided: int
    total: int

    @property
    def remaining(self):
        return self.total - self.decided

    @property
    def is_complete(self):
        return self.total > 0 and self.decided == self.total


class MitigationStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    BLOCKED = "blocked", "Blocked"
    DROPPED = "dropped", "Dropped"


# The status rules, each written once here: the querysets, the aggregates (Count(filter=...)), the model's
# properties and the templates (which ask `mitigation.is_live`) all use these.
# Live: everything but dropped still counts towards covering an item.
LIVE_STATUSES = [
    MitigationStatus.PLANNED,
    MitigationStatus.IN_PROGRESS,
    MitigationStatus.DONE,
    MitigationStatus.BLOCKED,
]


# Open: still to be done. Blocked work is open (it is late all the same when its date has passed).
OPEN_STATUSES = [MitigationStatus.PLANNED, MitigationStatus.IN_PROGRESS, MitigationStatus.BLOCKED]


def live_q():
    return models.Q(status__in=LIVE_STATUSES)


def open_q():
    return models.Q(status__in=OPEN_STATUSES)


def tracked_q(via="checklist__"):
    """The one rule for drafts: only an active checklist's actions are tracked. A draft is not yet a plan
    anyone works to (and an archived one no longer is), so its actions are never late, due soon or stuck:
    every figure, list, reminder and overdue mark counts through this, so no two screens disagree.
    `via` reaches the checklist ("checklist__" from an action, "" from a checklist)."""
    return models.Q(**{f"{via}status": ChecklistStatus.ACTIVE})


def overdue_q(today):
    """Open, tracked and due before today (`today` where the service is: tracking.today())."""
    return tracked_q() & open_q() & models.Q(due_date__lt=today)


def due_within_q(today, days):
    """Open, tracked and due from today to `days` days on."""
    return due_between_q(today, today + timedelta(days=days))


def due_between_q(today, last_day):
    """due_within_q with its last day worked out already (a prepared query takes that day as a value)."""
    return tracked_q() & open_q() & models.Q(due_date__gte=today, due_date__lte=last_day)


def blocked_q():
    return models.Q(status=MitigationStatus.BLOCKED)


def no_owner_q():
    """Nobody owns it: neither a member nor a named person outside the organisation."""
    return models.Q(owner__isnull=True, owner_name="")


def no_owner_in_checklists_q():
    """no_owner_q, the same rows, for a count over a few checklists' actions: written so that SQLite, which
    keeps no statistics of the data, reads them through the checklists' index. Written plainly, its planner
    takes the (owner, status, due date) index and walks every organisation's unowned actions: the dashboard's
    figures took 17 ms at the benchmark's 1,000 organisations instead of 0.3 ms."""
    # owner_id + 0 is owner_id (NULL stays NULL), but no index is on it.
    owner_id = models.ExpressionWrapper(models.F("owner_id") + 0, output_field=models.IntegerField())
    return models.Q(models.lookups.IsNull(owner_id, True), owner_name="")


def no_due_date_q():
    return models.Q(due_date__isnull=True)


def soonest_due_key(due_date, pk):
    """The place of an action of this due date and id in MitigationQuerySet.soonest_due_first's order: soonest due
    first, those without a due date last, then in the order they were made."""
    return (due_date is None, due_date or date.min, pk)


class MitigationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(checklist__organisation__memberships__user=user)

    def live(self):
        return self.filter(live_q())

    def open(self):
        return self.filter(open_q())

    def overdue(self, today):
        return self.filter(overdue_q(today))

    def due_within(self, today, days):
        return self.filter(due_within_q(today, days))

    def blocked(self):
        return self.filter(blocked_q())

    def in_organisation(self, organisation):
        return self.filter(checklist__organisation=organisation)

    def tracked(self):
        """Actions of active checklists only (tracked_q: the one rule for drafts)."""
        return self.filter(tracked_q())

    def owned_by_member(self, user):
        """Actions this person owns in organisations whose data they may read now: still a member (a leaver's
        old actions stay with the organisation, out of their sight) and past its two-factor rule."""
        return self.filter(owner=user, checklist__organisation__in=readable_organisations(user))

    def soonest_due_first(self):
        """The action lists' order (soonest_due_key sorts rows read already the same way)."""
        return self.order_by(models.F("due_date").asc(nulls_last=True), "pk")

    def with_overdue(self, today):
        """Annotate `overdue_now` (what `is_overdue(today)` says, for a template that cannot pass today)."""
        return self.annotate(overdue_now=models.ExpressionWrapper(overdue_q(today), output_field=models.BooleanField()))

    def addressing_theme(self, theme):
        """Actions addressing at least one challenge of this theme, each once."""
        return self.filter(models.Exists(Item.objects.filter(mitigations=models.OuterRef("pk"), finding__theme=theme)))

    def for_listing(self):
        """What a list of actions shows beside each one: its checklist and owner in the same query. The
        names of the themes it addresses come in one more, with_theme_names(), once the page is read."""
        return self.select_related("checklist__organisation", "owner")


class Mitigation(models.Model):
    """What a service will do about one or more items of a checklist (on screen: an action): someone owns
    it, with a due date and a status. One action can mitigate several challenges at once."""

    # Every item of one checklist (planning.link_items enforces it); never none (unlinking the last is refused).
    items = models.ManyToManyField(
        Item,
        related_name="mitigations",
        help_text="The challenges (or outcomes) this action addresses, all of the same checklist.",
    )
    # The items' checklist, kept here because dashboards count and filter actions per checklist and
    # organisation; items never move between checklists, so it cannot drift.
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="mitigations")
    # The action's title (on screen "Title"). Still up to 2000 characters for what was typed before titles
    # were short: the form asks new input for at most TITLE_MAX_LENGTH.
    action = models.TextField("title", max_length=2000)
    details = models.TextField(blank=True, max_length=4000, help_text="What the action involves, beyond its title.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="mitigations"
    )
    owner_name = models.CharField(
        "owner outside the organisation", max_length=200, blank=True, help_text="A named person who is not a member."
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=MitigationStatus.choices, default=MitigationStatus.PLANNED)
    notes = models.TextField(blank=True, max_length=4000)
    phase = models.ForeignKey(ImplementationPhase, on_delete=models.SET_NULL, null=True, blank=True)
    co_produced = models.BooleanField("co-produced with people with lived experience", default=False)
    lived_experience_led = models.BooleanField("owned by a PSW or lived-experience lead", default=False)
    suggestion = models.ForeignKey(
        SuggestedMitigation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adoptions",
        help_text="The suggested mitigation this was adopted from.",
    )
    # Optimistic locking: a save that started from an older version is refused, not applied.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[OrganisationHistory])

    freshness = OrganisationData("checklist__organisation", actions=True)

    objects = MitigationQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [
            # Due dates too: the dashboard's lists (each checklist's open actions due before a day, soonest first)
            # are read from it alone, not from every organisation's actions in the status index below.
            models.Index(fields=["checklist", "status", "due_date"]),
            models.Index(fields=["owner", "status", "due_date"]),
            models.Index(fields=["status", "due_date"]),
        ]

    TITLE_MAX_LENGTH = 200

    def __str__(self):
        return shorten(self.action, 80)

    # The same rules as live_q(), open_q() and overdue_q(), for one action already in memory.
    @property
    def is_live(self):
        return self.status in LIVE_STATUSES

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    def is_overdue(self, today):
        # The checklist is read last: lists select it with the action, and most actions stop before it.
        return self.is_open and self.due_date is not None and self.due_date < today and self.checklist.is_active

    @property
    def owner_label(self):
        """The owner as people know them: a member's name, or the named person outside the organisation."""
        return display_name(self.owner) if self.owner_id else self.owner_name

    @property
    def addressed(self):
        """The items it addresses in published order (prefetched by for_listing and the pages)."""
        return sorted(self.items.all(), key=lambda item: item.published_order)

    @cached_property
    def theme_names(self):
        """The themes of the challenges it addresses, each once, in published order: "Workload; Boundaries"
        (with_theme_names sets it for a list of actions at once)."""
        return joined_theme_names((item.published_order, item.finding.theme.name) for item in self.items.all())


def joined_theme_names(named):
    """ "Workload; Boundaries": from (Item.published_order, theme name) pairs, each theme once, in that order."""
    names = []
    for _order, name in sorted(named):
        if name not in names:
            names.append(name)
    return "; ".join(names)


def with_theme_names(actions, links=None):
    """`actions` (a list) with Mitigation.theme_names set, read in one query of plain values: a list shows the
    names alone, and an item, finding, theme and category instance per challenge addressed cost a list of
    25 actions more than its own query. `links`: theme_name_links' rows for them, where the caller read them."""
    actions = list(actions)
    named = {action.pk: [] for action in actions}
    if links is None:
        links = theme_name_links(list(named))
    for action_id, *order, name in links:
        if action_id in named:
            named[action_id].append((tuple(order), name))
    for action in actions:
        action.theme_names = joined_theme_names(named[action.pk])
    return actions


def theme_name_links(action_ids):
    """The query with_theme_names reads: per challenge each action addresses, (action id, the challenge's place
    in published order, its theme's name)."""
    theme = "item__finding__theme__"
    return Mitigation.items.through.objects.filter(mitigation_id__in=action_ids).values_list(
        "mitigation_id",
        f"{theme}category__source_id",
        f"{theme}category__position",
        f"{theme}position",
        "item__finding__position",
        "item_id",
        f"{theme}name",
    )


def addressed_items(to_attr=None):
    """Prefetch of the items an action addresses, with what their names need."""
    items = Item.objects.select_related("finding__theme__category").order_by(*PUBLISHED_ORDER)
    return models.Prefetch("items", queryset=items, to_attr=to_attr)


@dataclass(frozen=True)
class Coverage:
    """Applicable challenges with at least one live mitigation ('covered'), and with at least one
    done ('done'), out of all applicable challenges."""

    covered: int
    applicable: int
    done: int = 0

    @property
    def uncovered(self):
        return self.applicable - self.covered

    @property
    def percent(self):
        """Whole percent covered (lib.numbers.percent: the nearest, 100 only when all, 0 when none)."""
        return percent(self.covered, self.applicable)

    @property
    def done_percent(self):
        """Whole percent of applicable challenges with an action done, rounded like `percent`."""
        return percent(self.done, self.applicable)

    @classmethod
    def of(cls, items):
        """The coverage of these applicable challenges, already read with ItemQuerySet.with_coverage() (no query)."""
        items = list(items)
        return cls(
            covered=sum(item.is_covered for item in items),
            applicable=len(items),
            done=sum(item.is_done for item in items),
        )


def coverage_by_checklist(checklist_ids):
    """Coverage for many checklists in one query: {checklist id: Coverage}."""
    return coverage_from_rows(coverage_rows(Item.objects.filter(checklist_id__in=checklist_ids)), checklist_ids)


def coverage_rows(items):
    """The query coverage_by_checklist reads: `items`' applicable challenges counted per checklist."""
    return (
        items.applicable_challenges()
        .with_coverage()
        .values("checklist_id")
        .annotate(
            applicable=models.Count("pk"),
            covered=models.Count("pk", filter=models.Q(is_covered=True)),
            done=models.Count("pk", filter=models.Q(is_done=True)),
        )
        .order_by()
    )


def coverage_from_rows(rows, checklist_ids):
    """{checklist id: Coverage} from coverage_rows' rows (a checklist with no applicable challenge: none)."""
    result = {checklist_id: Coverage(0, 0) for checklist_id in checklist_ids}
    for row in rows:
        result[row["checklist_id"]] = Coverage(covered=row["covered"], applicable=row["applicable"], done=row["done"])
    return result


def coverage_by_stakeholder_group(checklist, facts=None, applicable=None):
    """{stakeholder group: Coverage} over the applicable challenges that group reported, counting the
    groups named inside Mixed samples too (e.g. "challenges reported by service users: 4 of 6 covered").
    `applicable`: the checklist's applicable challenges read with with_coverage(), when the caller has them
    (no query then)."""
    if applicable is None:
        # checklist_id too: the related manager reads it on every row it returns (one query per row if deferred).
        applicable = checklist.items.applicable_challenges().with_coverage().only("pk", "finding_id", "checklist_id")
    items = list(applicable)
    facts = facts if facts is not None else finding_facts()
    result = {}
    for group in StakeholderGroup.values:
        reported = [item for item in items if group in facts[item.finding_id].groups]
        if reported:
            result[group] = Coverage.of(reported)
    return result
