"""Cached bodies of the signed-in read pages (organisation, dashboard, coverage by theme, checklist, action list,
item, my actions), never stale.

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

A body read from the cache stays bytes (UTF-8) until it is sent: the page around it is rendered with a slot
where the body goes, and the body's bytes are put in the slot (page_around).

What makes a body out of date is decided in peerplan/models/organisation_generations.py.

Rows kept across a change to an action: a body of one organisation is built with the rows this process kept of
the queries that read none of its actions (PreparedQuery(without_actions=True)), while the generation of its
data besides its actions, the evidence generation and this connection's own uncommitted writes are as they
were. (A body of one organisation reads that organisation's data alone, as its key already says.) After an action's status, owner or due date is changed, a rebuilt dashboard, action list or item page
then reads its checklists, members, check-in rounds, filter choices and discussions from memory, not the database.
"""

import hashlib
import secrets
import zlib

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import RequestContext
from django.template.loader import get_template, render_to_string
from django.utils.safestring import mark_safe
from prometheus_client import Counter

from evidence import cache as evidence_cache
from peerplan.lib import generations, prepared
from peerplan.lib.kept_rows import KeptRows
from peerplan.models.organisation_generations import besides_actions_key, organisation_key, pending_changes

BODY_KEY_PREFIX = "planning:body:"


# For /metrics: how often a body is served from the cache, by page (its body template: a handful, and no
# person's data). "uncached" is an address or method the cache is not used for.
BODIES = Counter(
    "peerplan_page_cache_requests",
    "Cached page bodies asked for, by page and result (hit, miss, uncached).",
    ["page", "result"],
)


# A body of a page nobody asks for again (yesterday's, a role nobody holds) leaves the cache after a day.
BODY_TIMEOUT = 24 * 60 * 60


def render_page(request, template, context, *, organisation, membership, status=200, **body):
    """The page: `template` (base.html around `{{ body }}`) rendered with `context` and the body of one
    organisation's data, for the person's role there (`body`: cached_body's arguments). Call it only after
    the access check."""
    body = cached_body(request, context=context, organisations=[(organisation.pk, membership.role)], **body)
    return page_around(request, template, context, body, status=status)


# Where the body goes in the page around it: unguessable (new in each process), so nothing shown around the
# body (a message, a name) can be taken for it.
_BODY_SLOT = mark_safe(f"<!-- body {secrets.token_hex(16)} -->")


def page_around(request, template, context, body, *, status=200):
    """The response: `template` rendered with `context`, and `body` (cached_body's bytes) where it shows
    `{{ body }}`. The body goes in as bytes, never through the template: a large organisation's dashboard is
    half a megabyte, and as text it was decoded, copied with the token, marked safe and joined into the page
    (UTF-8 outside ASCII is two bytes a character as text), then held by the template context's reference
    cycle until the garbage collector ran: on every read of a cached page."""
    page = render_to_string(template, {**context, "body": _BODY_SLOT}, request)
    head, slot, tail = page.partition(_BODY_SLOT)
    if not slot:
        raise ImproperlyConfigured(f"{template} does not show {{{{ body }}}}")
    return HttpResponse(b"".join((head.encode(), body, tail.encode())), status=status)


def _render_body(request, body_template, context):
    """The body without number localisation: its numbers are ids, versions and counts, which PeerPlan's
    English formats leave as they are, and localising each of the hundreds of them on a page (a format
    lookup per number) was a tenth of a dashboard's rendering time."""
    request_context = RequestContext(request, use_l10n=False)
    # Above the context processors' values, as render_to_string puts them (the CSRF placeholder wins).
    request_context.push(context)
    return get_template(body_template).template.render(request_context)


def _evidence_generation(generation):
    """The evidence `generation` with the tokens of this connection's uncommitted writes to what it covers:
    curated content (which replaces the evidence generation once the transaction commits: everything_changed)
    and the evidence. Its writes to one organisation's data alone leave it as it is."""
    pending = pending_changes()
    curated = pending.token if pending is not None and pending.everything else ""
    return (generation, curated, evidence_cache.pending_token())


def evidence_generation(request=None):
    """The evidence generation (with this connection's own uncommitted tokens) the page being built is built
    in: the one cached_body read with the body, or read now for a body built without the cache (and outside a
    request: `request` None). A part kept by it (evidence_cache.kept_part) is as current as the body it goes
    into."""
    found = getattr(request, "evidence_generation", None)
    return found if found is not None else _evidence_generation(evidence_cache.generation())


def cached_body(
    request, body_template, context, *, organisations, today, build, parts=(), parameters=None, per_person=False
):
    """`body_template` rendered with `context` and `build()`, as UTF-8 bytes (for page_around), from the cache
    when it was built in the current generations of every one of `organisations` ((id, the person's role)
    pairs, all the organisations whose data the body shows) and of the evidence, for the same day and `parts`.

    `parameters`: the query parameters the body depends on, for a page whose address is part of what it
    shows (a list's filters and page, links back to it); None for a body that depends on no parameter.
    An address with any other parameter, and anything but a GET or HEAD (a form sent back with its
    mistakes), is rendered without the cache: made-up addresses must not fill the shared cache with
    copies. `per_person`: for a body with the person's own controls or data, kept for them alone."""
    if parameters is not None:
        if request.method not in ("GET", "HEAD") or not set(request.GET) <= set(parameters):
            BODIES.labels(page=body_template, result="uncached").inc()
            return _render_body(request, body_template, {**context, **build()}).encode()
        parts = (*parts, request.get_full_path())
    if per_person:
        parts = (*parts, request.user.pk)
    organisations = sorted(organisations)
    digest = hashlib.sha256(repr((body_template, organisations, today.isoformat(), parts)).encode()).hexdigest()[:32]
    key = f"{BODY_KEY_PREFIX}{digest}"
    organisation_keys = [organisation_key(organisation_id) for organisation_id, _role in organisations]
    # Of a body of one organisation: what the rows it keeps were read in.
    kept_by = [besides_actions_key(organisations[0][0])] if len(organisations) == 1 else []
    # One cache read for the body and every generation it depends on.
    found = cache.get_many([*organisation_keys, *kept_by, evidence_cache.GENERATION_KEY, key])
    pending = pending_changes()
    evidence = generations.current(found, evidence_cache.GENERATION_KEY)
    own_writes = (pending.token if pending is not None else "", evidence_cache.pending_token())
    built_in = (
        *(generations.current(found, generation_key) for generation_key in organisation_keys),
        evidence,
        *own_writes,
    )
    # What build() may key parts kept per process by (evidence_generation()): read in the same cache read.
    request.evidence_generation = _evidence_generation(evidence)
    stored = found.get(key)
    if stored is not None and stored[0] == built_in:
        BODIES.labels(page=body_template, result="hit").inc()
        placeholder, body = stored[1], zlib.decompress(stored[2])
    else:
        BODIES.labels(page=body_template, result="miss").inc()
        # Unguessable, so nothing a person typed into the page can be mistaken for it.
        placeholder = f"csrf{generations.new_token()}"
        keeper = None
        if kept_by:
            # What the kept rows must have been read in: the same data besides actions, evidence and own writes.
            keeper = _Keeper(organisations[0][0], (generations.current(found, kept_by[0]), evidence, *own_writes))
        # The template reads some rows as it renders (the action list's filter choices): kept the same way.
        with prepared.keeping(keeper):
            body = _render_body(request, body_template, {**context, **build(), "csrf_token": placeholder}).encode()
        # Compressed (a page of rows shrinks about 8 times): bodies per person and per filter fill less of
        # the cache, and a smaller value is quicker to read back than the larger one is to decode.
        cache.set(key, (built_in, placeholder, zlib.compress(body, 1)), timeout=BODY_TIMEOUT)
    return body.replace(placeholder.encode(), get_token(request).encode())


# Rows of queries that read no action, kept by this process per organisation, query and values: about ten
# entries an organisation and up to four for each item or action page read (its discussion), of a few kilobytes
# (a large organisation's fifty checklists and hundred members: tens).
KEPT_ROWS = KeptRows(most=2048)


class _Keeper:
    """Answers the queries that read no action (prepared.keeping) while a body of one organisation is built:
    with the rows kept from before if they were read in the same `generation` (the generation of the
    organisation's data besides its actions, the evidence generation and this connection's own uncommitted
    writes), else read now and kept. Each caller gets a list of its own."""

    def __init__(self, organisation_id, generation):
        self.organisation_id = organisation_id
        self.generation = generation

    def __call__(self, query, values, run):
        key = (query, self.organisation_id, tuple(sorted(values.items())))
        rows = KEPT_ROWS.get(key, self.generation)
        if rows is None:
            rows = tuple(run(**values))
            KEPT_ROWS.keep(key, self.generation, rows)
        return list(rows)
