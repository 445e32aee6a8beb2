"""Faults, not only attacks (issue 12, defect 6), over real HTTP against gunicorn with production settings.

1. Workers killed (SIGKILL) in the middle of the concurrent writers' load: planners create and edit actions
   while a killer thread SIGKILLs a gunicorn worker about every second (the master starts a new one). A
   request whose worker died gets no answer (never a 5xx) and the planner tries again, as a person would.
   Afterwards every acknowledged write is in the database, nothing is half-written (each action's version
   counts its history records; every action addresses at least one item, all of its own checklist) and the organisation still
   has an owner. Both databases.
2. PostgreSQL stopped mid-run (a throwaway cluster of this test's own on port 5452): pages answer a clear 503
   page and /healthz 503, no traceback; when it comes back PeerPlan serves again without a restart. PostgreSQL
   only (skipped on the SQLite run)."""

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.production import (
    BASE_DIR,
    Browser,
    get,
    gunicorn,
    manage,
    production_env,
    ticked_challenges,
    unexpected_tracebacks,
    version_in,
)
from tests.worlds import LOAD_TEST_SET_UP

CLIENTS = 3
ROUNDS = 3  # at least; more until MIN_KILLS workers were killed (a fast machine finishes 3 before that)
MAX_ROUNDS = 30
MIN_KILLS = 3
SHARED = 2
WORKERS = 3
KILL_EVERY_SECONDS = 1.5
MAX_KILLS = 12
RETRIES = 8  # per step, after no answer from a killed worker
DEADLINE_SECONDS = 300
PASSWORD = "a-long-load-test-password-1"

STATE = """
import json
from django.db.models import F
from peerplan.models import Membership, Mitigation, Organisation
rows = Mitigation.objects.filter(checklist__title="Load").order_by("pk")
print(json.dumps({
    "mitigations": {m.pk: {"action": m.action, "version": m.version, "history": m.history.count(),
                           "notes": sorted(h.notes for h in m.history.all())} for m in rows},
    "misplaced": Mitigation.items.through.objects.exclude(mitigation__checklist_id=F("item__checklist_id")).count(),
    "unlinked": Mitigation.objects.filter(items__isnull=True).count(),
    "without_owner": [o.slug for o in Organisation.objects.all() if not o.memberships.filter(role="owner").exists()],
}))
"""


def site(database, static_root, *, migrate=False):
    """Production settings over plain HTTP on `database` (migrated first if `migrate`: the database_env
    fixture's already is), with the load tests' organisation; returns the environment and its ids."""
    env = production_env(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        STATIC_ROOT=static_root,
        AXES_FAILURE_LIMIT="1000",
        **database,
    )
    if migrate:
        result = manage("migrate", "--noinput", "-v0", env=env, timeout=300)
        assert result.returncode == 0, result.stderr
    set_up = manage("shell", "-c", LOAD_TEST_SET_UP.format(clients=CLIENTS, password=PASSWORD, shared=SHARED), env=env)
    assert set_up.returncode == 0, set_up.stderr
    return env, json.loads(set_up.stdout.strip().splitlines()[-1])


def is_no_answer(error):
    """Whether a request's error means its worker was killed before the answer was complete: "no answer",
    which a person meets by trying again (unlike a 5xx, or any other error, which is a failure).

    Where the SIGKILL lands decides what http.client raises. Before or while the request is sent, or before
    any of the answer came back: an OSError (ConnectionRefusedError, BrokenPipeError, ConnectionResetError,
    RemoteDisconnected, which is a ConnectionResetError, or urllib's URLError wrapping one of them; a
    timeout too). Once the status line has arrived, the kill cuts the rest, which http.client reports as
    HTTPExceptions that are not OSErrors: IncompleteRead when the body is shorter than its Content-Length
    (e.g. "IncompleteRead(0 bytes read, 10865 more expected)", a page cut by the kill), BadStatusLine when
    the status line itself was cut. All of these are one thing: no answer."""
    return isinstance(error, (OSError, http.client.IncompleteRead, http.client.BadStatusLine))


def healthz(url):
    """/healthz's status, or None when no answer came (a worker killed while it answered)."""
    try:
        return get(f"{url}/healthz")[0]
    except Exception as error:
        if not is_no_answer(error):
            raise
        return None


class Planner:
    """One planner's browser that, like a person, tries again when a page does not answer at all."""

    def __init__(self, url, log):
        self.browser = Browser(url, timeout=30)
        self.log = log

    def call(self, path, data=None):
        status, headers, body = self.browser.request(path, data)
        self.log.append(status)
        return status, headers, body

    def attempt(self, step):
        """Run `step` (GET a form, POST it) until it gets an answer; no answer means a killed worker."""
        for _ in range(RETRIES):
            try:
                return step()
            except Exception as error:
                if not is_no_answer(error):
                    raise
                self.log.append("no answer")
                time.sleep(0.3)
        raise AssertionError(f"no answer after {RETRIES} tries")

    def form(self, path, **fields):
        status, _, page = self.call(path)
        assert status == 200, f"GET {path} answered {status}"
        kept = {"version": version_in(page), "challenges": ticked_challenges(page)}
        return {"csrfmiddlewaretoken": self.browser.csrf_token(page), **kept, **fields}


def run_planner(number, url, ids, results, kills):
    planner = Planner(url, results["requests"])

    def sign_in():
        status, _, page = planner.call("/accounts/login/")
        data = {"login": f"load{number}@example.org", "password": PASSWORD}
        status, _, _ = planner.call(
            "/accounts/login/", {**data, "csrfmiddlewaretoken": planner.browser.csrf_token(page)}
        )
        assert status == 302, f"sign-in answered {status}"

    planner.attempt(sign_in)
    items, shared = ids["items"], ids["shared"]
    for round_number in range(MAX_ROUNDS):
        if round_number >= ROUNDS and len(kills) >= MIN_KILLS:
            break
        text = f"kill-{number}-{round_number}"
        item = items[(number + round_number) % len(items)]

        def create(text=text, item=item):
            data = planner.form(f"/app/items/{item}/mitigations/new/", action=text, status="planned")
            status, _, _ = planner.call(f"/app/items/{item}/mitigations/new/", data)
            assert status == 302, f"create answered {status}"

        planner.attempt(create)
        results["acknowledged"][text] = text

        def edit_own(text=text, item=item):
            status, _, page = planner.call(f"/app/items/{item}/")
            assert status == 200
            found = re.search(rb'href="/app/mitigations/(\d+)/[^"]*">' + re.escape(text.encode()) + rb"</a>", page)
            if not found and f"{text} edited</a>".encode() in page:
                return  # an earlier try's edit was saved, and its worker killed before it answered
            assert found, f"{text} is not on its item page after the create was acknowledged"
            edit = f"/app/mitigations/{found.group(1).decode()}/edit/"
            data = planner.form(edit, action=f"{text} edited", status="in_progress")
            status, _, _ = planner.call(edit, data)
            assert status == 302, f"edit answered {status}"

        planner.attempt(edit_own)
        results["acknowledged"][text] = f"{text} edited"

        target = shared[(number + round_number) % len(shared)]
        note = f"shared note by {number} in round {round_number}"

        def edit_shared(target=target, note=note):
            edit = f"/app/mitigations/{target}/edit/"
            data = planner.form(edit, action=f"shared-{target}", status="planned", notes=note)
            for _ in range(RETRIES):
                status, _, page = planner.call(edit, data)
                if status != 409:
                    break
                data = {**data, "version": version_in(page), "csrfmiddlewaretoken": planner.browser.csrf_token(page)}
            assert status == 302, f"shared edit answered {status}"

        planner.attempt(edit_shared)
        results["shared_notes"].setdefault(target, []).append(note)


def kill_workers(master, stop, kills):
    """SIGKILL one of gunicorn's workers about every KILL_EVERY_SECONDS until told to stop."""
    while not stop.wait(KILL_EVERY_SECONDS) and len(kills) < MAX_KILLS:
        workers = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
        if workers:
            try:
                os.kill(int(random.choice(workers)), signal.SIGKILL)
                kills.append(time.monotonic())
            except ProcessLookupError:
                pass


def test_killed_workers_lose_no_acknowledged_write_and_leave_nothing_half_written(
    database_env, collected_static, tmp_path, capsys
):
    env, ids = site(database_env, collected_static)
    results = {"requests": [], "acknowledged": {}, "shared_notes": {}, "failures": []}
    kills = []
    with gunicorn(env, tmp_path / "gunicorn.log", workers=WORKERS, timeout=120) as server:
        stop = threading.Event()
        killer = threading.Thread(target=kill_workers, args=(server.process, stop, kills), daemon=True)

        def planner(number):
            try:
                run_planner(number, server.url, ids, results, kills)
            except Exception as error:  # asserted below, with the figures
                results["failures"].append(f"planner {number}: {error!r}")

        threads = [threading.Thread(target=planner, args=(n,), daemon=True) for n in range(CLIENTS)]
        started = time.monotonic()
        killer.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(1, DEADLINE_SECONDS - (time.monotonic() - started)))
        stop.set()
        killer.join(timeout=10)
        unfinished = sum(thread.is_alive() for thread in threads)
        # The site still answers once the killing stops (the master replaced every worker).
        deadline = time.monotonic() + 30
        while healthz(server.url) != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert healthz(server.url) == 200
        log = server.log()

    state = json.loads(manage("shell", "-c", STATE, env=env).stdout.strip().splitlines()[-1])
    statuses = Counter(str(status) for status in results["requests"])
    rows = state["mitigations"]
    actions = [row["action"] for pk, row in rows.items() if int(pk) not in ids["shared"]]
    lost = [text for text in results["acknowledged"].values() if text not in actions]
    lost += [
        note
        for target, notes in results["shared_notes"].items()
        for note in notes
        if note not in rows[str(target)]["notes"]
    ]
    figures = {
        "database": "postgresql" if "DATABASE_URL" in env else "sqlite",
        "workers_killed": len(kills),
        "planners_unfinished": unfinished,
        "seconds": round(time.monotonic() - started, 1),
        "requests": sum(statuses.values()),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(count for status, count in statuses.items() if status.isdigit() and int(status) >= 500),
        "writes_acknowledged": 2 * len(results["acknowledged"]) + sum(map(len, results["shared_notes"].values())),
        "acknowledged_writes_lost": len(lost),
        "versions_not_matching_history": [pk for pk, row in rows.items() if row["version"] != row["history"]],
        "actions_on_another_checklists_item": state["misplaced"],
        "actions_addressing_nothing": state["unlinked"],
        "organisations_without_owner": state["without_owner"],
    }
    output = BASE_DIR / "test-output"
    output.mkdir(exist_ok=True)
    (output / f"faults-sigkill-{figures['database']}.json").write_text(json.dumps(figures, indent=2))
    with capsys.disabled():
        print(f"\nSIGKILL fault figures: {json.dumps(figures)}")

    assert unfinished == 0, figures
    assert results["failures"] == [], (results["failures"], log[-3000:])
    assert figures["workers_killed"] >= MIN_KILLS, figures  # the faults really happened during the load
    assert figures["server_errors"] == 0, figures
    assert lost == [], figures
    assert figures["versions_not_matching_history"] == [], figures
    assert figures["actions_on_another_checklists_item"] == 0, figures
    assert figures["actions_addressing_nothing"] == 0, figures
    assert figures["organisations_without_owner"] == [], figures
    assert unexpected_tracebacks(log) == []


@pytest.mark.parametrize(
    "cut_after",
    [
        b"",
        b"HTTP/1.1 2",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10865\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10865\r\n\r\n<html>",
    ],
    ids=["nothing", "half a status line", "headers", "part of the body"],
)
def test_an_answer_cut_anywhere_by_a_killed_worker_counts_as_no_answer(cut_after):
    """A server that sends `cut_after` and then closes the connection, as a worker SIGKILLed at that moment
    does: whatever the Browser raises is "no answer", which the planners retry."""
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def answer_and_die():
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(cut_after)

        server = threading.Thread(target=answer_and_die, daemon=True)
        server.start()
        with pytest.raises(Exception) as raised:
            Browser(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=10).request("/app/")
        server.join(timeout=10)
    assert is_no_answer(raised.value), repr(raised.value)


def test_other_errors_are_not_no_answer():
    assert not is_no_answer(AssertionError("create answered 500"))
    assert not is_no_answer(ValueError("a page without its form"))


# 2. PostgreSQL stopped mid-run ------------------------------------------------------------------------

OUTAGE_PORT = 5452  # a throwaway cluster of this test's own, never the suite's (CI's is 5439)


def _pg(script, root):
    """Run bash with .ci/postgres.sh sourced for the throwaway cluster (as root, like CI)."""
    command = f"set -e; export PG_PORT={OUTAGE_PORT} PG_ROOT={root}; source .ci/postgres.sh; pg_install; {script}"
    result = subprocess.run(["bash", "-c", command], cwd=BASE_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


PG_RESTART = (
    'pg_as "$PG_BIN/pg_ctl -D $PG_ROOT/data -l $PG_ROOT/log -w -t 30 -o \\"-p $PG_PORT -k $PG_ROOT/sock '
    '-c listen_addresses=127.0.0.1 -c fsync=off\\" start" >/dev/null'
)
PG_STOP = 'pg_as "$PG_BIN/pg_ctl -D $PG_ROOT/data -m fast -w -t 30 stop" >/dev/null'


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs DATABASE_URL=postgres:// (stops and restarts a PostgreSQL server of its own)",
)
def test_postgresql_stopped_mid_run_is_a_clear_503_and_serving_resumes_without_a_restart(
    collected_static, tmp_path, capsys
):
    root = Path(f"/tmp/peerplan-outage-{OUTAGE_PORT}")
    _pg("pg_start", root)
    try:
        database = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{OUTAGE_PORT}/app"}
        env, ids = site(database, collected_static, migrate=True)
        with gunicorn(env, tmp_path / "gunicorn.log", workers=2, timeout=120) as server:
            planner = Browser(server.url)
            _, _, page = planner.request("/accounts/login/")
            token = planner.csrf_token(page)
            data = {"login": "load0@example.org", "password": PASSWORD, "csrfmiddlewaretoken": token}
            assert planner.request("/accounts/login/", data)[0] == 302
            item_page = f"/app/items/{ids['items'][0]}/"
            assert planner.request(item_page)[0] == 200

            _pg(PG_STOP, root)
            during = Counter()
            for _ in range(3):
                for path in (item_page, "/app/", "/healthz", "/accounts/login/"):
                    status, headers, body = planner.request(path)
                    during[status] += 1
                    assert status == 503, (path, status, body[:500])
                    assert b"Traceback" not in body
                    if path != "/healthz":
                        assert b"PeerPlan is unavailable for a moment" in body

            _pg(PG_RESTART, root)
            deadline = time.monotonic() + 30
            while get(f"{server.url}/healthz")[0] != 200:
                assert time.monotonic() < deadline, "PeerPlan did not serve again within 30 s of the database's return"
                time.sleep(0.3)
            after = Counter()
            for _ in range(3):  # every worker serves again, the same session still signed in
                status, _, page = planner.request(item_page)
                after[status] += 1
                assert status == 200
            create = f"/app/items/{ids['items'][0]}/mitigations/new/"
            status, _, page = planner.request(create)
            assert status == 200
            data = {
                "action": "written after the outage",
                "status": "planned",
                "version": version_in(page),
                "challenges": ticked_challenges(page),
                "csrfmiddlewaretoken": planner.csrf_token(page),
            }
            assert planner.request(create, data)[0] == 302
            log = server.log()
        with capsys.disabled():
            print(f"\nPostgreSQL outage figures: during={dict(during)} after={dict(after)}")
        assert "Booting worker" in log and log.count("Booting worker") == 2  # served again without a restart
    finally:
        subprocess.run(
            [
                "bash",
                "-c",
                f"export PG_PORT={OUTAGE_PORT} PG_ROOT={root}; source .ci/postgres.sh; pg_install; {PG_STOP}",
            ],
            cwd=BASE_DIR,
            capture_output=True,
            timeout=120,
        )
