"""Networks: groups of organisations (a regional peer support network, an integrated care system, a national
programme) whose coordinators see their members' progress, with each member's consent.

A site administrator creates a network and names its coordinators in the admin. A coordinator invites an
organisation; one of its owners accepts or declines, and can leave at any time. Joining is consent to share,
with that network's coordinators only, exactly what `SHARED` lists: never an action's text, notes, comments,
attachments or anyone's name. The network page (`network_page`) reads those counts and nothing else, in a
fixed number of queries whatever the number of members.

Models, their rules, the operations (each in one transaction) and the network page's figures live here
together, like comments.py: one file holds the whole of this feature.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from evidence.models import TO_MITIGATE, Finding
from peerplan import charts, notifications, page_cache, tracking
from peerplan.models import (
    Checklist,
    ChecklistStatus,
    Item,
    Membership,
    Organisation,
    Role,
    coverage_by_checklist,
)

# What an organisation shares with a network's coordinators, in the words its owner reads before accepting.
# The network page reads these figures and nothing else (tests/test_networks.py checks what it shows).
SHARED = [
    "the organisation's name",
    "the name of each active checklist",
    "how many of each active checklist's challenges have been decided (review progress)",
    "for each challenge of the published evidence, whether it applies and whether it is planned for "
    "(an action that is not dropped) or done (an action done)",
    "how many actions are planned, in progress, done, blocked and dropped, and how many are overdue",
]
NOT_SHARED = [
    "what any action says, its notes, owner or due date",
    "comments and attached files",
    "anyone's name or email address",
    "decisions' reasons and item notes",
    "draft and archived checklists",
    "the organisation's own evidence",
]


class NetworkRuleError(Exception):
    """A request that breaks a rule about networks; the message is written for the person who asked."""


class Network(models.Model):
    """A group of organisations whose coordinators see their members' progress (created by a site
    administrator in the admin, who names the coordinators)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(
        blank=True, max_length=2000, help_text="Who runs it and why: shown to owners of invited organisations."
    )
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="coordinated_networks",
        help_text="They invite organisations and see the network page.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def is_coordinator(self, user):
        return user.is_authenticated and self.coordinators.filter(pk=user.pk).exists()


class NetworkState(models.TextChoices):
    INVITED = "invited", "Invited"
    ACCEPTED = "accepted", "Member"
    DECLINED = "declined", "Declined"
    LEFT = "left", "Left"


class NetworkMembershipQuerySet(models.QuerySet):
    def accepted(self):
        """Members that share with the network now: accepted and not left."""
        return self.filter(state=NetworkState.ACCEPTED)

    def invited(self):
        return self.filter(state=NetworkState.INVITED)


class NetworkMembership(models.Model):
    """An organisation's place in a network: invited by a coordinator, then accepted or declined by one of
    its owners, who may leave at any time. One row per network and organisation; a new invitation after a
    decline or a departure reuses it."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="network_memberships")
    state = models.CharField(max_length=10, choices=NetworkState.choices, default=NetworkState.INVITED)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True, help_text="When an owner accepted or declined.")
    left_at = models.DateTimeField(null=True, blank=True)

    objects = NetworkMembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "organisation"], name="one_network_membership_per_organisation")
        ]
        indexes = [models.Index(fields=["network", "state"])]

    def __str__(self):
        return f"{self.organisation} in {self.network} ({self.get_state_display().lower()})"

    @property
    def is_invited(self):
        return self.state == NetworkState.INVITED

    @property
    def is_member(self):
        return self.state == NetworkState.ACCEPTED


# Operations --------------------------------------------------------------------------------------------


def find_organisations(query, network, limit=20):
    """Organisations whose name or short name contains `query` (at least 3 characters), for a coordinator
    choosing whom to invite: names only, and those already members or invited are marked."""
    query = (query or "").strip()
    if len(query) < 3:
        return []
    found = list(
        Organisation.objects.filter(Q(name__icontains=query) | Q(slug__icontains=query)).order_by("name")[:limit]
    )
    states = dict(
        NetworkMembership.objects.filter(network=network, organisation__in=found).values_list(
            "organisation_id", "state"
        )
    )
    for organisation in found:
        organisation.network_state = states.get(organisation.pk)
    return found


def invite_organisation(*, network, organisation, by):
    """A coordinator invites an organisation: its owners see the invitation on their organisation's page.
    Inviting again after a decline or a departure asks again; a member or a pending invitation is left as
    it is."""
    with transaction.atomic():
        if not network.coordinators.filter(pk=by.pk).exists():
            raise NetworkRuleError("Only the network's coordinators can invite organisations.")
        membership, created = NetworkMembership.objects.select_for_update().get_or_create(
            network=network, organisation=organisation, defaults={"invited_by": by}
        )
        if created:
            notifications.network_invited(network_membership=membership, by=by)
            return membership
        if membership.state == NetworkState.ACCEPTED:
            raise NetworkRuleError(f"{organisation.name} is already a member of {network.name}.")
        if membership.state == NetworkState.INVITED:
            raise NetworkRuleError(f"{organisation.name} is already invited; its owners have not answered yet.")
        membership.state = NetworkState.INVITED
        membership.invited_by = by
        membership.invited_at = timezone.now()
        membership.answered_by = None
        membership.answered_at = None
        membership.left_at = None
        membership.save()
        notifications.network_invited(network_membership=membership, by=by)
    return membership


def _owner_check(membership, by):
    if not Membership.objects.filter(organisation_id=membership.organisation_id, user=by, role=Role.OWNER).exists():
        raise NetworkRuleError("Only the organisation's owners can answer for it.")


def answer_invitation(*, membership, accept, by):
    """An owner accepts (the organisation shares what SHARED lists from now on) or declines."""
    with transaction.atomic():
        membership = NetworkMembership.objects.select_for_update().get(pk=membership.pk)
        _owner_check(membership, by)
        if membership.state != NetworkState.INVITED:
            raise NetworkRuleError("This invitation has already been answered; nothing was changed.")
        membership.state = NetworkState.ACCEPTED if accept else NetworkState.DECLINED
        membership.answered_by = by
        membership.answered_at = timezone.now()
        membership.save(update_fields=["state", "answered_by", "answered_at"])
    return membership


def leave_network(*, membership, by):
    """An owner takes the organisation out: the network's pages stop showing it at once."""
    with transaction.atomic():
        membership = NetworkMembership.objects.select_for_update().get(pk=membership.pk)
        _owner_check(membership, by)
        if membership.state != NetworkState.ACCEPTED:
            raise NetworkRuleError("Your organisation is not a member of this network; nothing was changed.")
        membership.state = NetworkState.LEFT
        membership.left_at = timezone.now()
        membership.save(update_fields=["state", "left_at"])
    return membership


def set_anonymous_sharing(*, organisation, share):
    """An owner switches anonymous sharing on or off; the figures change at the next computation."""
    Organisation.objects.filter(pk=organisation.pk).update(share_anonymously=share)
    page_cache.organisation_changed(organisation)  # update() sends no signal
    organisation.share_anonymously = share


def coordinator_names(network):
    """The coordinators, named: an owner deciding whether to share should know who will see it."""
    from peerplan.models import display_name

    return [display_name(user) for user in network.coordinators.order_by("first_name", "last_name", "email")]


# The network page --------------------------------------------------------------------------------------


@dataclass
class MemberSummary:
    """One member organisation's shared figures: its active checklists with review progress and coverage,
    and its actions counted by status and overdue (over its active checklists together)."""

    organisation: Organisation
    membership: NetworkMembership
    checklists: list = field(default_factory=list)  # (title, challenges decided, challenges, Coverage)
    progress: tracking.Progress = field(default_factory=tracking.Progress)
    trend: object = None
    chart: object = None


@dataclass
class ChallengeRow:
    """One challenge of the published evidence against every member: a tracking.Cell per member."""

    name: str
    cells: list
    not_covered: int = 0  # members to whom it applies with at least one applicable challenge not planned for


def _challenge_findings():
    """The published evidence's current challenges (and barriers), in published order (one query)."""
    return list(
        Finding.objects.current()
        .filter(valence__in=TO_MITIGATE, theme__category__source__organisation__isnull=True)
        .select_related("theme")
        .in_published_order()
    )


def network_page(network, today, months=6):
    """Everything the network page shows, in ten queries whatever the number of members: the members,
    their active checklists, review progress, coverage per checklist, actions by status, the published
    challenges, coverage per challenge and member, and the trends (the actions' and challenges' history and
    which challenges each action addresses)."""
    memberships = list(
        network.memberships.accepted().select_related("organisation").order_by("organisation__name", "pk")
    )
    members = [MemberSummary(m.organisation, m) for m in memberships]
    by_org = {member.organisation.pk: member for member in members}
    checklists = list(
        Checklist.objects.filter(organisation_id__in=by_org, status=ChecklistStatus.ACTIVE)
        .only("pk", "title", "organisation_id")
        .order_by("title", "pk")
    )
    checklist_ids = [c.pk for c in checklists]
    # Review progress: decided challenges of all challenges, per checklist (one query).
    reviewed = {
        row["checklist_id"]: (row["decided"], row["total"])
        for row in Item.objects.filter(checklist_id__in=checklist_ids)
        .challenges()
        .values("checklist_id")
        .annotate(total=Count("pk"), decided=Count("pk", filter=Q(decided_at__isnull=False)))
        .order_by()
    }
    coverage = coverage_by_checklist(checklist_ids)
    progress = tracking.progress_by_checklist(checklist_ids, today)
    for checklist in checklists:
        member = by_org[checklist.organisation_id]
        decided, total = reviewed.get(checklist.pk, (0, 0))
        member.checklists.append((checklist.title, decided, total, coverage[checklist.pk]))
        counts = progress[checklist.pk]
        for status, n in counts.counts.items():
            member.progress.counts[status] = member.progress.counts.get(status, 0) + n
        member.progress.overdue += counts.overdue
    # The grid: each published challenge against each member, over the member's active checklists.
    findings = _challenge_findings()
    cells = {}
    rows = (
        Item.objects.filter(checklist_id__in=checklist_ids, finding__in=[f.pk for f in findings])
        .challenges()
        .with_coverage()
        .values("checklist__organisation_id", "finding_id")
        .annotate(
            applicable=Count("pk", filter=Q(applies=True)),
            covered=Count("pk", filter=Q(applies=True, is_covered=True)),
            done=Count("pk", filter=Q(applies=True, is_done=True)),
        )
        .order_by()
    )
    for row in rows:
        cells[row["finding_id"], row["checklist__organisation_id"]] = tracking.Cell(
            row["applicable"], row["covered"], row["done"]
        )
    grid = []
    # A theme can hold more than one challenge (a release may add one): number them so no two rows look alike.
    per_theme = Counter(finding.theme_id for finding in findings)
    seen = Counter()
    for finding in findings:
        seen[finding.theme_id] += 1
        name = (
            finding.theme.name
            if per_theme[finding.theme_id] == 1
            else f"{finding.theme.name} ({seen[finding.theme_id]})"
        )
        row = ChallengeRow(name, [])
        for member in members:
            cell = cells.get((finding.pk, member.organisation.pk), tracking.Cell(0, 0))
            cell.member_name = member.organisation.name  # a cell's label when the grid is stacked on a phone
            cell.no_checklist = not member.checklists  # "no active checklist", not "not applicable"
            row.cells.append(cell)
            if cell.state in (tracking.Cell.OPEN, tracking.Cell.PARTLY):
                row.not_covered += 1
        grid.append(row)
    # The challenges most members have not planned for: those at least half the members have not.
    gaps = sorted(
        (row for row in grid if members and row.not_covered * 2 >= len(members) and row.not_covered),
        key=lambda row: -row.not_covered,
    )
    checklists_by_org = {pk: [] for pk in by_org}
    for checklist in checklists:
        checklists_by_org[checklist.organisation_id].append(checklist.pk)
    trends = tracking.coverage_over_time_by_organisation(checklists_by_org, today, months)
    for member in members:
        member.trend = trends[member.organisation.pk]
        member.chart = charts.trend_charts(member.trend, f"member-{member.organisation.pk}")[1]
    return {"members": members, "grid": grid, "gaps": gaps, "months": months}


def invitations_for(organisation):
    """The organisation's networks: pending invitations and the networks it shares with (one query)."""
    return list(
        organisation.network_memberships.filter(state__in=[NetworkState.INVITED, NetworkState.ACCEPTED])
        .select_related("network")
        .order_by("network__name")
    )
