"""The shared cache's backends: the database cache (the default) with a replacement of many keys in one
statement, and Redis (CACHE_URL, settings.py), where an outage costs speed, never a page.

The database cache (DatabaseCache, at the end of this module)
-------------------------------------------------------------
Django's own, but for `set_many` and `set`. Django's sets each key in turn, five statements a key: a COUNT(*)
of the whole table (to cull it when over MAX_ENTRIES), a transaction (or a savepoint), a read of the key, its
update or insert, and the commit. Here:
- `set_many`, how a write replaces its organisations' generations once it commits
  (peerplan/lib/generations.py), is one upsert (INSERT … ON CONFLICT DO UPDATE) for all the keys;
- `set`, how a page's body is stored after a miss (peerplan/pages/page_cache.py), is the COUNT(*) and its cull,
  as Django's, then one upsert: two statements, and SQLite's write lock held for the upsert alone, not for a
  transaction of three that every other writer waits behind.
Everything else (reads, `add`, `touch`, deletes) is Django's.

Redis
-----

Django's own Redis backend raises whatever redis-py raises, so a Redis that is down or not answering would
turn every page that touches the cache (all of them: the evidence pages, the planning pages' evidence facts,
the rate limits, allauth's counters) into a 500. This subclass answers as an *empty* cache instead: a read
is a miss, a write is dropped, `add` succeeds (as it would on an empty cache), `incr` finds no key. Pages
are then built from the database, uncached. What that means for each thing kept in the cache:

- cached pages and the evidence facts: rebuilt from the database on every request (correct, slower);
- rate limits (sign-up, password reset, invitations, the API's throttles, allauth's email limits): they
  count nothing while Redis is down, so they let requests through (fail open). Refusing instead would stop
  people signing up, resetting a password or using the API for as long as the outage lasts, over a limit
  that guards against a nuisance (too many emails), while the guard against guessing passwords, the
  sign-in lock-out (django-axes), counts in the database and keeps working. allauth's limiter takes a
  lock with `add`: were `add` to fail, every sign-up and reset would wait a second and then be refused;
- allauth's "this two-factor code was already used" guard (an `add`): a code can be replayed within its
  30 seconds while Redis is down; the password and the sign-in lock-out still apply. Refusing would lock
  everyone with two-factor out.

After a failure the backend does not try Redis again for RETRY_AFTER seconds, so a Redis that accepts
connections but does not answer costs one request at most a socket timeout in that time, not every call.

A write dropped during an outage (a page generation bumped, an entry deleted) would leave Redis holding
what it should have replaced, should Redis come back with its data (it was unreachable, not restarted).
So a process that dropped a write empties the Redis database (FLUSHDB) the first time it reaches Redis
again, before anything else: a cold cache, never a stale one. Another process may read the stale entry in
the moment between Redis coming back and that process's next request.

Logging: a WARNING when Redis first fails, then at most one every WARN_EVERY seconds while it stays down
(with the number of cache calls answered as misses), and a WARNING when it answers again, all on the
"peerplan.cache" logger. One line per failed call would bury the log during an outage.

Give Redis a database of its own: clearing the cache (restore, the tests) empties that whole database.
"""

import base64
import logging
import pickle
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache.backends import db as django_db
from django.core.cache.backends import redis as django_redis
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone
from redis import exceptions as redis_errors

logger = logging.getLogger("peerplan.cache")


# Redis out of reach or unable to serve: no answer, a refused or lost connection, a timeout, a wrong
# password, a replica that cannot write, no memory left, or something that does not speak Redis at that
# address. Not errors of a call itself (a wrong type of value), which stay bugs to see.
UNAVAILABLE = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,
    redis_errors.OutOfMemoryError,
    redis_errors.MasterDownError,
    redis_errors.InvalidResponse,
)


def clock():
    return time.monotonic()  # a function of this module's, so tests can stand in a clock of their own


def describe(url):
    """The URL without its user name and password, for the log."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class _Health:
    """What this process knows of one Redis server. Shared by every thread's backend object (Django makes
    one per thread) through _HEALTH."""

    def __init__(self, where):
        self.where = where
        self.lock = threading.Lock()
        self.down_since = None  # clock() at the first failure of the current outage
        self.retry_at = 0.0
        self.misses = 0  # calls answered as a miss since the last warning
        self.warned_at = 0.0
        self.dropped_writes = False  # a write was lost: empty Redis when it is back


_HEALTH = {}


_HEALTH_LOCK = threading.Lock()


class _OneClientPerServer(django_redis.RedisCacheClient):
    """Django's client of the Redis servers, which made a new redis-py client for every cache call (building
    its table of reply parsers each time: a sixth of a signed-in request's floor, which makes two calls). One
    client per server instead, on the same connection pool: redis-py's clients are safe to share between
    threads, and the pool itself starts afresh in a forked worker."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """Django's RedisCache that treats an unreachable Redis as an empty cache (see the module docstring)."""

    RETRY_AFTER = 5.0
    WARN_EVERY = 60.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerServer
        where = describe(server if isinstance(server, str) else ",".join(server))
        with _HEALTH_LOCK:
            self._health = _HEALTH.setdefault(where, _Health(where))

    def _guarded(self, call, *args, miss, write=False):
        health = self._health
        if health.down_since is not None and clock() < health.retry_at:
            self._failed(None, write)
            return miss
        try:
            if health.dropped_writes:
                # Before anything else, forget what may have been replaced while Redis was out of reach.
                self._cache.clear()
                health.dropped_writes = False
                recovered_by_clearing = True
            else:
                recovered_by_clearing = False
            result = call(*args)
        except UNAVAILABLE as error:
            self._failed(error, write)
            return miss
        if health.down_since is not None:
            self._recovered(recovered_by_clearing)
        return result

    def _failed(self, error, write):
        health = self._health
        now = clock()
        with health.lock:
            health.misses += 1
            health.dropped_writes = health.dropped_writes or write
            if error is None:
                # Skipped while waiting to try again: nothing new to say unless it is time to say it again.
                if now - health.warned_at >= self.WARN_EVERY:
                    self._warn_still_down(now)
                return
            health.retry_at = now + self.RETRY_AFTER
            if health.down_since is None:
                health.down_since = now
                health.warned_at = now
                health.misses = 1
                logger.warning(
                    "The Redis cache at %s is failing (%s): pages are served uncached until it answers again "
                    "(rate limits count nothing meanwhile).",
                    health.where,
                    error,
                )
            elif now - health.warned_at >= self.WARN_EVERY:
                self._warn_still_down(now, error)

    def _warn_still_down(self, now, error=None):
        health = self._health
        logger.warning(
            "The Redis cache at %s is still failing after %d s%s: %d cache calls answered as misses in the last %d s.",
            health.where,
            now - health.down_since,
            f" ({error})" if error else "",
            health.misses,
            now - health.warned_at,
        )
        health.warned_at = now
        health.misses = 0

    def _recovered(self, cleared):
        health = self._health
        with health.lock:
            if health.down_since is None:
                return
            logger.warning(
                "The Redis cache at %s answers again after %d s%s.",
                health.where,
                clock() - health.down_since,
                "; emptied it, since writes were lost meanwhile" if cleared else "",
            )
            health.down_since = None
            health.misses = 0

    # Each call of Django's RedisCache, answered as an empty cache would answer when Redis fails.

    def get(self, key, default=None, version=None):
        return self._guarded(super().get, key, default, version, miss=default)

    def get_many(self, keys, version=None):
        return self._guarded(super().get_many, keys, version, miss={})

    def has_key(self, key, version=None):
        return self._guarded(super().has_key, key, version, miss=False)

    def add(self, key, value, timeout=django_redis.DEFAULT_TIMEOUT, version=None):
        # Not a lost write: add never replaces, so what Redis still holds is what add would have left.
        return self._guarded(super().add, key, value, timeout, version, miss=True)

    def set(self, key, value, timeout=django_redis.DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().set, key, value, timeout, version, miss=None, write=True)

    def set_many(self, data, timeout=django_redis.DEFAULT_TIMEOUT, version=None):
        # Django's contract: the keys that could not be stored.
        return self._guarded(super().set_many, data, timeout, version, miss=list(data), write=True)

    def touch(self, key, timeout=django_redis.DEFAULT_TIMEOUT, version=None):
        return self._guarded(super().touch, key, timeout, version, miss=False)

    def delete(self, key, version=None):
        return self._guarded(super().delete, key, version, miss=False, write=True)

    def delete_many(self, keys, version=None):
        return self._guarded(super().delete_many, keys, version, miss=None, write=True)

    def incr(self, key, delta=1, version=None):
        missing = object()
        result = self._guarded(super().incr, key, delta, version, miss=missing, write=True)
        if result is missing:
            raise ValueError(f"Key '{key}' not found.")  # as on an empty cache; callers handle it
        return result

    def clear(self):
        return self._guarded(super().clear, miss=False, write=True)


class DatabaseCache(django_db.DatabaseCache):
    """Django's DatabaseCache with `set_many` in one statement and `set` in two (see the module docstring).

    `set_many` does not cull: what it writes are generations (an organisation's, a person's, the evidence's),
    which it replaces far more often than it adds (a generation is created by `add` on first use), so it
    hardly grows the table; the page bodies' `set`, which does grow it, still counts and culls. In autocommit
    (a write's generations are replaced once it has committed) the one statement is its own transaction, so
    SQLite's write lock is held for it alone, not for a transaction of three.

    Nor does `set_many` swallow a database error as Django's `set` does ("allowed to fail silently"): a
    generation left as it was would leave its organisation's pages served stale, so a failure reaches the
    write that asked for it and the log. (Two writers replacing the same key at once is no failure for an
    upsert: Django's read-then-insert could lose that race.) `set` does fail silently, as Django's: a body
    not stored is only built again on the next read."""

    UPSERT_VENDORS = ("sqlite", "postgresql")

    def set(self, key, value, timeout=django_db.DEFAULT_TIMEOUT, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor not in self.UPSERT_VENDORS:
            return super().set(key, value, timeout, version)
        row = self._row(connection, key, value, timeout, version)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(self._table)}")
            count = cursor.fetchone()[0]
            if count > self._max_entries:
                self._cull(db, cursor, timezone.now().replace(microsecond=0), count)
        try:
            # Inside a transaction, in a savepoint of its own: a failed statement would otherwise leave the
            # whole transaction unusable on PostgreSQL. Outside one, the statement is its own transaction.
            if connection.in_atomic_block:
                with transaction.atomic(using=db):
                    self._upsert(connection, [row])
            else:
                self._upsert(connection, [row])
        except DatabaseError:
            logger.warning("A value was not stored in the database cache.", exc_info=True)

    def set_many(self, data, timeout=django_db.DEFAULT_TIMEOUT, version=None):
        if not data:
            return []
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor not in self.UPSERT_VENDORS:
            return super().set_many(data, timeout, version)
        self._upsert(connection, [self._row(connection, key, value, timeout, version) for key, value in data.items()])
        return []

    def _row(self, connection, key, value, timeout, version):
        """(key, value, expires) as Django stores them: whole seconds, the value pickled and base64-encoded."""
        timeout = self.get_backend_timeout(timeout)
        if timeout is None:
            expires = datetime.max
        else:
            expires = datetime.fromtimestamp(timeout, tz=UTC if settings.USE_TZ else None)
        return (
            self.make_and_validate_key(key, version=version),
            base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1"),
            connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0)),
        )

    def _upsert(self, connection, rows):
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(self._table)} ({quote('cache_key')}, {quote('value')}, {quote('expires')}) "
                f"VALUES {', '.join(['(%s, %s, %s)'] * len(rows))} "
                f"ON CONFLICT ({quote('cache_key')}) DO UPDATE "
                f"SET {quote('value')} = excluded.{quote('value')}, {quote('expires')} = excluded.{quote('expires')}",
                [part for row in rows for part in row],
            )
