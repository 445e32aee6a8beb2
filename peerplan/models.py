"""Planning: organisations and their members, checklists, items and mitigations, and the curated
library of suggested mitigations."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from evidence.models import Finding, Theme, Valence


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    PLANNER = "planner", "Planner"
    VIEWER = "viewer", "Viewer"


class Organisation(models.Model):
    """A service or trust that plans peer support work; everything it plans belongs to it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MembershipQuerySet(models.QuerySet):
    def managers(self):
        return self.filter(role__in=[Role.OWNER, Role.MANAGER])


class Membership(models.Model):
    """A person's role in an organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    joined_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_person")]
        indexes = [models.Index(fields=["user", "organisation"])]

    def __str__(self):
        return f"{self.user} in {self.organisation} ({self.role})"

    @property
    def can_edit(self):
        """Planners and above create and edit checklists and mitigations."""
        return self.role in (Role.OWNER, Role.MANAGER, Role.PLANNER)

    @property
    def can_manage(self):
        """Managers and owners also manage members, invitations and restore history."""
        return self.role in (Role.OWNER, Role.MANAGER)

    @property
    def is_owner(self):
        return self.role == Role.OWNER


def new_invitation_token():
    return secrets.token_urlsafe(32)


def invitation_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_DAYS)


class Invitation(models.Model):
    """A single-use, expiring link that lets one person join an organisation with a role."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PLANNER)
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self):
        return f"Invitation for {self.email} to {self.organisation}"

    def is_usable(self, now=None):
        now = now or timezone.now()
        return self.accepted_at is None and self.expires_at > now


class ImplementationPhase(models.Model):
    """A phase of introducing PSWs (ImROC's practical guide: preparation, recruitment, employment,
    ongoing development); curators can rename or extend the list."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Provenance(models.TextChoices):
    EVIDENCE = "evidence", "From the evidence (Cooper et al. 2024)"
    PUBLISHED = "published", "From another published source"
    CURATOR = "curator", "Curator's suggestion"


class SuggestedMitigation(models.Model):
    """A curated, reusable mitigation for one or more challenge themes, with its provenance stated
    honestly: never presented as evidence unless the evidence says it."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    rationale = models.TextField(blank=True)
    provenance = models.CharField(max_length=10, choices=Provenance.choices)
    source = models.TextField(help_text="Exactly where it comes from: table, group and references, or a citation.")
    quote = models.TextField(blank=True, help_text="Verbatim words of the source, when there are any.")
    themes = models.ManyToManyField(Theme, related_name="suggested_mitigations")
    phase = models.ForeignKey(ImplementationPhase, on_delete=models.SET_NULL, null=True, blank=True)
    is_published = models.BooleanField(default=True, help_text="Only published suggestions are offered to planners.")
    position = models.PositiveIntegerField(default=0)
    history = HistoricalRecords(m2m_fields=[themes])

    class Meta:
        ordering = ["position", "title"]

    def __str__(self):
        return self.title


class ChecklistStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class ChecklistQuerySet(models.QuerySet):
    def for_user(self, user):
        """Checklists of the organisations this person belongs to: the one scope every view starts from."""
        return self.filter(organisation__memberships__user=user)

    def past_review(self, today):
        return self.exclude(status=ChecklistStatus.ARCHIVED).filter(review_date__lt=today)

    def active(self):
        return self.filter(status=ChecklistStatus.ACTIVE)

    def not_archived(self):
        return self.exclude(status=ChecklistStatus.ARCHIVED)


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

    objects = ChecklistQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self):
        return self.title

    def coverage(self):
        """How many applicable challenges have at least one live mitigation (one query)."""
        return coverage_by_checklist([self.pk])[self.pk]

    def coverage_by_group(self, facts=None):
        """The same figure through each stakeholder group's eyes (two queries; one given the evidence facts)."""
        return coverage_by_stakeholder_group(self, facts)


class Priority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ItemQuerySet(models.QuerySet):
    def challenges(self):
        return self.filter(finding__valence=Valence.CHALLENGE)

    def applicable_challenges(self):
        return self.challenges().filter(applies=True)

    def with_coverage(self):
        """Annotate `is_covered`: the item has a mitigation in any status but dropped."""
        live = Mitigation.objects.filter(item=models.OuterRef("pk"), status__in=LIVE_STATUSES)
        return self.annotate(is_covered=models.Exists(live))

    def uncovered(self):
        return self.applicable_challenges().with_coverage().filter(is_covered=False)

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
    history = HistoricalRecords(bases=[OrganisationHistory])

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["finding__theme__category__position", "finding__theme__position", "finding__position"]
        constraints = [models.UniqueConstraint(fields=["checklist", "finding"], name="one_item_per_finding")]

    def __str__(self):
        return str(self.finding)

    @property
    def is_challenge(self):
        return self.finding.valence == Valence.CHALLENGE

    @property
    def is_benefit(self):
        return self.finding.valence == Valence.BENEFIT


class MitigationStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    BLOCKED = "blocked", "Blocked"
    DROPPED = "dropped", "Dropped"


# Everything but dropped still counts towards covering an item.
LIVE_STATUSES = [
    MitigationStatus.PLANNED,
    MitigationStatus.IN_PROGRESS,
    MitigationStatus.DONE,
    MitigationStatus.BLOCKED,
]
OPEN_STATUSES = [MitigationStatus.PLANNED, MitigationStatus.IN_PROGRESS, MitigationStatus.BLOCKED]


class MitigationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(checklist__organisation__memberships__user=user)

    def live(self):
        return self.filter(status__in=LIVE_STATUSES)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today):
        return self.open().filter(due_date__lt=today)

    def due_within(self, today, days):
        return self.open().filter(due_date__gte=today, due_date__lte=today + timedelta(days=days))

    def blocked(self):
        return self.filter(status=MitigationStatus.BLOCKED)

    def in_organisation(self, organisation):
        return self.filter(checklist__organisation=organisation)

    def on_current_checklists(self):
        """Actions whose checklist is not archived: an archived plan no longer asks anything of anyone."""
        return self.exclude(checklist__status=ChecklistStatus.ARCHIVED)

    def owned_by_member(self, user):
        """Actions this person owns in organisations they still belong to (a leaver's old actions stay
        with the organisation, out of their sight)."""
        return self.filter(owner=user, checklist__organisation__memberships__user=user)

    def soonest_due_first(self):
        return self.order_by(models.F("due_date").asc(nulls_last=True), "pk")

    def with_overdue(self, today):
        """Annotate `overdue_now`: open and due before today."""
        late = models.Q(status__in=OPEN_STATUSES, due_date__lt=today)
        return self.annotate(overdue_now=models.ExpressionWrapper(late, output_field=models.BooleanField()))

    def for_listing(self):
        """What a list of actions shows beside each one, fetched in the same query."""
        return self.select_related("checklist__organisation", "item__finding__theme", "owner")


class Mitigation(models.Model):
    """What a service will do about an item: an action someone owns, with a due date and a status."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="mitigations")
    # The item's checklist, kept here because dashboards count and filter actions per checklist and
    # organisation; an item never moves between checklists, so it cannot drift.
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="mitigations")
    action = models.TextField("what will be done", max_length=2000)
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

    objects = MitigationQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["checklist", "status"]),
            models.Index(fields=["owner", "status", "due_date"]),
            models.Index(fields=["status", "due_date"]),
        ]

    def __str__(self):
        return self.action[:80]

    @property
    def is_live(self):
        return self.status in LIVE_STATUSES

    def is_overdue(self, today):
        return self.due_date is not None and self.due_date < today and self.status in OPEN_STATUSES


@dataclass(frozen=True)
class Coverage:
    """Applicable challenges with at least one live mitigation, out of all applicable challenges."""

    covered: int
    applicable: int

    @property
    def uncovered(self):
        return self.applicable - self.covered

    @property
    def percent(self):
        """Whole percent, rounded down so 'covered' is never overstated; 0 when nothing applies."""
        return (100 * self.covered // self.applicable) if self.applicable else 0

    @property
    def is_complete(self):
        return self.applicable > 0 and self.covered == self.applicable


def coverage_by_checklist(checklist_ids):
    """Coverage for many checklists in one query: {checklist id: Coverage}."""
    rows = (
        Item.objects.filter(checklist_id__in=checklist_ids)
        .applicable_challenges()
        .with_coverage()
        .values("checklist_id")
        .annotate(
            applicable=models.Count("pk"),
            covered=models.Count("pk", filter=models.Q(is_covered=True)),
        )
        .order_by()
    )
    result = {checklist_id: Coverage(0, 0) for checklist_id in checklist_ids}
    for row in rows:
        result[row["checklist_id"]] = Coverage(covered=row["covered"], applicable=row["applicable"])
    return result


def coverage_by_stakeholder_group(checklist, facts=None):
    """{stakeholder group: Coverage} over the applicable challenges that group reported, counting the
    groups named inside Mixed samples too (e.g. "challenges reported by service users: 4 of 6 covered")."""
    from evidence.cache import finding_facts
    from evidence.models import StakeholderGroup

    # checklist_id too: the related manager reads it on every row it returns (one query per row if deferred).
    items = list(checklist.items.applicable_challenges().with_coverage().only("pk", "finding_id", "checklist_id"))
    facts = facts if facts is not None else finding_facts()
    result = {}
    for group in StakeholderGroup.values:
        reported = [item for item in items if group in facts[item.finding_id].groups]
        if reported:
            result[group] = Coverage(covered=sum(item.is_covered for item in reported), applicable=len(reported))
    return result


class Reminder(models.Model):
    """A reminder email sent to one person on one day, so a cron run every hour sends at most one a day."""

    class Kind(models.TextChoices):
        ACTIONS = "actions", "Actions digest"
        REVIEWS = "reviews", "Checklists past review date"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "sent_on"], name="one_reminder_per_kind_per_day")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient} on {self.sent_on}"
