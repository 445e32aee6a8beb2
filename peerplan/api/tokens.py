"""Operations on personal access tokens: create one (its secret returned once), revoke one."""

from django.db import transaction
from django.utils import timezone

from peerplan.api.models import Access, AccessToken, digest, new_secret
from peerplan.lib.errors import NotAllowed, Refused
from peerplan.models import Membership


def create_token(*, user, organisation, name, access, expires_at=None):
    """A new token and its secret, which is never stored and so can be shown only now.

    A viewer gets no write token: it could never write anyway (every request checks the current role),
    and offering it would promise what the role does not allow."""
    membership = Membership.objects.filter(user=user, organisation=organisation).first()
    if membership is None:
        raise NotAllowed("You can only make tokens for organisations you belong to.")
    if access == Access.WRITE and not membership.can_edit:
        raise Refused(f"Your role in {organisation.name} is viewer, so a token can only read. Choose read only.")
    if expires_at is not None and expires_at <= timezone.now():
        raise Refused("The expiry date must be in the future.")
    raw = new_secret()
    with transaction.atomic():
        token = AccessToken.objects.create(
            user=user,
            organisation=organisation,
            name=name.strip(),
            access=access,
            prefix=raw[:11],
            digest=digest(raw),
            expires_at=expires_at,
        )
    return token, raw


def revoke_token(*, token, by):
    """Revoked at once: the next request with it is refused. Kept (not deleted) so the list shows it."""
    with transaction.atomic():
        token = AccessToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.revoked_by = by
            token.save(update_fields=["revoked_at", "revoked_by"])
    return token
