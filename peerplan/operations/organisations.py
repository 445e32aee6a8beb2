"""Writes to an organisation and its members: creating one, invitations, roles, removal and its
two-factor rule."""

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from peerplan.accounts.two_factor import has_two_factor
from peerplan.lib.errors import NoLongerMember, NotAllowed, Refused
from peerplan.models import Invitation, Membership, Organisation, Role, display_name
from peerplan.notify import deliver, events


def unique_slug(name):
    base = slugify(name)[:200] or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_organisation(*, name, by):
    """A new organisation with the person who created it as its first owner."""
    with transaction.atomic():
        organisation = Organisation.objects.create(name=name, slug=unique_slug(name))
        Membership.objects.create(organisation=organisation, user=by, role=Role.OWNER)
    return organisation


def _lock_organisation(organisation_id):
    """Lock the organisation's row: every change to its members and their roles takes this lock first,
    so rules that count members ("always an owner") see the others' changes, never a stale count.
    (On SQLite the IMMEDIATE transaction already holds the database's write lock.)"""
    Organisation.objects.select_for_update().filter(pk=organisation_id).first()


def _current_membership(organisation_id, user):
    """The requester's membership as it is now, inside the transaction: it may have changed or gone since
    the page loaded it (another owner removed them a moment ago)."""
    membership = Membership.objects.filter(organisation_id=organisation_id, user=user).first()
    if membership is None:
        raise NoLongerMember(
            "You are no longer a member of this organisation, so nothing was changed.",
            organisation_name=Organisation.objects.filter(pk=organisation_id).values_list("name", flat=True).first(),
        )
    return membership


def _target(membership):
    target = Membership.objects.select_related("user").filter(pk=membership.pk).first()
    if target is None:
        raise Refused(
            f"{display_name(membership.user)} is no longer a member (someone removed them a moment ago); "
            "nothing was changed."
        )
    return target


def invite(*, organisation, email, role, by):
    """A single-use, expiring invitation, emailed once it is saved; only an owner can invite another
    owner."""
    with transaction.atomic():
        # Read under the organisation's lock: the sender may have been demoted or removed a moment ago.
        _lock_organisation(organisation.pk)
        by_membership = _current_membership(organisation.pk, by)
        if not by_membership.can_manage:
            raise NotAllowed("Only owners and managers can invite people.")
        if role not in dict(by_membership.grantable_roles()):
            raise NotAllowed("Only an owner can invite another owner.")
        invitation = Invitation.objects.create(
            organisation=organisation, email=email.strip().lower(), role=role, invited_by=by
        )
        events.invited(invitation=invitation, by=by)
    deliver.send_invitation(invitation, inviter_name=display_name(by))
    return invitation


def revoke_invitation(*, invitation):
    """The invitation's link stops working at once."""
    invitation.delete()


def accept_invitation(*, token, user):
    """Use an invitation once: the person becomes a member with its role (or keeps the role they have).

    Returns (membership, created). The row is locked so two clicks on the same link cannot both use it.
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("organisation").filter(token=token).first()
        if invitation is None:
            raise Refused(Invitation.NOT_FOUND)
        _lock_organisation(invitation.organisation_id)  # the sender's rights are read as they are now
        if problem := invitation.problem(user=user):
            raise Refused(problem)
        membership, created = Membership.objects.get_or_create(
            organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership, created


def _owners_left_without(membership):
    return (
        Membership.objects.filter(organisation_id=membership.organisation_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .count()
    )


def _manager_and_target(membership, by, refusal):
    """Under the organisation's lock: the manager who asks and the member they act on, both as they are
    now (either may have changed since the page loaded). Refused with `refusal` for anyone but a manager."""
    _lock_organisation(membership.organisation_id)
    by_membership = _current_membership(membership.organisation_id, by)
    target = _target(membership)
    if not by_membership.can_manage:
        raise NotAllowed(refusal)
    return by_membership, target


def change_role(*, membership, role, by):
    """Managers change roles; only owners make or unmake owners; the last owner keeps the role.

    The organisation's row is locked before anything is read, so two owners demoting each other at
    once are served one after the other: the second sees the first's change and is refused."""
    with transaction.atomic():
        by_membership, membership = _manager_and_target(membership, by, "Only owners and managers can change roles.")
        if role not in Role.values:
            raise Refused("Choose one of the roles listed.")
        if not by_membership.can_change(membership) or role not in dict(by_membership.grantable_roles()):
            raise NotAllowed("Only an owner can make someone an owner or change an owner's role.")
        if membership.role == Role.OWNER and role != Role.OWNER and _owners_left_without(membership) == 0:
            raise Refused(f"{membership.display_name} is the last owner. Make someone else an owner first.")
        changed = membership.role != role
        membership.role = role
        membership.save(update_fields=["role"])
        if changed:
            events.role_changed(membership=membership, by=by)
    return membership


def remove_member(*, membership, by):
    """Take a person out of the organisation; the last owner cannot be removed (locked as change_role)."""
    with transaction.atomic():
        by_membership, membership = _manager_and_target(membership, by, "Only owners and managers can remove members.")
        if not by_membership.can_change(membership):
            raise NotAllowed("Only an owner can remove an owner.")
        if membership.role == Role.OWNER and _owners_left_without(membership) == 0:
            raise Refused(
                f"{membership.display_name} is the last owner and cannot be removed. Make someone else an owner first."
            )
        membership.delete()


def set_two_factor_requirement(*, organisation, required, by):
    """An owner requires (or stops requiring) two-factor for every member. Turning it on needs the owner's
    own two-factor first, so they are not the first person it shuts out."""
    if required and not has_two_factor(by):
        raise Refused(
            "Set up two-factor sign-in for yourself first (on your account page), then require it for everyone."
        )
    organisation.require_two_factor = required
    organisation.save(update_fields=["require_two_factor"])


NAME_DOES_NOT_MATCH = "The name you typed does not match the organisation's name, so nothing was deleted."


def delete_organisation(*, organisation, typed_name, by):
    """An owner deletes the organisation: from this moment it does not exist for anyone (every query goes
    through `MembershipQuerySet.live`), and an owner may restore it until `restorable_until`, when
    `purge_deleted_organisations` removes it. Nothing is removed now, so restoring brings all of it back."""
    if typed_name.strip() != organisation.name.strip():
        raise Refused(NAME_DOES_NOT_MATCH)
    with transaction.atomic():
        _lock_organisation(organisation.pk)
        if not _current_membership(organisation.pk, by).is_owner:
            raise NotAllowed("Only an owner can delete the organisation.")
        organisation.deleted_at = timezone.now()
        organisation.deleted_by = by
        # A save, not update(): the organisation's generation is replaced, so no cached page of it is served.
        organisation.save(update_fields=["deleted_at", "deleted_by"])
    return organisation


def restore_organisation(*, organisation, by):
    """An owner brings a deleted organisation back, before the purge, as it was."""
    with transaction.atomic():
        _lock_organisation(organisation.pk)
        organisation.refresh_from_db(fields=["deleted_at"])
        if not organisation.is_deleted:
            raise Refused(f"{organisation.name} is not deleted: there is nothing to restore.")
        if not Membership.objects.filter(organisation=organisation, user=by, role=Role.OWNER).exists():
            raise NotAllowed("Only an owner can restore the organisation.")
        organisation.deleted_at = None
        organisation.deleted_by = None
        organisation.save(update_fields=["deleted_at", "deleted_by"])
    return organisation
