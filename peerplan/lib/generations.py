"""Generations: the tokens cached pages are stored with, kept in Django's cache (the shared cache) and
replaced when what the pages show changes. Both caches of PeerPlan use them: the public evidence pages
(evidence/cache.py, one generation for all the evidence) and the signed-in pages' bodies
(peerplan/pages/page_cache.py, one generation per organisation).

A page is stored with the generations it was built in, under a key without them, so one cache read
fetches both the current generations and the page; a page whose generations are not all current is
rebuilt, never served. Every worker on every host reads the generations from the shared cache, so one
write makes every worker build fresh pages.

A write calls `changed(Changes, using, record)`: the transaction gets a token of its own, and the
generations are replaced once it commits (see `Changes` for why).
"""

import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction


def new_token():
    # A fresh random token rather than a counter: the database cache has no atomic increment, and a
    # counter that was culled from the cache would restart at a number whose stale pages may still be stored.
    return uuid.uuid4().hex


def current(found, key):
    """The generation under `key` as read in `found` (a `cache.get_many` result), created if it was
    missing (first use, or culled, or the cache was cleared)."""
    token = found.get(key)
    if token is None:
        token = new_token()
        # If another worker created it first, use theirs. (If a write replaces ours right after, the page
        # built now is stored under ours and never matches again: a miss, never a stale page.)
        if not cache.add(key, token, timeout=None):
            token = cache.get(key)
    return token


def generation(key):
    """The current generation under `key`, created on first use."""
    return current({key: cache.get(key)}, key)


# How many times this process replaced generations. A request may reuse what it read of the shared cache
# earlier (the signed-in person's generations: peerplan/accounts/person.py) only while this has not moved:
# a write the request made since then replaced what it read.
_replaced = 0


def replacements():
    return _replaced


def replace(*keys):
    """Replace the generations under `keys` now, for every worker: every page stored with them is rebuilt."""
    global _replaced
    _replaced += 1
    cache.set_many({key: new_token() for key in keys}, timeout=None)


class Changes:
    """What one transaction changed, registered with transaction.on_commit: called once it commits, it
    replaces the generations of what it touched (a subclass's `apply()`). A rolled-back transaction (or
    savepoint) drops it with its other on_commit callbacks, so a rollback leaves nothing behind to clear.

    Why a token on the transaction, not a replacement of the shared generation "now": until the transaction
    commits nobody else can see the change, so other readers are right to keep the old page; a replacement
    inside the transaction would, with the database cache, take a row lock that writers of the same
    organisation could then wait on in opposite orders (a deadlock). Readers on the writing connection
    itself (a page rendered after a write in the same transaction, and every test, which never commits)
    use the transaction's `token` instead, replaced on every write, so they never see a page from before it.
    """

    def __init__(self):
        self.token = new_token()

    def __call__(self):
        self.apply()

    def apply(self):
        raise NotImplementedError


def pending(kind, using=DEFAULT_DB_ALIAS):
    """This connection's uncommitted changes of class `kind`, or None."""
    connection = connections[using]
    if not connection.in_atomic_block:
        return None
    # run_on_commit holds (savepoint ids, callback, robust) for what waits for this transaction's commit.
    for _sids, callback, _robust in connection.run_on_commit:
        if isinstance(callback, kind):
            return callback
    return None


def changed(kind, using, record):
    """Record a write of this connection: `record(changes)` adds it to a `kind` (a Changes class).

    In a transaction: added to its changes (registered for its commit on the first write), with a new
    token, so a page built on this connection before this write is not served after it. In autocommit the
    write is already visible to everyone: the generations are replaced at once."""
    if connections[using].in_atomic_block:
        changes = pending(kind, using)
        if changes is None:
            changes = kind()
            transaction.on_commit(changes, using=using)
        else:
            changes.token = new_token()
        record(changes)
    else:
        changes = kind()
        record(changes)
        changes()
