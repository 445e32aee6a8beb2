"""The database cache (peerplan/lib/cache_backends.py, DatabaseCache): many keys replaced in one statement,
read back exactly as Django's own database cache reads them."""

from datetime import datetime, timedelta

import pytest
from django.core.cache import cache, caches
from django.db import connection

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


def test_a_timeout_is_kept_as_djangos_own_set_keeps_it():
    cache.set_many({"gone": 1}, timeout=0)
    assert cache.get("gone") is None  # a timeout of 0 expires at once, as Django's
    cache.set("hour by django", 1, timeout=3600)
    cache.set_many({"hour": 1}, timeout=3600)
    cache.set("kept by django", 1, timeout=None)
    cache.set_many({"kept": 1}, timeout=None)
    expires = _expires("hour by django", "hour", "kept by django", "kept")
    assert abs(expires[cache.make_key("hour")] - expires[cache.make_key("hour by django")]) <= timedelta(seconds=1)
    assert expires[cache.make_key("kept")] == expires[cache.make_key("kept by django")]
    assert cache.get_many(["hour", "kept"]) == {"hour": 1, "kept": 1}


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
