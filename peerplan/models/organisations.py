"""Organisations, their members and roles, invitations and single sign-on domains."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models
from django.utils import timezone

from peerplan.lib.freshness import OrganisationData


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    PLANNER = "planner", "Planner"
    VIEWER = "viewer", "Viewer"


# How long a deleted organisation can be restored by an owner before `purge_deleted_organisations` removes it.
RESTORABLE_DAYS = 30


def live_organisation_q(path):
    """The rule of a live organisation (not deleted: see `Organisation.deleted_at`) for the rows whose lookup
    `path` leads to it ("organisation", "checklist__organisation")."""
    return models.Q(**{f"{path}__deleted_at__isnull": True})


class OrganisationQuerySet(models.QuerySet):
    def live(self):
        """Organisations not deleted: the only ones anyone sees (see `Organisation.deleted_at`)."""
        return self.filter(deleted_at__isnull=True)

    def due_for_purge(self, now=None):
        """Deleted at least RESTORABLE_DAYS ago: no longer restorable, to be removed with everything they held."""
        return self.filter(deleted_at__lte=(now or timezone.now()) - timedelta(days=RESTORABLE_DAYS))


class Organisation(models.Model):
    """A service or trust that plans peer support work; everything it plans belongs to it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Members must set up two-factor sign-in before they see the organisation's data.",
    )
    # Off until an owner switches it on (peerplan/figures/shared_learning.py says what is counted, and how).
    share_anonymously = models.BooleanField(
        default=False,
        help_text="Count this organisation's decisions and adopted suggestions in the anonymous figures "
        '"what services like yours did".',
    )

    # Set when an owner deletes it: from then on it does not exist for anyone (every membership query goes
    # through `MembershipQuerySet.live`), its owners may restore it until `restorable_until`, and then
    # `purge_deleted_organisations` removes every row and file it held.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )

    freshness = OrganisationData("pk")  # the organisation itself: its name and settings show on its pages

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def restorable_until(self):
        """The moment the purge may remove it (None while it is not deleted)."""
        return self.deleted_at + timedelta(days=RESTORABLE_DAYS) if self.deleted_at else None

    def shuts_out(self, user):
        """Whether a two-factor rule (its own, or the site's REQUIRE_2FA) keeps this person (a member) from its
        data until they set it up: the one-organisation form of `MembershipQuerySet.readable`, which every
        listing across organisations uses (tests/test_rules.py holds the two together)."""
        required = self.require_two_factor or settings.REQUIRE_2FA
        return required and not has_authenticator(user)


def has_authenticator(user):
    """Whether the person has set up two-factor (any authenticator). The signed-in person of a request comes
    knowing it (read with them, from the shared cache: peerplan/accounts/person.py); anyone else is asked."""
    known = getattr(user, "has_authenticator", None)
    if known is not None:
        return known
    return Authenticator.objects.filter(user_id=user.pk).exists()


class MembershipQuerySet(models.QuerySet):
    def live(self):
        """Memberships of organisations that are not deleted. A deleted organisation does not exist for its
        members, owners included: every loader (peerplan/access.py), list and scan starts from this (or from
        `readable`, built on it), so no page, API answer, export, notification or email reaches it. Only
        `deleted_owned_by` looks past it, for restoring."""
        return self.filter(live_organisation_q("organisation"))

    def deleted_owned_by(self, user):
        """The person's owner memberships of deleted organisations not purged yet: what they may restore."""
        return self.filter(user=user, role=Role.OWNER, organisation__deleted_at__isnull=False)

    def managers(self):
        return self.filter(role__in=[Role.OWNER, Role.MANAGER])

    def readable(self):
        """Memberships through which their person may read the organisation's data now: the organisation is
        not deleted (`live`), and neither the
        organisation nor the site (REQUIRE_2FA) requires two-factor, or the person has set it up. Being in this queryset at all is the other
        half of the rule (a person who was removed has no row). Every read across organisations (My
        actions, notifications and their emails, reminders, the API's list) goes through this, so a rule
        added here holds on every path; one organisation's pages ask `Organisation.shuts_out`."""
        has_two_factor = models.Exists(Authenticator.objects.filter(user_id=models.OuterRef("user_id")))
        if settings.REQUIRE_2FA:  # the site's rule: everyone, in every organisation
            return self.live().filter(has_two_factor)
        return self.live().filter(models.Q(organisation__require_two_factor=False) | models.Q(has_two_factor))

    def sole_owner(self, user):
        """The person's memberships as the only owner of their organisation: an organisation must always
        have an owner, so these stop them deleting their account until someone else is made owner. A deleted
        organisation is not counted: it exists for nobody and is purged on its date, restored or not."""
        other_owners = Membership.objects.filter(
            organisation_id=models.OuterRef("organisation_id"), role=Role.OWNER
        ).exclude(user=user)
        return self.live().filter(user=user, role=Role.OWNER).exclude(models.Exists(other_owners))

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

    freshness = OrganisationData("organisation")

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


# What a person who deleted their account is called wherever their name was shown (comments, files, history,
# decisions, notifications). A sentence starts it with capfirst.
FORMER_MEMBER = "a former member"
# The username of the one account that holds what every deleted person wrote or did (GitLab's "ghost user"):
# their rows stay, attributed to it, so a page says "a former member" rather than nobody, and no old row
# ever points at an id a new account could take. The spaces make it a name no sign-up or admin form accepts,
# so it can never be someone's real account.
FORMER_MEMBER_USERNAME = "a former member"


def former_member():
    """The former members' account (made the first time an account is deleted). It cannot sign in: it is
    inactive, has no password and no email address, and belongs to no organisation."""
    account, _ = get_user_model().objects.get_or_create(
        username=FORMER_MEMBER_USERNAME, defaults={"is_active": False, "password": make_password(None)}
    )
    return account


@dataclass(frozen=True)
class MemberName:
    """What display_name (and collaboration's handles) read of a person, read as plain values where a page
    names many people at once (a large organisation's hundred members, offered as owners on every list): no
    User made for each. MEMBER_NAME_FIELDS are its fields, in order, as a User's."""

    pk: int
    first_name: str
    last_name: str
    email: str
    username: str

    def get_full_name(self):
        # As Django's AbstractUser.get_full_name.
        return f"{self.first_name} {self.last_name}".strip()


MEMBER_NAME_FIELDS = ("pk", "first_name", "last_name", "email", "username")


def display_name(user):
    """How a person is named on screen, in emails and in exports: their name, else their email, else the
    username an administrator gave them. The one spelling of a person's name (templates use the
    `display_name` filter, which calls this)."""
    if user is None:
        return ""
    if user.username == FORMER_MEMBER_USERNAME:
        return FORMER_MEMBER
    return user.get_full_name() or user.email or user.username


class SignOnDomain(models.Model):
    """An email domain whose people, signing in for the first time through single sign-on with an email
    their provider has verified, join an organisation with a role (set by the site administrator)."""

    domain = models.CharField(
        max_length=253, unique=True, help_text="Like nhs.net: the part of the email after the @, lower case."
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sign_on_domains")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    freshness = OrganisationData("organisation")

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

    freshness = OrganisationData("organisation")

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
        if self.organisation.is_deleted:  # it does not exist for anyone while it waits for the purge
            return self.NOT_FOUND
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
