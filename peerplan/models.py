"""Planning: organisations and their members, checklists, items and mitigations, and the curated
library of suggested mitigations."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from evidence.cache import finding_facts
from evidence.models import TO_MITIGATE, Finding, StakeholderGroup, Theme


def normalise_text(text):
    """Text as it is kept: one kind of line ending. Browsers send a textarea's lines as CRLF; stored text
    (an adopted suggestion, an import) has LF, so without this an untouched box would look changed."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if isinstance(text, str) else text


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
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Members must set up two-factor sign-in before they see the organisation's data.",
    )
    # Off until an owner switches it on (peerplan/shared_learning.py says what is counted, and how).
    share_anonymously = models.BooleanField(
        default=False,
        help_text="Count this organisation's decisions and adopted suggestions in the anonymous figures "
        '"what services like yours did".',
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def shuts_out(self, user):
        """Whether a two-factor rule (its own, or the site's REQUIRE_2FA) keeps this person (a member) from its
        data until they set it up: the one-organisation form of `MembershipQuerySet.readable`, which every
        listing across organisations uses (tests/test_rules.py holds the two together)."""
        required = self.require_two_factor or settings.REQUIRE_2FA
        return required and not Authenticator.objects.filter(user_id=user.pk).exists()


class MembershipQuerySet(models.QuerySet):
    def managers(self):
        return self.filter(role__in=[Role.OWNER, Role.MANAGER])

    def readable(self):
        """Memberships through which their person may read the organisation's data now: neither the
        organisation nor the site (REQUIRE_2FA) requires two-factor, or the person has set it up. Being in this queryset at all is the other
        half of the rule (a person who was removed has no row). Every read across organisations (My
        actions, notifications and their emails, reminders, the API's list) goes through this, so a rule
        added here holds on every path; one organisation's pages ask `Organisation.shuts_out`."""
        has_two_factor = models.Exists(Authenticator.objects.filter(user_id=models.OuterRef("user_id")))
        if settings.REQUIRE_2FA:  # the site's rule: everyone, in every organisation
            return self.filter(has_two_factor)
        return self.filter(models.Q(organisation__require_two_factor=False) | models.Q(has_two_factor))

    def readable_by(self, user):
        """The person's memberships that let them read their organisation's data now (see `readable`)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user).readable()


def readable_organisations(user):
    """The ids of the organisations whose data this person may read now, as a subquery (no query of its own)."""
    return Membership.objects.readable_by(user).values("organisation_id")


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

    def can_change(self, other):
        """Whether this member may change `other`'s role or remove them: owners and managers may, but only an
        owner touches an owner. The members page and the operations both ask this."""
        return self.can_manage and (other.role != Role.OWNER or self.is_owner)

    def grantable_roles(self):
        """The roles this member may give: only an owner makes someone an owner."""
        return [(value, label) for value, label in Role.choices if value != Role.OWNER or self.is_owner]

    @property
    def display_name(self):
        return display_name(self.user)


def display_name(user):
    """How a person is named on screen, in emails and in exports: their name, else their email, else the
    username an administrator gave them. The one spelling of a person's name (templates use the
    `display_name` filter, which calls this)."""
    if user is None:
        return ""
    return user.get_full_name() or user.email or user.username


class SignOnDomain(models.Model):
    """An email domain whose people, signing in for the first time through single sign-on with an email
    their provider has verified, join an organisation with a role (set by the site administrator)."""

    domain = models.CharField(
        max_length=253, unique=True, help_text="Like nhs.net: the part of the email after the @, lower case."
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sign_on_domains")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return f"{self.domain} joins {self.organisation} as {self.get_role_display().lower()}"

    def clean(self):
        # The admin's form calls this: people type "@NHS.net" as often as "nhs.net".
        self.domain = self.domain.strip().lower().lstrip("@")


def new_invitation_token():
    return secrets.token_urlsafe(32)


def invitation_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_DAYS)


class InvitationQuerySet(models.QuerySet):
    def pending(self, now=None):
        """Not used yet and not expired (what `Invitation.problem()` checks first; the sender's rights and
        the person accepting are checked per invitation)."""
        return self.filter(accepted_at__isnull=True, expires_at__gt=now or timezone.now())


# `Invitation.problem()` reads the sender's membership itself unless the caller already has it.
_READ_INVITER = object()


class Invitation(models.Model):
    """A single-use, expiring link that lets one person, the one it was sent to, join an organisation with a
    role."""

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

    objects = InvitationQuerySet.as_manager()

    def __str__(self):
        return f"Invitation for {self.email} to {self.organisation}"

    @property
    def inviter_name(self):
        return display_name(self.invited_by)

    NOT_FOUND = "This invitation link is not valid. It may have been revoked. Ask for a new one."
    SENDER_CANNOT_GRANT = (
        "This invitation is no longer valid: the person who sent it no longer has the right to invite you with "
        "this role. Ask an owner or manager of the organisation for a new one."
    )
    FOR_ANOTHER_EMAIL = (
        "This invitation was sent to another email address. Sign in with the address it was sent to, or sign "
        "out and sign up with the address this invitation was sent to."
    )

    def problem(self, now=None, *, user=None, inviter=_READ_INVITER):
        """Why this invitation cannot be used now (by `user`, when given), in words for the person holding
        the link; None if it can. (A token that matches no invitation is `Invitation.NOT_FOUND`.)

        Links get forwarded, so an invitation is only for the email address it was sent to; and it grants
        no more than its sender may grant today: `inviter` is the sender's membership of the organisation
        as it is now (None once they have left), read here (one query) unless the caller has it."""
        if self.accepted_at is not None:
            return "This invitation has already been used. Ask for a new one if you still need it."
        if self.expires_at <= (now or timezone.now()):
            return "This invitation has expired. Ask the person who invited you for a new one."
        if inviter is _READ_INVITER:
            inviter = (
                Membership.objects.filter(organisation_id=self.organisation_id, user_id=self.invited_by_id).first()
                if self.invited_by_id
                else None
            )
        if inviter is None or not inviter.can_manage or self.role not in dict(inviter.grantable_roles()):
            return self.SENDER_CANNOT_GRANT
        if user is not None and (user.email or "").strip().lower() != self.email.strip().lower():
            return self.FOR_ANOTHER_EMAIL
        return None


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

    @property
    def is_archived(self):
        return self.status == ChecklistStatus.ARCHIVED

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
        """Annotate `is_covered` (planned for: the item has a live mitigation, any status but dropped) and
        `is_done` (at least one of its mitigations is done): 'planned for' alone would show 100 % beside
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

    objects = ItemQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["checklist", "finding"], name="one_item_per_finding")]

    def __str__(self):
        return str(self.finding)

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

    def evidence_version_label(self):
        """E.g. "Cooper et al. 2024, Table 6 version 1" (needs the finding's theme, category and source)."""
        if self.evidence_version is None:
            return ""
        return f"{self.finding.theme.category.source.name} version {self.evidence_version}"

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


def overdue_q(today):
    """Open and due before today (`today` where the service is: tracking.today())."""
    return open_q() & models.Q(due_date__lt=today)


def due_within_q(today, days):
    """Open and due from today to `days` days on."""
    return open_q() & models.Q(due_date__gte=today, due_date__lte=today + timedelta(days=days))


def blocked_q():
    return models.Q(status=MitigationStatus.BLOCKED)


def no_owner_q():
    """Nobody owns it: neither a member nor a named person outside the organisation."""
    return models.Q(owner__isnull=True, owner_name="")


def no_due_date_q():
    return models.Q(due_date__isnull=True)


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

    def on_current_checklists(self):
        """Actions whose checklist is not archived: an archived plan no longer asks anything of anyone."""
        return self.filter(not_archived(via="checklist__"))

    def on_active_checklists(self):
        """Actions of active checklists only: the dashboard's rule (a draft is not yet a plan anyone works to)."""
        return self.filter(checklist__status=ChecklistStatus.ACTIVE)

    def owned_by_member(self, user):
        """Actions this person owns in organisations whose data they may read now: still a member (a leaver's
        old actions stay with the organisation, out of their sight) and past its two-factor rule."""
        return self.filter(owner=user, checklist__organisation__in=readable_organisations(user))

    def soonest_due_first(self):
        return self.order_by(models.F("due_date").asc(nulls_last=True), "pk")

    def with_overdue(self, today):
        """Annotate `overdue_now` (what `is_overdue(today)` says, for a template that cannot pass today)."""
        return self.annotate(overdue_now=models.ExpressionWrapper(overdue_q(today), output_field=models.BooleanField()))

    def duplicates(self):
        """Actions adopted from a suggestion that another action of the same checklist was adopted from too."""
        twins = Mitigation.objects.filter(
            checklist=models.OuterRef("checklist"), suggestion=models.OuterRef("suggestion")
        ).exclude(pk=models.OuterRef("pk"))
        return self.filter(suggestion__isnull=False).filter(models.Exists(twins))

    def addressing_theme(self, theme):
        """Actions addressing at least one challenge of this theme, each once."""
        return self.filter(models.Exists(Item.objects.filter(mitigations=models.OuterRef("pk"), finding__theme=theme)))

    def for_listing(self):
        """What a list of actions shows beside each one: its checklist and owner in the same query, the
        challenges it addresses in one more."""
        return self.select_related("checklist__organisation", "owner").prefetch_related(addressed_items())


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

    # The same rules as live_q(), open_q() and overdue_q(), for one action already in memory.
    @property
    def is_live(self):
        return self.status in LIVE_STATUSES

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    def is_overdue(self, today):
        return self.is_open and self.due_date is not None and self.due_date < today

    @property
    def owner_label(self):
        """The owner as people know them: a member's name, or the named person outside the organisation."""
        return display_name(self.owner) if self.owner_id else self.owner_name

    @property
    def addressed(self):
        """The items it addresses in published order (prefetched by for_listing and the pages)."""
        return sorted(self.items.all(), key=lambda item: item.published_order)

    @property
    def theme_names(self):
        """The themes of the challenges it addresses, each once, in published order: "Workload; Boundaries"."""
        names = []
        for item in self.addressed:
            if item.finding.theme.name not in names:
                names.append(item.finding.theme.name)
        return "; ".join(names)


def addressed_items(to_attr=None):
    """Prefetch of the items an action addresses, with what their names need."""
    items = Item.objects.select_related("finding__theme__category").order_by(*PUBLISHED_ORDER)
    return models.Prefetch("items", queryset=items, to_attr=to_attr)


@dataclass(frozen=True)
class Coverage:
    """Applicable challenges with at least one live mitigation ('planned for'), and with at least one
    done ('done'), out of all applicable challenges."""

    covered: int
    applicable: int
    done: int = 0

    @property
    def uncovered(self):
        return self.applicable - self.covered

    @property
    def percent(self):
        """Whole percent, rounded down so 'covered' is never overstated; 0 when nothing applies."""
        return (100 * self.covered // self.applicable) if self.applicable else 0

    @property
    def done_percent(self):
        """Whole percent of applicable challenges with an action done, rounded down like `percent`."""
        return (100 * self.done // self.applicable) if self.applicable else 0


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
            done=models.Count("pk", filter=models.Q(is_done=True)),
        )
        .order_by()
    )
    result = {checklist_id: Coverage(0, 0) for checklist_id in checklist_ids}
    for row in rows:
        result[row["checklist_id"]] = Coverage(covered=row["covered"], applicable=row["applicable"], done=row["done"])
    return result


def coverage_by_stakeholder_group(checklist, facts=None):
    """{stakeholder group: Coverage} over the applicable challenges that group reported, counting the
    groups named inside Mixed samples too (e.g. "challenges reported by service users: 4 of 6 covered")."""

    # checklist_id too: the related manager reads it on every row it returns (one query per row if deferred).
    items = list(checklist.items.applicable_challenges().with_coverage().only("pk", "finding_id", "checklist_id"))
    facts = facts if facts is not None else finding_facts()
    result = {}
    for group in StakeholderGroup.values:
        reported = [item for item in items if group in facts[item.finding_id].groups]
        if reported:
            result[group] = Coverage(
                covered=sum(item.is_covered for item in reported),
                applicable=len(reported),
                done=sum(item.is_done for item in reported),
            )
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


# Comments, notifications and attachments live in their own modules; importing them here registers their
# models with the app.
from peerplan.attachments import Attachment  # noqa: E402, F401
from peerplan.comments import Comment  # noqa: E402, F401
from peerplan.networks import Network, NetworkMembership  # noqa: E402, F401
from peerplan.notifications import Notification, NotificationPreference  # noqa: E402, F401
from peerplan.shared_learning import ChallengeFigure, SharedLearningRun, SuggestionFigure  # noqa: E402, F401
