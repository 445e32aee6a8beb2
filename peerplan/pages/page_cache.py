"""Cached bodies of the signed-in read pages (organisation, dashboard, checklist, action list, item, my
actions), never stale.

A page's main content is rendered once and kept in Django's cache (the shared cache), stored with the
generations it was built in: its organisation's generation, the evidence generation (evidence/cache.py;
also replaced when what is curated for every organisation changes) and, inside a transaction that
wrote, that transaction's own token. It is keyed by the organisation (every organisation my actions shows),
the person's role there and today's date (overdue and "due soon" depend on today), plus what else the page
depends on: the address of a list, the person for pages with their own controls. It is stored compressed.
A body whose generations are not all current is rebuilt, never served.

What stays per request is rendered around the body every time: the navigation (the person's name, the
unread count), the messages, and the CSRF token: a body is stored with a random placeholder where its
forms' token goes, replaced by the requester's own token on every request.

Invalidation cannot be forgotten by a view: a write to any organisation-owned model (one with an
`organisation`, `checklist`, `item` or `mitigation` field, found when the app starts) marks its
organisation changed through post_save/post_delete/m2m_changed, and the organisation's generation is
replaced once the transaction commits. Paths that send no signals (`QuerySet.update()`, `bulk_create`,
raw SQL) call `organisation_changed()` or `everything_changed()` themselves; tests/test_page_cache.py
walks every write path and checks that the generation moved.

Why a token on the transaction, not a bump of the shared generation "now": until the transaction
commits nobody else can see the change, so other readers are right to keep the old body; a bump
inside the transaction would, with the database cache, take a row lock that writers of the same
organisation could then wait on in opposite orders (a deadlock). Readers on the writing connection
itself (a page rendered after a write in the same transaction, and every test, which never commits)
use the transaction's token instead, replaced on every write, so they never see a body from before it.
"""

import hashlib
import uuid
import zlib

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import RequestContext
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from evidence import cache as evidence_cache

BODY_KEY_PREFIX = "planning:body:"


# A body of a page nobody asks for again (yesterday's, a role nobody holds) leaves the cache after a day.
BODY_TIMEOUT = 24 * 60 * 60


# Models that hold an organisation's data but are not shown in any cached body (or are written with a
# model that is), so a write to them alone changes no page. Every other model with an organisation,
# checklist, item or mitigation field marks its organisation changed; tests/test_page_cache.py fails
# for a model of PeerPlan's apps that is in none of these lists and has no such field.
NOT_SHOWN = {
    "peerplan.notification",  # per person, shown only in the navigation's count (never cached)
    "peerplan.notificationpreference",
    "peerplan.reminder",
    "api.accesstoken",  # the API tokens page is not cached; its last use is written on every call
    "peerplan.historicalchecklist",  # written together with the checklist, item or action it records
    "peerplan.historicalitem",
    "peerplan.historicalmitigation",
    "peerplan.historicalsuggestedmitigation",
    "peerplan.historicalsuggestedmitigation_themes",
    "peerplan.historicalcomment",
    "peerplan.historicalattachment",
    "peerplan.organisationhistory",
    "peerplan.challengefigure",  # written by compute_shared_learning with a SharedLearningRun (below)
    "peerplan.suggestionfigure",
}


# The apps whose models are looked at (other apps' models hold no organisation's data).
APPS = {"peerplan", "api", "evidence"}


# Curated for every organisation: a change shows on every organisation's pages.
# A network's name shows on its members' organisation pages; a new computation of the anonymous figures
# (one SharedLearningRun, written last with its figures) re-ranks every checklist's suggestions.
EVERY_ORGANISATION = {
    "peerplan.implementationphase",
    "peerplan.suggestedmitigation",
    "peerplan.network",
    "peerplan.sharedlearningrun",
}


# The evidence has its own generation, part of every key (evidence/cache.py): its writes call evidence_changed().
EVIDENCE_APP = "evidence"


def _new_token():
    # Random, not a counter (see evidence/cache.py): a counter culled from the cache would restart at a
    # number whose stale bodies may still be stored.
    return uuid.uuid4().hex


def _organisation_key(organisation_id):
    return f"planning:organisation:{organisation_id}:generation"


class _Changes:
    """What one transaction changed, registered with transaction.on_commit: called once it commits, it
    replaces the generation of every organisation it touched. A rolled-back transaction (or savepoint)
    drops it with its other on_commit callbacks, so a rollback leaves nothing behind to clear."""

    def __init__(self):
        self.token = _new_token()
        self.everything = False
        self.organisation_ids = set()
        self.checklist_ids = set()
        self.item_ids = set()
        self.mitigation_ids = set()
        self.user_ids = set()

    def __call__(self):
        if self.everything:
            # Curated content (phases, suggested actions) or many organisations at once: the evidence
            # generation is part of every body's key (and its pages are cheap to rebuild), so one
            # replacement rebuilds every organisation's bodies without a key of their own to read.
            evidence_cache.bump()
            return
        from peerplan.models import Checklist, Item, Membership, Mitigation

        ids = set(self.organisation_ids)
        checklists = set(self.checklist_ids)
        if self.item_ids:
            checklists.update(Item.objects.filter(pk__in=self.item_ids).values_list("checklist_id", flat=True))
        if self.mitigation_ids:
            checklists.update(
                Mitigation.objects.filter(pk__in=self.mitigation_ids).values_list("checklist_id", flat=True)
            )
        if checklists:
            ids.update(Checklist.objects.filter(pk__in=checklists).values_list("organisation_id", flat=True))
        if self.user_ids:
            ids.update(Membership.objects.filter(user_id__in=self.user_ids).values_list("organisation_id", flat=True))
        if ids:
            cache.set_many({_organisation_key(pk): _new_token() for pk in ids}, timeout=None)


def _pending(using=DEFAULT_DB_ALIAS):
    """This connection's uncommitted changes, or None."""
    connection = connections[using]
    if not connection.in_atomic_block:
        return None
    # run_on_commit holds (savepoint ids, callback, robust) for what waits for this transaction's commit.
    for _sids, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _Changes):
            return callback
    return None


def _changed(using, what, value=None):
    """Record that this connection wrote `what` ("everything", or one of _Changes' sets with `value`).

    In a transaction: added to its changes (registered for its commit on the first write), with a new
    token, so a body built on this connection before this write is not served after it. In autocommit the
    write is already visible to everyone: the generations are replaced at once."""
    connection = connections[using]
    if connection.in_atomic_block:
        changes = _pending(using)
        if changes is None:
            changes = _Changes()
            transaction.on_commit(changes, using=using)
        else:
            changes.token = _new_token()
    else:
        changes = None
    target = changes or _Changes()
    if what == "everything":
        target.everything = True
    else:
        getattr(target, what).add(value)
    if changes is None:
        target()


def organisation_changed(organisation, using=DEFAULT_DB_ALIAS):
    """Call after writing an organisation's data where no model signal fires (QuerySet.update(),
    bulk_create, raw SQL): its cached pages are rebuilt once the transaction commits."""
    _changed(using, "organisation_ids", getattr(organisation, "pk", organisation))


def everything_changed(using=DEFAULT_DB_ALIAS):
    """Call after writing many organisations' data at once (seed_demo, a fixture load)."""
    _changed(using, "everything")


def _kind(model):
    """How a write to `model` reaches an organisation: the name of the field that leads to it, "self" for
    the organisation, "everything", "user", or None when no cached page shows it."""
    label = model._meta.label_lower
    if label == settings.AUTH_USER_MODEL.lower():
        return "user"  # people's names are shown (owners, who decided)
    if model._meta.app_label not in APPS or label in NOT_SHOWN:
        return None
    if model._meta.app_label == EVIDENCE_APP and label != "evidence.source":
        return None  # the evidence generation covers it; an organisation's own source is its data
    if label in EVERY_ORGANISATION:
        return "everything"
    if label == "peerplan.organisation":
        return "self"
    names = {field.name for field in model._meta.concrete_fields}
    for name in ("organisation", "checklist", "item", "mitigation"):
        if name in names:
            return name
    return None


def _record(instance, kind, using, raw=False):
    if raw:
        # A fixture load (loaddata, restore): thousands of rows of any organisation.
        everything_changed(using)
        return
    if kind == "everything":
        everything_changed(using)
    elif kind == "self":
        _changed(using, "organisation_ids", instance.pk)
    elif kind == "organisation":
        if instance.organisation_id is not None:  # a published evidence source belongs to no organisation
            _changed(using, "organisation_ids", instance.organisation_id)
    elif kind == "checklist":
        _changed(using, "checklist_ids", instance.checklist_id)
    elif kind == "item" and instance.item_id is not None:
        _changed(using, "item_ids", instance.item_id)
    elif kind == "mitigation" and instance.mitigation_id is not None:
        _changed(using, "mitigation_ids", instance.mitigation_id)
    elif kind == "user":
        _changed(using, "user_ids", instance.pk)


def _saved(sender, instance, raw=False, using=DEFAULT_DB_ALIAS, update_fields=None, **kwargs):
    kind = _kind(sender)
    if kind == "user" and update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # signing in, or a new password: nothing any page shows
    _record(instance, kind, using, raw=raw)


def _deleted(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    _record(instance, _kind(sender), using)


def _m2m(sender, instance, action, using=DEFAULT_DB_ALIAS, **kwargs):
    if action in {"post_add", "post_remove", "post_clear", "pre_clear"}:
        _record(instance, _kind(type(instance)), using)


def connect():
    """Listen to every model whose writes change a cached page (from PeerPlanConfig.ready()). Connected
    model by model, not for every sender: a model with delete listeners loses Django's fast delete."""
    for model in apps.get_models():
        if _kind(model) is None:
            continue
        post_save.connect(_saved, sender=model, dispatch_uid=f"page_cache_save_{model._meta.label_lower}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"page_cache_delete_{model._meta.label_lower}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_m2m, sender=through, dispatch_uid=f"page_cache_m2m_{through._meta.label_lower}")


def watched_models():
    """{model: how its writes reach an organisation} for every model a write to which changes a page."""
    return {model: _kind(model) for model in apps.get_models() if _kind(model) is not None}


def generation(organisation_id):
    """The organisation's current generation in the shared cache, created on first use."""
    key = _organisation_key(organisation_id)
    return _current({key: cache.get(key)}, key)


def _current(found, key):
    """The generation under `key` as read in `found`, created if it was missing (first use, or culled)."""
    token = found.get(key)
    if token is None:
        token = _new_token()
        # If another worker created it first, use theirs. (If a write replaces ours right after, the body
        # built now is stored under ours and never matches again: a miss, never a stale page.)
        if not cache.add(key, token, timeout=None):
            token = cache.get(key)
    return token


def render_page(request, template, context, *, organisation, membership, status=200, **body):
    """The page: `template` (base.html around `{{ body }}`) rendered with `context` and the body of one
    organisation's data, for the person's role there (`body`: cached_body's arguments). Call it only after
    the access check."""
    body = cached_body(request, context=context, organisations=[(organisation.pk, membership.role)], **body)
    return render(request, template, {**context, "body": body}, status=status)


def _render_body(request, body_template, context):
    """The body without number localisation: its numbers are ids, versions and counts, which PeerPlan's
    English formats leave as they are, and localising each of the hundreds of them on a page (a format
    lookup per number) was a tenth of a dashboard's rendering time."""
    request_context = RequestContext(request, use_l10n=False)
    # Above the context processors' values, as render_to_string puts them (the CSRF placeholder wins).
    request_context.push(context)
    return get_template(body_template).template.render(request_context)


def cached_body(
    request, body_template, context, *, organisations, today, build, parts=(), parameters=None, per_person=False
):
    """`body_template` rendered with `context` and `build()`, from the cache when it was built in the
    current generations of every one of `organisations` ((id, the person's role) pairs, all the
    organisations whose data the body shows) and of the evidence, for the same day and `parts`.

    `parameters`: the query parameters the body depends on, for a page whose address is part of what it
    shows (a list's filters and page, links back to it); None for a body that depends on no parameter.
    An address with any other parameter, and anything but a GET or HEAD (a form sent back with its
    mistakes), is rendered without the cache: made-up addresses must not fill the shared cache with
    copies. `per_person`: for a body with the person's own controls or data, kept for them alone."""
    if parameters is not None:
        if request.method not in ("GET", "HEAD") or not set(request.GET) <= set(parameters):
            return mark_safe(_render_body(request, body_template, {**context, **build()}))
        parts = (*parts, request.get_full_path())
    if per_person:
        parts = (*parts, request.user.pk)
    organisations = sorted(organisations)
    digest = hashlib.sha256(repr((body_template, organisations, today.isoformat(), parts)).encode()).hexdigest()[:32]
    key = f"{BODY_KEY_PREFIX}{digest}"
    organisation_keys = [_organisation_key(organisation_id) for organisation_id, _role in organisations]
    # One cache read for the body and every generation it depends on.
    found = cache.get_many([*organisation_keys, evidence_cache.GENERATION_KEY, key])
    pending = _pending()
    generations = (
        *(_current(found, organisation_key) for organisation_key in organisation_keys),
        _current(found, evidence_cache.GENERATION_KEY),
        pending.token if pending is not None else "",
    )
    stored = found.get(key)
    if stored is not None and stored[0] == generations:
        placeholder, body = stored[1], zlib.decompress(stored[2]).decode()
    else:
        # Unguessable, so nothing a person typed into the page can be mistaken for it.
        placeholder = f"csrf{_new_token()}"
        body = _render_body(request, body_template, {**context, **build(), "csrf_token": placeholder})
        # Compressed (a page of rows shrinks about 8 times): bodies per person and per filter fill less of
        # the cache, and a smaller value is quicker to read back than the larger one is to decode.
        cache.set(key, (generations, placeholder, zlib.compress(body.encode(), 1)), timeout=BODY_TIMEOUT)
    return mark_safe(body.replace(placeholder, get_token(request)))
