"""The public evidence pages are cached in Django's cache (the shared database cache), keyed by an
evidence *generation*: a token stored in the same cache and replaced whenever evidence changes
(peerplan/lib/generations.py, which the planning pages' cache uses too).

Every worker on every host reads the generation from the shared cache, so one curator's save makes
every worker build fresh pages; a page stored under an older generation is rebuilt, never served.
"""

import hashlib
import threading
from collections import OrderedDict

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS

from evidence.models import FindingFacts
from peerplan.lib import generations

GENERATION_KEY = "evidence:generation"
# Pages of filter combinations nobody asks for again leave the cache after a day.
FRAGMENT_TIMEOUT = 24 * 60 * 60


def generation():
    """The current evidence generation, created on first use (or after the cache was cleared)."""
    return generations.generation(GENERATION_KEY)


def bump():
    """Invalidate every cached evidence page, on every worker (and every planning page's body: the
    evidence generation is part of each one's key)."""
    generations.replace(GENERATION_KEY)


class EvidenceChanges(generations.Changes):
    """Evidence written in one transaction: the generation is replaced once it commits; until then the
    writing connection reads the transaction's own token (generations.Changes says why)."""

    def apply(self):
        bump()


def evidence_changed(using=DEFAULT_DB_ALIAS):
    """A write to the evidence. Called for every evidence row by the model signals (each evidence model
    declares EVIDENCE, peerplan/lib/freshness.py), so no writer has to remember it."""
    generations.changed(EvidenceChanges, using, lambda changes: None)


def pending_token(using=DEFAULT_DB_ALIAS):
    """The token of the evidence this connection's open transaction wrote, or "" when it wrote none."""
    changes = generations.pending(EvidenceChanges, using)
    return changes.token if changes is not None else ""


def _key(name, parts):
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"evidence:page:{name}:{digest}"


def _read(name, parts):
    """The key of this page and parameters, the generations it must have been built in, and what is stored
    under it (or None): the generation and the page in one cache read."""
    key = _key(name, parts)
    found = cache.get_many([GENERATION_KEY, key])
    return key, (generations.current(found, GENERATION_KEY), pending_token()), found.get(key)


def fragment(name, parts, build):
    """The cached result of `build()` for this page and these parameters in the current generation.

    The page is stored with the generation it was built in, under a key without it, so one cache
    read fetches both the current generation and the page: a page of an older generation is rebuilt.
    """
    key, built_in, stored = _read(name, parts)
    if stored is not None and stored[0] == built_in:
        return stored[1]
    value = build()
    cache.set(key, (built_in, value), timeout=FRAGMENT_TIMEOUT)
    return value


# This process's copies of the whole pages for everyone it served (`stored`), with the generations they
# were built in: a page is read from the shared cache once per generation, and after that only the
# generation is. A handful of pages (the index, a theme page each), kept to a bound all the same.
_kept = {}
MOST_KEPT = 500


def forget_kept_pages():
    """Drop this process's copies (when the shared cache is emptied: a test's cache of its own)."""
    _kept.clear()
    with _parts_lock:
        _parts.clear()


# Parts of planning pages that show the evidence alone (an item's perspectives, the suggested actions for its
# theme), kept by this process with the evidence generation they were built in. Every write to what they
# show replaces that generation (peerplan/lib/freshness.py: the evidence, and what is curated for every
# organisation), so a part of an older generation is rebuilt, never served. One entry per finding at most:
# a few hundred.
_parts = OrderedDict()
_parts_lock = threading.Lock()
MOST_PARTS = 300


def kept_part(name, parts, generation, build):
    """`build()`, kept by this process for `name` and `parts` while `generation` (the evidence generation the
    caller read this request, with its own transaction's tokens: page_cache.evidence_generation) is current.
    `build` must read nothing but what the evidence generation covers: an organisation's own data (its own
    sources' names and versions, its decisions) stays outside the part."""
    key = (name, parts)
    with _parts_lock:
        found = _parts.get(key)
        if found is not None and found[0] == generation:
            _parts.move_to_end(key)
            return found[1]
    value = build()
    with _parts_lock:
        _parts[key] = (generation, value)
        _parts.move_to_end(key)
        while len(_parts) > MOST_PARTS:
            _parts.popitem(last=False)
    return value


def stored(name, parts):
    """What `fragment(name, parts, ...)` would answer now if it is in the cache and current, else None
    (nothing is built). Checked against the current generation on every call, like `fragment`: a copy
    this process kept is served only while its generation is current, never after a change."""
    key = _key(name, parts)
    kept = _kept.get(key)
    if kept is not None:
        built_in = (generations.current(cache.get_many([GENERATION_KEY]), GENERATION_KEY), pending_token())
        if kept[0] == built_in:
            return kept[1]
    key, built_in, found = _read(name, parts)
    if found is None or found[0] != built_in:
        return None
    if key in _kept or len(_kept) < MOST_KEPT:
        _kept[key] = found
    return found[1]


def finding_facts():
    """{finding id: FindingFacts} for every finding: what planning pages need to know of the evidence behind
    each item, read from the cache in one query instead of loading the findings' perspectives and references
    for every checklist page. Rebuilt after any evidence change, like the pages."""
    return fragment("finding-facts", (), FindingFacts.for_all_findings)
