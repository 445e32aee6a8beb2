"""Networks of services that learn from each other, and which organisations belong to them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from peerplan.lib.freshness import EVERY_ORGANISATION, OrganisationData
from peerplan.models.organisations import Organisation, display_name

# What an organisation shares with a network's coordinators, in the words its owner reads before accepting.
# The network page reads these figures and nothing else (tests/test_networks.py checks what it shows).
SHARED = [
    "the organisation's name",
    "the name of each active checklist",
    "how many of each active checklist's challenges have been decided (review progress)",
    "for each challenge of the published evidence, whether it applies and whether it is covered "
    "(a live action: one not dropped) or done (an action done)",
    "how many actions are planned, in progress, done, blocked and dropped, and how many are overdue",
]


# What sharing check-in trends adds, a separate choice from the progress above (the acceptance page asks for it
# on its own, and an owner can stop it at any time without leaving the network).
CHECK_INS_SHARED = [
    "for each challenge your check-ins ask about, the percent of those answering each statement who agree, in "
    "the last closed rounds, and only where at least the check-in's threshold of people answered it",
]
CHECK_INS_NOT_SHARED = [
    "anything of a round still open, the answers' counts, comments, and who was asked",
]


NOT_SHARED = [
    "what any action says, its notes, owner or due date",
    "comments and attached files",
    "anyone's name or email address",
    "decisions' reasons and item notes",
    "draft and archived checklists",
    "the organisation's own evidence",
]


class NetworkQuerySet(models.QuerySet):
    def coordinated_alone_by(self, user):
        """Networks whose only coordinator is this person: deleting their account would leave the network
        with nobody to invite organisations or read its page."""
        # Counted before the filter on the person, so the count sees every coordinator, not only them.
        return self.annotate(coordinator_count=models.Count("coordinators")).filter(
            coordinator_count=1, coordinators=user
        )


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

    freshness = EVERY_ORGANISATION  # its name shows on its members' organisation pages

    objects = NetworkQuerySet.as_manager()

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
        """Members that share with the network now: accepted, not left, and not deleted (a deleted
        organisation leaves its networks' pages and figures at once; restored, it is back as it was)."""
        return self.filter(state=NetworkState.ACCEPTED, organisation__deleted_at__isnull=True)

    def invited(self):
        return self.filter(state=NetworkState.INVITED, organisation__deleted_at__isnull=True)


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
    shares_check_ins = models.BooleanField(
        "shares check-in trends",
        default=False,
        help_text="An owner's separate consent, given or withdrawn on the organisation's page about the network.",
    )

    freshness = OrganisationData("organisation")

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


def find_organisations(query, network, limit=20):
    """Organisations whose name or short name contains `query` (at least 3 characters), for a coordinator
    choosing whom to invite: names only, and those already members or invited are marked."""
    query = (query or "").strip()
    if len(query) < 3:
        return []
    found = list(
        Organisation.objects.live().filter(Q(name__icontains=query) | Q(slug__icontains=query)).order_by("name")[:limit]
    )
    states = dict(
        NetworkMembership.objects.filter(network=network, organisation__in=found).values_list(
            "organisation_id", "state"
        )
    )
    for organisation in found:
        organisation.network_state = states.get(organisation.pk)
    return found


def coordinator_names(network):
    """The coordinators, named: an owner deciding whether to share should know who will see it."""
    return [display_name(user) for user in network.coordinators.order_by("first_name", "last_name", "email")]


def invitations_for(organisation):
    """The organisation's networks: pending invitations and the networks it shares with (one query)."""
    return list(invitations_query(organisation.pk))


def invitations_query(organisation_id):
    """The query invitations_for reads."""
    return (
        NetworkMembership.objects.filter(
            organisation_id=organisation_id, state__in=[NetworkState.INVITED, NetworkState.ACCEPTED]
        )
        .select_related("network")
        .order_by("network__name")
    )
