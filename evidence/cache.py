"""The public evidence pages are cached in Django's cache (the shared database cache), keyed by an
evidence *generation*: a token stored in the same cache and replaced whenever evidence changes
(peerplan/lib/generations.py, which the planning pages' cache uses too).

Every worker on every host reads the generation from the shared cache, so one curator's save makes
every worker build fresh pages; a page stored under an older generation is rebuilt, never served.
"""

import hashlib

from django.core.cache import cache

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


def evidence_changed():
    """Call whenever evidence is written. Bumps now, and again once the transaction commits, so a
    reader that rebuilt a page from the not-yet-committed state cannot keep it."""
    generations.replace_now_and_on_commit(GENERATION_KEY)


def fragment(name, parts, build):
    """The cached result of `build()` for this page and these parameters in the current generation.

    The page is stored with the generation it was built in, under a key without it, so one cache
    read fetches both the current generation and the page: a page of an older generation is rebuilt.
    """
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"evidence:page:{name}:{digest}"
    found = cache.get_many([GENERATION_KEY, key])
    current = generations.current(found, GENERATION_KEY)
    stored = found.get(key)
    if stored is not None and stored[0] == current:
        return stored[1]
    value = build()
    cache.set(key, (current, value), timeout=FRAGMENT_TIMEOUT)
    return value


def finding_facts():
    """{finding id: FindingFacts} for every finding: what planning pages need to know of the evidence behind
    each item, read from the cache in one query instead of loading the findings' perspectives and references
    for every checklist page. Rebuilt after any evidence change, like the pages."""
    return fragment("finding-facts", (), FindingFacts.for_all_findings)
