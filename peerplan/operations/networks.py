"""Writes to networks: invitations, answers, leaving, and an organisation's choice to share anonymously."""

from django.db import transaction
from django.utils import timezone

from peerplan.lib.errors import NotAllowed, Refused
from peerplan.models import Membership, NetworkMembership, NetworkState, Organisation, Role, organisation_generations
from peerplan.notify import events


def invite_organisation(*, network, organisation, by):
    """A coordinator invites an organisation: its owners see the invitation on their organisation's page.
    Inviting again after a decline or a departure asks again; a member or a pending invitation is left as
    it is."""
    with transaction.atomic():
        if not network.coordinators.filter(pk=by.pk).exists():
            raise NotAllowed("Only the network's coordinators can invite organisations.")
        membership, created = NetworkMembership.objects.select_for_update().get_or_create(
            network=network, organisation=organisation, defaults={"invited_by": by}
        )
        if created:
            events.network_invited(network_membership=membership, by=by)
            return membership
        if membership.state == NetworkState.ACCEPTED:
            raise Refused(f"{organisation.name} is already a member of {network.name}.")
        if membership.state == NetworkState.INVITED:
            raise Refused(f"{organisation.name} is already invited; its owners have not answered yet.")
        membership.state = NetworkState.INVITED
        membership.invited_by = by
        membership.invited_at = timezone.now()
        membership.answered_by = None
        membership.answered_at = None
        membership.left_at = None
        membership.shares_check_ins = False  # asked afresh with the new invitation
        membership.save()
        events.network_invited(network_membership=membership, by=by)
    return membership


def _owner_check(membership, by):
    if not Membership.objects.filter(organisation_id=membership.organisation_id, user=by, role=Role.OWNER).exists():
        raise NotAllowed("Only the organisation's owners can answer for it.")


def answer_invitation(*, membership, accept, by, share_check_ins=False):
    """An owner accepts (the organisation shares what SHARED lists from now on, and its check-in trends too
    when they also chose `share_check_ins`, a separate consent) or declines."""
    with transaction.atomic():
        membership = NetworkMembership.objects.select_for_update().get(pk=membership.pk)
        _owner_check(membership, by)
        if membership.state != NetworkState.INVITED:
            raise Refused("This invitation has already been answered; nothing was changed.")
        membership.state = NetworkState.ACCEPTED if accept else NetworkState.DECLINED
        membership.answered_by = by
        membership.answered_at = timezone.now()
        membership.shares_check_ins = bool(accept and share_check_ins)
        membership.save(update_fields=["state", "answered_by", "answered_at", "shares_check_ins"])
    return membership


def leave_network(*, membership, by):
    """An owner takes the organisation out: the network's pages stop showing it at once."""
    with transaction.atomic():
        membership = NetworkMembership.objects.select_for_update().get(pk=membership.pk)
        _owner_check(membership, by)
        if membership.state != NetworkState.ACCEPTED:
            raise Refused("Your organisation is not a member of this network; nothing was changed.")
        membership.state = NetworkState.LEFT
        membership.left_at = timezone.now()
        membership.shares_check_ins = False
        membership.save(update_fields=["state", "left_at", "shares_check_ins"])
    return membership


def set_check_in_sharing(*, membership, share, by):
    """An owner gives or withdraws the organisation's consent to share its check-in trends with the network's
    coordinators (separate from its progress, which it shares while a member): the network page follows at once."""
    with transaction.atomic():
        membership = NetworkMembership.objects.select_for_update().get(pk=membership.pk)
        _owner_check(membership, by)
        if membership.state != NetworkState.ACCEPTED:
            raise Refused("Your organisation is not a member of this network; nothing was changed.")
        membership.shares_check_ins = share
        membership.save(update_fields=["shares_check_ins"])
    return membership


def set_anonymous_sharing(*, organisation, share):
    """An owner switches anonymous sharing on or off; the figures change at the next computation."""
    Organisation.objects.filter(pk=organisation.pk).update(share_anonymously=share)
    organisation_generations.organisation_changed(organisation)  # update() sends no signal
    organisation.share_anonymously = share
