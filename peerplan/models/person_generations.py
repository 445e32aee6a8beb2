"""The generation of what each person's navigation shows of their own (the unread count), so it is read from
the shared cache on every page and counted again only after something it depends on changed.

The count is `Notification.objects.visible_to(person).unread()`: it changes with the person's notifications,
their memberships, their two-factor authenticators (an organisation's two-factor rule hides its
notifications until they set it up) and their organisations' two-factor rule and deletion. A write to any of
those replaces the person's generation once its transaction commits, as organisation_generations does for
pages: through post_save and post_delete, here, so no operation, admin page or allauth flow can forget it.
Paths that send no signal (`QuerySet.update()`, `bulk_create`) call `person_changed()` themselves; curated
and bulk writes (a fixture load, seed_demo) replace the evidence generation, which the count is keyed by too.
tests/test_unread_count.py walks every one of them.
"""

from allauth.mfa.models import Authenticator
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_save

from peerplan.lib import generations
from peerplan.models.notifications import Notification
from peerplan.models.organisations import Membership, Organisation


def person_key(user_id):
    """The cache key of the person's generation."""
    return f"planning:person:{user_id}:generation"


class _Changes(generations.Changes):
    """What one transaction changed of people's navigation: their ids, and organisations all of whose
    members are concerned (looked up on commit)."""

    def __init__(self):
        super().__init__()
        self.user_ids = set()
        self.organisation_ids = set()

    def apply(self):
        ids = set(self.user_ids)
        if self.organisation_ids:
            ids.update(
                Membership.objects.filter(organisation_id__in=self.organisation_ids).values_list("user_id", flat=True)
            )
        if ids:
            generations.replace(*(person_key(pk) for pk in ids))


def person_changed(*user_ids, using=DEFAULT_DB_ALIAS):
    """Call after writing these people's notifications, memberships or authenticators where no model signal
    fires (QuerySet.update(), bulk_create)."""
    generations.changed(_Changes, using, lambda changes: changes.user_ids.update(user_ids))


def members_changed(organisation_id, using=DEFAULT_DB_ALIAS):
    """Every member of the organisation: its two-factor rule or its deletion changes what they may read."""
    generations.changed(_Changes, using, lambda changes: changes.organisation_ids.add(organisation_id))


def pending_changes(using=DEFAULT_DB_ALIAS):
    """What the open transaction on this connection changed so far (its own token), or None."""
    return generations.pending(_Changes, using)


def _person_row(attname):
    def changed(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
        person_changed(getattr(instance, attname), using=using)

    return changed


def _organisation(sender, instance, using=DEFAULT_DB_ALIAS, update_fields=None, **kwargs):
    if update_fields is None or {"require_two_factor", "deleted_at"} & set(update_fields):
        members_changed(instance.pk, using=using)


def connect():
    """Listen to every model the unread count depends on (from PeerPlanConfig.ready())."""
    for model, attname in ((Notification, "recipient_id"), (Membership, "user_id"), (Authenticator, "user_id")):
        receiver = _person_row(attname)
        uid = f"person_generation_{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}_save", weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}_delete", weak=False)
    # A purged organisation's memberships are deleted with it, each through Membership's post_delete above.
    post_save.connect(_organisation, sender=Organisation, dispatch_uid="person_generation_organisation", weak=False)
