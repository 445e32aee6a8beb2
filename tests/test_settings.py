"""Production settings, checked the way an operator meets them: `manage.py` in its own process with a
clean environment and peerplan.settings (not the suite's tests/settings.py)."""

import json
import subprocess
import sys

import pytest

from peerplan.settings import INSECURE_DEV_KEY
from tests.production import BASE_DIR, clean_env, manage, production_env


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env=clean_env(DEBUG="false"))

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "refuses to start with a missing or default secret key" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr  # tells the operator how to make one


def test_production_refuses_to_start_with_the_development_secret_key():
    result = manage("check", env=clean_env(DEBUG="false", SECRET_KEY=INSECURE_DEV_KEY))

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_is_the_default_when_debug_is_unset():
    result = manage("check", env=clean_env())

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_development_starts_without_a_secret_key():
    result = manage("check", env=clean_env(DEBUG="true"))

    assert result.returncode == 0, result.stderr


def test_a_mistyped_boolean_stops_start_up_with_a_clear_message():
    result = manage("check", env=clean_env(DEBUG="ture"))

    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'ture'" in result.stderr


def test_the_check_in_threshold_can_be_raised_but_never_set_below_five():
    lowered = manage("check", env=clean_env(DEBUG="true", CHECK_IN_THRESHOLD="4"))
    raised = manage("check", env=clean_env(DEBUG="true", CHECK_IN_THRESHOLD="8"))

    assert lowered.returncode != 0
    assert "CHECK_IN_THRESHOLD must be 5 or more, not 4" in lowered.stderr
    assert raised.returncode == 0, raised.stderr


@pytest.mark.parametrize("value", ["1", "yes", "on", "0", "no", "off"])
def test_a_boolean_is_true_or_false_and_no_other_spelling(value):
    result = manage("check", env=clean_env(DEBUG=value))

    assert result.returncode != 0
    assert f"DEBUG must be true or false, not '{value}'" in result.stderr


def test_a_boolean_is_read_in_any_case():
    assert manage("check", env=clean_env(DEBUG="TRUE")).returncode == 0


def test_check_deploy_reports_no_issues_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_complains_about_a_short_secret_key():
    """The test above can fail: the same check with a weak key is not clean."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(SECRET_KEY="short-but-set"))

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_check_deploy_warns_that_emails_would_link_to_the_development_address_without_site_url():
    env = production_env()
    del env["SITE_URL"]
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "peerplan.W001" in result.stderr and "SITE_URL is http://127.0.0.1:8000" in result.stderr


SHOW_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "referrer": settings.SECURE_REFERRER_POLICY,
    "frame": settings.X_FRAME_OPTIONS,
    "session_engine": settings.SESSION_ENGINE,
    "cache": settings.CACHES["default"]["BACKEND"],
}))
"""


def test_production_settings_are_https_only_and_share_state_between_workers():
    result = manage("shell", "-c", SHOW_SETTINGS, env=production_env(ALLOWED_HOSTS="example.org,www.example.org"))
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])

    assert shown == {
        "debug": False,
        "hosts": ["example.org", "www.example.org"],
        "ssl_redirect": True,
        "session_secure": True,
        "csrf_secure": True,
        "hsts": 31536000,
        "referrer": "same-origin",
        "frame": "DENY",
        # Every worker on every host sees the same sessions and cache: sessions are kept in the database and
        # read through the shared cache.
        "session_engine": "django.contrib.sessions.backends.cached_db",
        "cache": "peerplan.lib.cache_backends.DatabaseCache",
    }


SQLITE_PRAGMAS = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy = cursor.fetchone()[0]
print(connection.vendor, journal, busy, connection.transaction_mode)
"""


def test_the_sqlite_file_uses_wal_a_busy_timeout_and_immediate_transactions(tmp_path):
    env = clean_env(DEBUG="true", SQLITE_PATH=tmp_path / "db.sqlite3")

    result = manage("shell", "-c", SQLITE_PRAGMAS, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["sqlite", "wal", "20000", "IMMEDIATE"]


# Each thread does what a view does: read, then write, inside one transaction. With SQLite's default
# DEFERRED transactions two such writers deadlock and one fails at once with "database is locked"
# (the busy timeout does not help a read lock that must be upgraded); IMMEDIATE makes the second wait.
CONCURRENT_WRITERS = """
import threading
from django.db import connection, transaction
from peerplan.models import Organisation

THREADS, EACH, PREFIX = {threads}, {each}, "{prefix}"
errors = []
start = threading.Barrier(THREADS)

def write(worker):
    try:
        start.wait()
        for index in range(EACH):
            with transaction.atomic():
                existing = Organisation.objects.count()
                slug = f"{{PREFIX}}-{{worker}}-{{index}}"
                Organisation.objects.create(name=f"Org {{slug}} after {{existing}}", slug=slug)
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()

threads = [threading.Thread(target=write, args=(worker,)) for worker in range(THREADS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("errors", len(errors), errors[:3])
print("rows", Organisation.objects.filter(slug__startswith=PREFIX + "-").count())
"""


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "db.sqlite3"
    result = manage("migrate", "--noinput", "-v0", env=clean_env(DEBUG="true", SQLITE_PATH=path))
    assert result.returncode == 0, result.stderr
    return path


def test_concurrent_writers_on_the_sqlite_file_all_succeed(migrated_sqlite):
    threads, each = 6, 25
    script = CONCURRENT_WRITERS.format(threads=threads, each=each, prefix="t")

    result = manage("shell", "-c", script, env=clean_env(DEBUG="true", SQLITE_PATH=migrated_sqlite), timeout=120)

    assert result.returncode == 0, result.stderr
    assert "errors 0 []" in result.stdout, result.stdout
    assert f"rows {threads * each}" in result.stdout


def test_two_processes_writing_the_sqlite_file_at_once_both_succeed(migrated_sqlite):
    env = clean_env(DEBUG="true", SQLITE_PATH=migrated_sqlite)
    scripts = [CONCURRENT_WRITERS.format(threads=2, each=20, prefix=f"p{n}") for n in (1, 2)]
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for script in scripts
    ]
    outputs = [process.communicate(timeout=120) for process in processes]

    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert "errors 0 []" in stdout, stdout
        assert "rows 40" in stdout, stdout


def _database_options(**env):
    code = "import json; from django.conf import settings; print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    result = manage("shell", "-c", code, env=clean_env(DEBUG="true", **env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_postgresql_keeps_queries_prepared_unless_told_not_to():
    # Settings only: nothing connects to this address.
    server = "postgres://peerplan@127.0.0.1:9/peerplan"
    prepared = _database_options(DATABASE_URL=server)
    assert prepared["server_side_binding"] is True
    assert prepared["prepare_threshold"] == 2
    behind_a_pooler = _database_options(DATABASE_URL=server, DB_PREPARED_STATEMENTS="false")
    assert "server_side_binding" not in behind_a_pooler and "prepare_threshold" not in behind_a_pooler
    assert "server_side_binding" not in _database_options()  # SQLite has nothing of the kind
