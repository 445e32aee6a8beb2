"""The database cache (peerplan/lib/cache_backends.py, DatabaseCache): many keys replaced in one statement, a
page's body stored in two, read back exactly as Django's own database cache reads them."""

import logging
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends import db as django_db
from django.db import DatabaseError, connection, transaction

from peerplan.lib import generations
from peerplan.lib.cache_backends import DatabaseCache


@pytest.fixture(autouse=True)
def _the_database_cache(db, django_assert_num_queries):
    # Asking for django_assert_num_queries makes the database cache the default, even where CACHE_URL
    # names Redis (tests/conftest.py).
    assert isinstance(caches["default"], DatabaseCache)


def test_many_keys_new_and_old_are_set_in_one_statement(django_assert_num_queries):
    cache.set("kept", {"as": "it was"}, timeout=None)
    cache.set("old", "before", timeout=None)
    with django_assert_num_queries(1):
        assert cache.set_many({"old": ["after", 2], "new": ("made", None)}, timeout=None) == []
    assert cache.get_many(["old", "new", "kept"]) == {
        "old": ["after", 2],
        "new": ("made", None),
        "kept": {"as": "it was"},
    }


def _expires(*keys):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT cache_key, expires FROM peerplan_cache WHERE cache_key IN ({', '.join(['%s'] * len(keys))})",
            [cache.make_key(key) for key in keys],
        )
        found = dict(cursor.fetchall())
    # SQLite gives the text stored, PostgreSQL a datetime.
    return {
        key: value if isinstance(value, datetime) else datetime.fromisoformat(value) for key, value in found.items()
    }


def djangos_own():
    """Django's own database cache on the same table, as the project's cache is configured."""
    settings = caches["default"]
    return django_db.DatabaseCache(settings._table, {"OPTIONS": {"MAX_ENTRIES": settings._max_entries}})


def test_a_timeout_is_kept_as_djangos_own_set_keeps_it():
    cache.set_many({"gone": 1}, timeout=0)
    cache.set("gone too", 1, timeout=0)
    assert cache.get_many(["gone", "gone too"]) == {}  # a timeout of 0 expires at once, as Django's
    djangos = djangos_own()
    djangos.set("hour by django", 1, timeout=3600)
    cache.set_many({"hour": 1}, timeout=3600)
    cache.set("hour by set", 1, timeout=3600)
    djangos.set("kept by django", 1, timeout=None)
    cache.set_many({"kept": 1}, timeout=None)
    cache.set("kept by set", 1, timeout=None)
    expires = _expires("hour by django", "hour", "hour by set", "kept by django", "kept", "kept by set")
    hour = expires[cache.make_key("hour by django")]
    for key in ("hour", "hour by set"):
        assert abs(expires[cache.make_key(key)] - hour) <= timedelta(seconds=1)
    for key in ("kept", "kept by set"):
        assert expires[cache.make_key(key)] == expires[cache.make_key("kept by django")]
    assert cache.get_many(["hour", "hour by set", "kept", "kept by set"]) == {
        "hour": 1,
        "hour by set": 1,
        "kept": 1,
        "kept by set": 1,
    }
    assert djangos.get_many(["hour", "kept by set"]) == {"hour": 1, "kept by set": 1}


@pytest.mark.django_db(transaction=True)
def test_a_body_is_stored_in_two_statements_and_holds_no_transaction_open(django_assert_num_queries):
    cache.set("body", "before", timeout=3600)
    with django_assert_num_queries(2) as captured:
        cache.set("body", {"the": "page"}, timeout=3600)
    # The count (to cull a full table), then the upsert: no BEGIN, nothing that reads the key first.
    assert [query["sql"].split()[0] for query in captured.captured_queries] == ["SELECT", "INSERT"]
    assert cache.get("body") == {"the": "page"}


def test_a_body_stored_inside_a_transaction_has_a_savepoint_of_its_own(django_assert_num_queries):
    with django_assert_num_queries(4) as captured:
        cache.set("body", "page", timeout=3600)
    assert [query["sql"].split()[0] for query in captured.captured_queries] == [
        "SELECT",
        "SAVEPOINT",
        "INSERT",
        "RELEASE",
    ]


def test_a_full_table_is_culled_as_djangos_culls_it():
    small = DatabaseCache(caches["default"]._table, {"OPTIONS": {"MAX_ENTRIES": 4, "CULL_FREQUENCY": 2}})
    small.set_many({"expired": 1}, timeout=0)
    for n in range(12):
        small.set(f"body {n}", n, timeout=3600)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM peerplan_cache")
        count = cursor.fetchone()[0]
    # Counted before each store: over 4, the expired rows go, then half of the rest.
    assert count <= 5
    assert small.get("body 11") == 11
    assert small.get("expired") is None


def test_a_body_that_cannot_be_stored_is_left_out_and_the_request_goes_on(monkeypatch, caplog):
    def failing(connection, rows):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO no_such_table (cache_key) VALUES (%s)", [rows[0][0]])

    monkeypatch.setattr(caches["default"], "_upsert", failing)
    with caplog.at_level(logging.WARNING, logger="peerplan.cache"):
        cache.set("body", "page", timeout=3600)
    assert "A value was not stored in the database cache." in caplog.text
    monkeypatch.undo()
    # The transaction it ran in is still usable (PostgreSQL aborts one whose statement failed, but for the
    # savepoint), and nothing was stored.
    assert cache.get("body") is None
    cache.set("body", "page", timeout=3600)
    assert cache.get("body") == "page"


def test_a_generation_that_cannot_be_replaced_is_an_error(monkeypatch):
    def failing(connection, rows):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO no_such_table (cache_key) VALUES (%s)", [rows[0][0]])

    monkeypatch.setattr(caches["default"], "_upsert", failing)
    with pytest.raises(DatabaseError), transaction.atomic():
        cache.set_many({"planning:organisation:1:generation": "new"})


def test_a_version_is_part_of_the_key():
    cache.set_many({"key": "one"}, version=1)
    cache.set_many({"key": "two"}, version=2)
    assert (cache.get("key", version=1), cache.get("key", version=2)) == ("one", "two")


def test_generations_are_replaced_for_every_reader(django_assert_num_queries):
    first, second = generations.generation("planning:organisation:1:generation"), generations.generation("other")
    with django_assert_num_queries(1):
        generations.replace("planning:organisation:1:generation", "other")
    assert generations.generation("planning:organisation:1:generation") not in (first, second)
    assert generations.generation("other") not in (first, second)
