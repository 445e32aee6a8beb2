"""The events that notify people (assigned, mentioned, invited, ...), recorded in the transaction of the
write they are about."""

import logging

from django.contrib.auth import get_user_model
from django.utils import timezone

from peerplan.models import Membership, Notification, Role
from peerplan.models.notifications import Channel, Kind, channel_for, email_fields

log = logging.getLogger(__name__)


def record(*, recipient, kind, organisation, actor=None, now=None, **about):
    """One notification for `recipient` as they chose (none when they turned the kind off). Nobody is
    told about what they did themselves."""
    if recipient is None or (actor is not None and recipient.pk == actor.pk):
        return None
    channel = channel_for(recipient, kind)
    if channel == Channel.OFF:
        return None
    now = now or timezone.now()
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        organisation=organisation,
        actor=actor,
        created_at=now,
        **email_fields(channel, now),
        **about,
    )


def assigned(*, mitigation, previous_owner_id, by=None):
    """Called by every operation that sets an action's owner: the new owner hears of it once."""
    if mitigation.owner_id is None or mitigation.owner_id == previous_owner_id:
        return None
    organisation = mitigation.checklist.organisation
    # The owner drop-down lists members only, but an API or a restore may name anyone: a non-member is not told.
    if not Membership.objects.filter(organisation=organisation, user_id=mitigation.owner_id).exists():
        return None
    return record(
        recipient=mitigation.owner, kind=Kind.ASSIGNED, organisation=organisation, actor=by, mitigation=mitigation
    )


def comment_posted(comment, *, mentioned, edited=False):
    """Mentioned members hear of the comment; the action's owner hears of a new comment on it (once,
    as a mention if they were mentioned)."""
    about = {"comment": comment, "mitigation": comment.mitigation, "item": comment.item}
    told = set()
    for user in mentioned:
        record(recipient=user, kind=Kind.MENTIONED, organisation=comment.organisation, actor=comment.author, **about)
        told.add(user.pk)
    mitigation = comment.mitigation
    if not edited and mitigation is not None and mitigation.owner_id and mitigation.owner_id not in told:
        if Membership.objects.filter(organisation=comment.organisation, user_id=mitigation.owner_id).exists():
            record(
                recipient=mitigation.owner,
                kind=Kind.COMMENTED,
                organisation=comment.organisation,
                actor=comment.author,
                **about,
            )


def invited(*, invitation, by=None):
    """Someone who already has an account hears of an invitation to their email address."""
    user = get_user_model().objects.filter(email__iexact=invitation.email).order_by("pk").first()
    if user is None:
        return None
    return record(
        recipient=user,
        kind=Kind.MEMBERSHIP,
        organisation=invitation.organisation,
        actor=by,
        invitation_token=invitation.token,
        role=invitation.role,
    )


def network_invited(*, network_membership, by=None):
    """Every owner of the invited organisation hears of a network's invitation: only an owner can answer it."""
    owners = Membership.objects.filter(organisation_id=network_membership.organisation_id, role=Role.OWNER)
    for owner in owners.select_related("user"):
        record(
            recipient=owner.user,
            kind=Kind.NETWORK,
            organisation=network_membership.organisation,
            actor=by,
            network_membership=network_membership,
        )


def role_changed(*, membership, by=None):
    return record(
        recipient=membership.user,
        kind=Kind.MEMBERSHIP,
        organisation=membership.organisation,
        actor=by,
        membership=membership,
        role=membership.role,
    )
