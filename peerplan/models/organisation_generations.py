"""The generation of each organisation's data: a token in the shared cache, replaced when a write to that
organisation's data commits. The cached bodies of its pages (peerplan/pages/page_cache.py) are stored with
the generation they were built in, so a write makes them rebuilt, never served stale.

Invalidation cannot be forgotten by a view: every model declares what a write to it changes
(peerplan/lib/freshness.py, the one list of it); a write to an organisation's data marks its organisation
changed through post_save/post_delete/m2m_changed, and the organisation's generation is replaced once the
transaction commits (generations.Changes says why then, and what the writing connection reads meanwhile).
Paths that send no signals (`QuerySet.update()`, `bulk_create`, raw SQL) call `organisation_changed()` or
`everything_changed()` themselves; tests/test_page_cache.py walks every write path and checks that the
generation moved.
"""

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import m2m_changed, post_delete, post_save

from evidence import cache as evidence_cache
from peerplan.lib import freshness, generations


def organisation_key(organisation_id):
    """The cache key of the organisation's generation."""
    return f"planning:organisation:{organisation_id}:generation"


def besides_actions_key(organisation_id):
    """The cache key of the generation of the organisation's data besides its actions: replaced with the
    organisation's generation by every write but one to its actions alone (freshness.OrganisationData.actions:
    an action's status, owner or due date changed in place, the most common write). What a page reads by a
    query that reads no action is kept by it (page_cache.cached_body)."""
    return f"planning:organisation:{organisation_id}:besides-actions"


def checklist_actions_key(checklist_id):
    """The cache key of the generation of one checklist's actions: replaced by every write to one of them (and
    by nothing else: what else a write changes replaces besides_actions_key). What is counted of a checklist's
    actions is kept by it together with besides_actions_key (pages.checklist_counts)."""
    return f"planning:checklist:{checklist_id}:actions"


class _Changes(generations.Changes):
    """What one transaction changed: once it commits, the generation of every organisation it touched is
    replaced (or, for curated content, every organisation's), and so is the generation of its data besides
    its actions unless the transaction wrote nothing of it but its actions; and the generation of the actions
    of every checklist whose actions it wrote."""

    def __init__(self):
        super().__init__()
        self.everything = False
        self.organisation_ids = set()
        self.besides_actions_ids = set()
        # {(model, the rest of the path to the organisation, actions alone): ids of rows of that model}, looked
        # up on commit.
        self.rows = {}

    def add_organisation(self, organisation_id, *, actions=False):
        self.organisation_ids.add(organisation_id)
        if not actions:
            self.besides_actions_ids.add(organisation_id)

    def add_row(self, model, rest, pk, *, actions=False):
        self.rows.setdefault((model, rest, actions), set()).add(pk)

    def add_everything(self):
        self.everything = True

    def apply(self):
        if self.everything:
            # Curated content (phases, suggested actions) or many organisations at once: the evidence
            # generation is part of every body's key (and its pages are cheap to rebuild), so one
            # replacement rebuilds every organisation's bodies without a key of their own to read.
            evidence_cache.bump()
            return
        ids, besides_actions = set(self.organisation_ids), set(self.besides_actions_ids)
        checklist_ids = set()
        # One query per model the path goes on from (a checklist's, for items and actions).
        for (model, rest, actions), pks in self.rows.items():
            found = set(model._base_manager.filter(pk__in=pks).values_list(rest, flat=True))
            ids |= found
            if actions:
                # An action's path starts at its checklist (freshness.OrganisationData.actions): `pks` are the ids
                # of the checklists whose actions were written. An action never moves to another checklist
                # (MitigationAdmin), so the checklist it is written with is the one whose counts it changes.
                checklist_ids |= pks
            else:
                besides_actions |= found
        ids.discard(None)  # a person in no organisation
        besides_actions.discard(None)
        if ids:
            generations.replace(
                *(organisation_key(pk) for pk in ids),
                *(besides_actions_key(pk) for pk in besides_actions),
                *(checklist_actions_key(pk) for pk in checklist_ids),
            )


def organisation_changed(organisation, using=DEFAULT_DB_ALIAS):
    """Call after writing an organisation's data where no model signal fires (QuerySet.update(),
    bulk_create, raw SQL): its cached pages are rebuilt once the transaction commits, and everything they
    keep, whatever was written."""
    organisation_id = getattr(organisation, "pk", organisation)
    generations.changed(_Changes, using, lambda changes: changes.add_organisation(organisation_id))


def everything_changed(using=DEFAULT_DB_ALIAS):
    """Call after writing many organisations' data at once (seed_demo, a fixture load)."""
    generations.changed(_Changes, using, lambda changes: changes.add_everything())


def _row_changed(instance, declaration, using):
    """Record a write of one row of organisation data: its organisation, or where to look it up on commit."""
    model, attname, rest = freshness.organisation_lookup(type(instance), declaration)
    value = getattr(instance, attname)
    if value is None:
        if declaration.unowned is freshness.EVIDENCE:  # a published evidence source
            evidence_cache.evidence_changed(using)
        return
    actions = declaration.actions
    if rest:
        generations.changed(_Changes, using, lambda changes: changes.add_row(model, rest, value, actions=actions))
    else:
        generations.changed(_Changes, using, lambda changes: changes.add_organisation(value, actions=actions))


def _record(instance, declaration, using, raw=False):
    if raw or declaration is freshness.EVERY_ORGANISATION:
        # raw: a fixture load (loaddata, restore), thousands of rows of any organisation.
        everything_changed(using)
    elif declaration is freshness.EVIDENCE:
        evidence_cache.evidence_changed(using)
    elif isinstance(declaration, freshness.OrganisationData):
        _row_changed(instance, declaration, using)


def _saved(sender, instance, raw=False, using=DEFAULT_DB_ALIAS, update_fields=None, **kwargs):
    declaration = freshness.declared(sender)
    hidden = getattr(declaration, "hidden_fields", ())
    if hidden and update_fields is not None and set(update_fields) <= hidden:
        return  # only fields no page shows (signing in, a new password)
    _record(instance, declaration, using, raw=raw)


def _deleted(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    _record(instance, freshness.declared(sender), using)


def _m2m(sender, instance, action, using=DEFAULT_DB_ALIAS, **kwargs):
    # The row on either side of the link: its own declaration says what changed.
    if action in {"post_add", "post_remove", "post_clear", "pre_clear"}:
        _record(instance, freshness.declared(type(instance)), using)


def _changes_pages(declaration):
    return declaration in (freshness.EVERY_ORGANISATION, freshness.EVIDENCE) or isinstance(
        declaration, freshness.OrganisationData
    )


def connect():
    """Listen to every model whose writes change a cached page, as it declares (from PeerPlanConfig.ready()).
    Connected model by model, not for every sender: a model with delete listeners loses Django's fast delete.
    A write to the evidence replaces the evidence generation (evidence/cache.py), which every cached page,
    evidence or planning, is keyed by: no curator's tool, import or view has to remember to."""
    for model in apps.get_models():
        if not _changes_pages(freshness.declared(model)):
            continue
        post_save.connect(_saved, sender=model, dispatch_uid=f"page_cache_save_{model._meta.label_lower}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"page_cache_delete_{model._meta.label_lower}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_m2m, sender=through, dispatch_uid=f"page_cache_m2m_{through._meta.label_lower}")


def generation(organisation_id):
    """The organisation's current generation in the shared cache, created on first use."""
    return generations.generation(organisation_key(organisation_id))


def pending_changes(using=DEFAULT_DB_ALIAS):
    """What the open transaction on this connection changed so far (its own token), or None."""
    return generations.pending(_Changes, using)
