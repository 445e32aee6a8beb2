"""The generations of what is kept in the shared cache of each person, so it is read from there on every page
and read again from the database only after something it depends on changed.

The person's navigation (the unread count) has the person's generation. The count is
`Notification.objects.visible_to(person).unread()`: it changes with the person's notifications, their
memberships, their two-factor authenticators (an organisation's two-factor rule hides its notifications
until they set it up) and their organisations' two-factor rule and deletion.

The person themselves (peerplan/accounts/person.py: who is signed in, on every request) have their account's
generation: their `auth_user` row (password hash, active, name, email, staff) and their two-factor
authenticators. It is apart from the other so that a notification, which people get all day, does not make
every worker read their account again.

A write to any of those replaces the generation once its transaction commits, as organisation_generations
does for pages: through post_save and post_delete, here, so no operation, admin page or allauth flow can
forget it. Paths that send no signal (`QuerySet.update()`, `bulk_create`) call `person_changed()` or
`account_changed()` themselves; curated and bulk writes (a fixture load, seed_demo) replace the evidence
generation, which the count is keyed by too. tests/test_unread_count.py and tests/test_signed_in_person.py
walk every one of them.
"""

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_save

from peerplan.lib import generations
from peerplan.models.notifications import Notification
from peerplan.models.organisations import Membership, Organisation


def person_key(user_id):
    """The cache key of the person's generation."""
    return f"planning:person:{user_id}:generation"


def unread_key(user_id):
    """The cache key of the person's unread count (peerplan/notify/context.py)."""
    return f"planning:unread:{user_id}"


def account_key(user_id):
    """The cache key of the generation of the person's account."""
    return f"planning:person:{user_id}:account"


def record_key(user_id):
    """The cache key of the person's account as read for a request (peerplan/accounts/person.py)."""
    return f"planning:person:{user_id}:record"


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


class _AccountChanges(generations.Changes):
    """What one transaction changed of people's accounts: their ids."""

    def __init__(self):
        super().__init__()
        self.user_ids = set()

    def apply(self):
        if self.user_ids:
            generations.replace(*(account_key(pk) for pk in self.user_ids))
            # The kept rows go at once rather than at their timeout: a changed or deleted account's row (its
            # password hash among it) is not left in the shared cache, where it would never be read again.
            cache.delete_many([record_key(pk) for pk in self.user_ids])


def person_changed(*user_ids, using=DEFAULT_DB_ALIAS):
    """Call after writing these people's notifications, memberships or authenticators where no model signal
    fires (QuerySet.update(), bulk_create)."""
    generations.changed(_Changes, using, lambda changes: changes.user_ids.update(user_ids))


def members_changed(organisation_id, using=DEFAULT_DB_ALIAS):
    """Every member of the organisation: its two-factor rule or its deletion changes what they may read."""
    generations.changed(_Changes, using, lambda changes: changes.organisation_ids.add(organisation_id))


def account_changed(*user_ids, using=DEFAULT_DB_ALIAS):
    """Call after writing these people's account rows or authenticators where no model signal fires."""
    generations.changed(_AccountChanges, using, lambda changes: changes.user_ids.update(user_ids))


def pending_changes(using=DEFAULT_DB_ALIAS):
    """What the open transaction on this connection changed so far of people's navigation (its own token), or None."""
    return generations.pending(_Changes, using)


def pending_account_changes(using=DEFAULT_DB_ALIAS):
    """What the open transaction on this connection changed so far of people's accounts (its own token), or None."""
    return generations.pending(_AccountChanges, using)


def _person_row(attname):
    def changed(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
        person_changed(getattr(instance, attname), using=using)

    return changed


def _account_row(attname):
    def changed(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
        account_changed(getattr(instance, attname), using=using)

    return changed


def _organisation(sender, instance, using=DEFAULT_DB_ALIAS, update_fields=None, **kwargs):
    if update_fields is None or {"require_two_factor", "deleted_at"} & set(update_fields):
        members_changed(instance.pk, using=using)


def connect():
    """Listen to every model the person's account and unread count depend on (from PeerPlanConfig.ready())."""
    for model, attname in ((Notification, "recipient_id"), (Membership, "user_id"), (Authenticator, "user_id")):
        receiver = _person_row(attname)
        uid = f"person_generation_{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}_save", weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}_delete", weak=False)
    for model, attname in ((get_user_model(), "pk"), (Authenticator, "user_id")):
        receiver = _account_row(attname)
        uid = f"account_generation_{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}_save", weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}_delete", weak=False)
    # A purged organisation's memberships are deleted with it, each through Membership's post_delete above.
    post_save.connect(_organisation, sender=Organisation, dispatch_uid="person_generation_organisation", weak=False)
