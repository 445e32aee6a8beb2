"""Settings for the test suite (pyproject.toml's pytest configuration names this module): PeerPlan's
production settings, DEBUG off as in production, with only what a test run needs changed here."""

import os
from urllib.parse import urlsplit, urlunsplit

# Production refuses to start without a secret key; the suite signs its sessions with this one. Set only for
# reading peerplan.settings, so processes the tests start (gunicorn, manage.py) get the environment they say.
_had_secret_key = "SECRET_KEY" in os.environ
os.environ.setdefault("SECRET_KEY", "peerplan-test-suite-only-" + "x" * 40)
from peerplan.settings import *  # noqa: E402, F403
from peerplan.settings import CACHES, DATABASES  # noqa: E402

if not _had_secret_key:
    del os.environ["SECRET_KEY"]

# The test client and the live server speak plain HTTP on loopback.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False

# pytest-django's test database on SQLite lives in memory or a file per run; keeping a connection open
# between requests would hold it across tests that start threads (live server).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# Links in emails (confirmation, reset) point at the live server, which speaks plain HTTP.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"

# `make test` runs the suite in several processes (pytest-xdist); pytest-django gives each its own test
# database. Each also empties the cache between tests, which on Redis is FLUSHDB, so each gets a Redis database
# of its own on the same server: CACHE_URL's .../0 becomes .../1 for the second process (gw1), and so on.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_redis = urlsplit(CACHES["default"].get("LOCATION", ""))
if _worker and _redis.scheme in ("redis", "rediss"):
    _number = int(_redis.path.strip("/") or 0) + int(_worker.removeprefix("gw"))
    CACHES["default"]["LOCATION"] = urlunsplit(_redis._replace(path=f"/{_number}"))

# With CACHE_URL (CI's PostgreSQL pass) the default cache is Redis. The database cache stays configured under
# another name, so the test database gets its table (Django's test set-up runs createcachetable for each
# database cache): the tests that pin query counts use it (tests/conftest.py), since their pins count the
# database cache's own queries.
DATABASE_CACHE = {
    "BACKEND": "peerplan.lib.cache_backends.DatabaseCache",
    "LOCATION": "peerplan_cache",
    "TIMEOUT": None,
}
if CACHES["default"]["BACKEND"] != DATABASE_CACHE["BACKEND"]:
    CACHES["database"] = DATABASE_CACHE
