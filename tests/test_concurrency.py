"""Nothing lost under concurrent load: gunicorn with several workers on a file database (SQLite in a
temporary directory, or a PostgreSQL database of its own when DATABASE_URL points at PostgreSQL), and
clients that sign in and create and update records at the same time. Every request gets an answer that
is not a 5xx, and every write the server acknowledged is in the database afterwards.

Until the planning pages exist the writes go through the admin (groups: created, then renamed), which is
a real form view with CSRF, sessions and the database. The planning engineers can reuse `live_site` and
`Browser` for mitigations."""

import json
import os
import re
import threading
import time
import uuid
from collections import Counter

import dj_database_url
import pytest
from tests.production import BASE_DIR, Browser, get, gunicorn, manage, production_env

CLIENTS = 6  # at the same time
ROUNDS = 6  # each: create a record, then rename it
WORKERS = 3
PASSWORD = "a-long-load-test-password-1"
DEADLINE_SECONDS = 180

CREATE_USERS = """
from django.contrib.auth import get_user_model
User = get_user_model()
for number in range({clients}):
    User.objects.create_superuser(f"load{{number}}", f"load{{number}}@example.org", "{password}")
print("users", User.objects.count())
"""

SHOW_GROUPS = """
import json
from django.contrib.auth.models import Group
print(json.dumps(sorted(Group.objects.values_list("name", flat=True))))
"""


@pytest.fixture(scope="module")
def database_env(tmp_path_factory):
    """Environment variables naming a fresh database of the same kind as this test run's, migrated."""
    url = os.environ.get("DATABASE_URL", "")
    tmp = tmp_path_factory.mktemp("load")
    if not url.startswith("postgres"):
        yield {"SQLITE_PATH": str(tmp / "db.sqlite3")}
        return
    import psycopg

    config = dj_database_url.parse(url)
    name = f"peerplan_load_{uuid.uuid4().hex[:8]}"
    server = {
        "host": config["HOST"],
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "dbname": "postgres",
    }
    if config["PASSWORD"]:
        server["password"] = config["PASSWORD"]
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": url.rsplit("/", 1)[0] + "/" + name}
    finally:
        with psycopg.connect(**server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def live_site(database_env, tmp_path_factory):
    """gunicorn with WORKERS workers on a loopback port, production settings over plain HTTP, a migrated
    database with CLIENTS superusers (load0, load1, ...). Yields the gunicorn Server."""
    tmp = tmp_path_factory.mktemp("site")
    env = production_env(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",  # plain HTTP on loopback: the client must get its cookies back
        STATIC_ROOT=tmp / "static",
        **database_env,
    )
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["createcachetable"],
        ["collectstatic", "--noinput", "-v0"],
        ["shell", "-c", CREATE_USERS.format(clients=CLIENTS, password=PASSWORD)],
    ):
        result = manage(*command, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
    with gunicorn(env, tmp / "gunicorn.log", workers=WORKERS) as server:
        server.env = env
        yield server


def run_client(number, base_url, results):
    """One person: sign in, then ROUNDS times create a group and rename it; /healthz in between."""
    browser = Browser(base_url)
    log = results["requests"]
    acknowledged = results["acknowledged"]

    def call(path, data=None):
        started = time.perf_counter()
        try:
            status, headers, body = browser.request(path, data)
        except OSError as error:  # no answer at all counts as a failure too
            log.append((path, f"no answer: {error!r}", time.perf_counter() - started))
            raise
        log.append((path, status, time.perf_counter() - started))
        return status, headers, body

    status, _, page = call("/accounts/login/")
    assert status == 200
    status, headers, _ = call(
        "/accounts/login/",
        {"username": f"load{number}", "password": PASSWORD, "csrfmiddlewaretoken": browser.csrf_token(page)},
    )
    assert status == 302, f"sign-in answered {status}"
    for round_number in range(ROUNDS):
        name = f"load-{number}-{round_number}"
        status, _, page = call("/admin/auth/group/add/")
        assert status == 200, f"add form answered {status} (a session another worker did not know?)"
        status, headers, _ = call(
            "/admin/auth/group/add/",
            {"name": name, "_continue": "1", "csrfmiddlewaretoken": browser.csrf_token(page)},
        )
        assert status == 302, f"create answered {status}"
        acknowledged[name] = name
        change = re.search(r"/admin/auth/group/(\d+)/change/", headers["Location"]).group(0)
        status, _, page = call(change)
        assert status == 200
        status, _, _ = call(
            change, {"name": f"{name}-renamed", "_save": "1", "csrfmiddlewaretoken": browser.csrf_token(page)}
        )
        assert status == 302, f"rename answered {status}"
        acknowledged[name] = f"{name}-renamed"
        assert call("/healthz")[0] == 200


def test_concurrent_clients_lose_nothing_and_never_see_a_server_error(live_site, capsys):
    results = {"requests": [], "acknowledged": {}, "failures": []}

    def client(number):
        try:
            run_client(number, live_site.url, results)
        except Exception as error:  # recorded and asserted below, with everything else
            results["failures"].append(f"client {number}: {error!r}")

    threads = [threading.Thread(target=client, args=(number,), daemon=True) for number in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1, DEADLINE_SECONDS - (time.perf_counter() - started)))
    duration = time.perf_counter() - started
    assert not any(thread.is_alive() for thread in threads), (
        f"clients still running after {DEADLINE_SECONDS}s"
    )

    statuses = Counter(status for _, status, _ in results["requests"])
    latencies = sorted(seconds for _, _, seconds in results["requests"])
    figures = {
        "database": "postgresql" if "DATABASE_URL" in live_site.env else "sqlite",
        "workers": WORKERS,
        "clients": CLIENTS,
        "requests": len(results["requests"]),
        "statuses": {str(status): count for status, count in sorted(statuses.items(), key=str)},
        "writes_acknowledged": 2 * len(results["acknowledged"]),
        "seconds": round(duration, 2),
        "requests_per_second": round(len(results["requests"]) / duration, 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "max_ms": round(1000 * latencies[-1], 1) if latencies else None,
    }
    output = BASE_DIR / "test-output"
    output.mkdir(exist_ok=True)
    (output / f"concurrency-{figures['database']}.json").write_text(json.dumps(figures, indent=2))
    with capsys.disabled():
        print(f"\nconcurrency figures: {json.dumps(figures)}")

    assert results["failures"] == []
    assert not [status for status in statuses if not isinstance(status, int) or status >= 500], figures
    assert len(results["acknowledged"]) == CLIENTS * ROUNDS

    # Every acknowledged write is in the database, in its acknowledged state.
    shown = manage("shell", "-c", SHOW_GROUPS, env=live_site.env)
    assert shown.returncode == 0, shown.stderr
    in_database = json.loads(shown.stdout.strip().splitlines()[-1])
    assert sorted(results["acknowledged"].values()) == [
        name for name in in_database if name.startswith("load-")
    ]
    assert "Traceback" not in live_site.log()


def test_the_site_still_answers_after_the_load(live_site):
    status, _, body = get(f"{live_site.url}/healthz")

    assert status == 200
    assert body == b'{"status": "ok"}'
