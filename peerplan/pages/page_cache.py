"""Cached bodies of the signed-in read pages (organisation, dashboard, checklist, action list, item, my
actions), never stale.

A page's main content is rendered once and kept in Django's cache (the shared cache), stored with the
generations it was built in (peerplan/lib/generations.py): its organisation's generation, the evidence
generation (evidence/cache.py; also replaced when what is curated for every organisation changes) and,
inside a transaction that wrote, that transaction's own token. It is keyed by the organisation (every
organisation my actions shows), the person's role there and today's date (overdue and "due soon" depend on
today), plus what else the page depends on: the address of a list, the person for pages with their own
controls. It is stored compressed. A body whose generations are not all current is rebuilt, never served.

What stays per request is rendered around the body every time: the navigation (the person's name, the
unread count), the messages, and the CSRF token: a body is stored with a random placeholder where its
forms' token goes, replaced by the requester's own token on every request.

Invalidation cannot be forgotten by a view: every model declares what a write to it changes
(peerplan/lib/freshness.py, the one list of it); a write to an organisation's data marks its organisation
changed through post_save/post_delete/m2m_changed, and the organisation's generation is replaced once the
transaction commits (generations.Changes says why then, and what the writing connection reads meanwhile).
Paths that send no signals (`QuerySet.update()`, `bulk_create`, raw SQL) call `organisation_changed()` or
`everything_changed()` themselves; tests/test_page_cache.py walks every write path and checks that the
generation moved.
"""

import hashlib
import zlib

from django.apps import apps
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import RequestContext
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from evidence import cache as evidence_cache
from peerplan.lib import freshness, generations

BODY_KEY_PREFIX = "planning:body:"


# A body of a page nobody asks for again (yesterday's, a role nobody holds) leaves the cache after a day.
BODY_TIMEOUT = 24 * 60 * 60


def _organisation_key(organisation_id):
    return f"planning:organisation:{organisation_id}:generation"


class _Changes(generations.Changes):
    """What one transaction changed: once it commits, the generation of every organisation it touched is
    replaced (or, for curated content, every organisation's)."""

    def __init__(self):
        super().__init__()
        self.everything = False
        self.organisation_ids = set()
        # {(model, the rest of the path to the organisation): ids of rows of that model}, looked up on commit.
        self.rows = {}

    def add_organisation(self, organisation_id):
        self.organisation_ids.add(organisation_id)

    def add_row(self, model, rest, pk):
        self.rows.setdefault((model, rest), set()).add(pk)

    def add_everything(self):
        self.everything = True

    def apply(self):
        if self.everything:
            # Curated content (phases, suggested actions) or many organisations at once: the evidence
            # generation is part of every body's key (and its pages are cheap to rebuild), so one
            # replacement rebuilds every organisation's bodies without a key of their own to read.
            evidence_cache.bump()
            return
        ids = set(self.organisation_ids)
        # One query per model the path goes on from (a checklist's, for items and actions).
        for (model, rest), pks in self.rows.items():
            ids.update(model._base_manager.filter(pk__in=pks).values_list(rest, flat=True))
        ids.discard(None)  # a person in no organisation
        if ids:
            generations.replace(*(_organisation_key(pk) for pk in ids))


def organisation_changed(organisation, using=DEFAULT_DB_ALIAS):
    """Call after writing an organisation's data where no model signal fires (QuerySet.update(),
    bulk_create, raw SQL): its cached pages are rebuilt once the transaction commits."""
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
        return  # no organisation (a published evidence source: `unowned`, covered by its own generation)
    if rest:
        generations.changed(_Changes, using, lambda changes: changes.add_row(model, rest, value))
    else:
        organisation_changed(value, using)


def _record(instance, declaration, using, raw=False):
    if raw or declaration is freshness.EVERY_ORGANISATION:
        # raw: a fixture load (loaddata, restore), thousands of rows of any organisation.
        everything_changed(using)
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
    return declaration is freshness.EVERY_ORGANISATION or isinstance(declaration, freshness.OrganisationData)


def connect():
    """Listen to every model whose writes change a cached page, as it declares (from PeerPlanConfig.ready()).
    Connected model by model, not for every sender: a model with delete listeners loses Django's fast delete.
    EVIDENCE is not listened to: its writers call evidence_changed() themselves."""
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
    return generations.generation(_organisation_key(organisation_id))


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
    pending = generations.pending(_Changes)
    built_in = (
        *(generations.current(found, organisation_key) for organisation_key in organisation_keys),
        generations.current(found, evidence_cache.GENERATION_KEY),
        pending.token if pending is not None else "",
    )
    stored = found.get(key)
    if stored is not None and stored[0] == built_in:
        placeholder, body = stored[1], zlib.decompress(stored[2]).decode()
    else:
        # Unguessable, so nothing a person typed into the page can be mistaken for it.
        placeholder = f"csrf{generations.new_token()}"
        body = _render_body(request, body_template, {**context, **build(), "csrf_token": placeholder})
        # Compressed (a page of rows shrinks about 8 times): bodies per person and per filter fill less of
        # the cache, and a smaller value is quicker to read back than the larger one is to decode.
        cache.set(key, (built_in, placeholder, zlib.compress(body.encode(), 1)), timeout=BODY_TIMEOUT)
    return mark_safe(body.replace(placeholder, get_token(request)))
