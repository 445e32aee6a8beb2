"""Purging deleted organisations: every row and every stored file that belonged to one, once it has been
deleted for RESTORABLE_DAYS (peerplan/models/organisations.py). The command `purge_deleted_organisations`
calls `purge_due`; tests/test_organisation_deletion.py lists every table and the storage afterwards.

What belongs to an organisation is found, not listed: Django's deletion collector follows every foreign
key that cascades from the organisation (its members, invitations, checklists with their items, actions,
comments and files, its own evidence, network places, API tokens, notifications about it), so a model
added later comes along by itself. History rows are not reached by cascades (simple-history keeps them
without constraints, to outlive their rows), so they are found from the rows purged: a history table
with an organisation column by it, any other by the ids and parents of the rows purged, repeated until
nothing more is found (a theme's history leads to its findings' history).
"""

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.deletion import Collector

from evidence.models import Finding, Perspective, Theme
from peerplan.figures import shared_learning
from peerplan.lib.freshness import is_historical
from peerplan.models import Checklist, Organisation
from peerplan.models.collaboration import storage_folder


def purge_due(*, now=None):
    """Purge every organisation deleted RESTORABLE_DAYS ago or more, then recompute the anonymous figures
    without them. Returns the names of those purged."""
    purged = []
    for organisation in Organisation.objects.due_for_purge(now).order_by("pk"):
        if purge_organisation(organisation=organisation, now=now):
            purged.append(organisation.name)
    if purged:
        shared_learning.compute()
    return purged


def purge_organisation(*, organisation, now=None):
    """Remove every row and stored file of one organisation deleted RESTORABLE_DAYS ago or more, in one
    transaction (the files once it commits: a purge rolled back keeps them). False, and nothing removed, if
    it is not (an owner restored it a moment ago)."""
    owned = {}  # model -> ids of its rows that belonged to the organisation
    with transaction.atomic():
        # Locked and read again: a restore that committed since it was listed wins (restore locks it too).
        due = Organisation.objects.due_for_purge(now).select_for_update().filter(pk=organisation.pk)
        if due.first() is None:
            return False
        # Its own evidence is protected from deletion while anything uses it (a published theme must never
        # lose a finding by accident), so its users go first and then the evidence from the bottom up.
        _delete(Checklist.objects.filter(organisation=organisation), owned)
        own = {"category__source__organisation": organisation}
        _delete(Perspective.objects.filter(**_deeper(own, "finding__theme")), owned)
        _delete(Finding.objects.filter(**_deeper(own, "theme")), owned)
        _delete(Theme.objects.filter(**own), owned)
        _delete(Organisation.objects.filter(pk=organisation.pk), owned)
        _delete_history(organisation.pk, owned)
        transaction.on_commit(lambda: _delete_folder(storage_folder(organisation.pk)))
    return True


def _deeper(lookup, prefix):
    return {f"{prefix}__{key}": value for key, value in lookup.items()}


def _delete(queryset, owned):
    """Delete the rows and everything that cascades from them, noting each model's ids (signals are sent
    as for any delete: the page cache and the stored files listen)."""
    collector = Collector(using=queryset.db)
    collector.collect(queryset)
    for model, instances in collector.data.items():
        owned.setdefault(model, set()).update(instance.pk for instance in instances)
    for fast in collector.fast_deletes:  # through tables and rows nothing listens to
        owned.setdefault(fast.model, set()).update(fast.values_list("pk", flat=True))
    collector.delete()


def _history_models():
    return [model for model in apps.get_models(include_auto_created=True) if is_historical(model)]


def _delete_history(organisation_id, owned):
    doomed = {}  # historical model -> history ids to delete
    changed = True
    while changed:
        changed = False
        for history in _history_models():
            found = _history_rows(history, organisation_id, owned, doomed)
            ids = set(found.values_list("history_id", flat=True)) - doomed.get(history, set())
            if ids:
                changed = True
                doomed.setdefault(history, set()).update(ids)
                owned.setdefault(history.instance_type, set()).update(
                    history._base_manager.filter(history_id__in=ids).values_list("id", flat=True)
                )
    for history, ids in doomed.items():
        history._base_manager.filter(history_id__in=ids).delete()


def _history_rows(history, organisation_id, owned, doomed):
    """The history rows of `history` that belong to the organisation, by what is known so far."""
    fields = {field.name: field for field in history._meta.concrete_fields}
    if "organisation" in fields and fields["organisation"].related_model is Organisation:
        # Recorded with its organisation (items, actions, comments, files, checklists): by that alone, since
        # history ids may have named another organisation's row before.
        return history._base_manager.filter(organisation_id=organisation_id)
    found = history._base_manager.none()
    ids = owned.get(history.instance_type)
    if ids:
        found = found | history._base_manager.filter(id__in=ids)
    for field in fields.values():
        if not field.many_to_one or field.name == "history_user":
            continue
        parents = doomed.get(field.related_model) if is_historical(field.related_model) else None
        parents = parents or owned.get(field.related_model)
        if parents:
            found = found | history._base_manager.filter(**{f"{field.attname}__in": parents})
    return found


def _delete_folder(folder):
    """Every stored file left under the organisation's folder (those of rows purged went with them; this
    finds any a failed upload left)."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")
    for sub in folders:
        _delete_folder(f"{folder}/{sub}")
