"""Nothing lost under concurrent load: gunicorn with several workers on a file database (SQLite in a
temporary directory, or a PostgreSQL database of its own when DATABASE_URL points at PostgreSQL), and
planners of one organisation who sign in and create and update mitigations through the real pages at the
same time: each GETs the form (CSRF token, version) and POSTs it, as a browser does.

Every request gets an answer that is not a 5xx; a stale version gets the 409 conflict page (a clear
answer), after which the person saves again over the new version, as the page offers. Every write the
server acknowledged (a 302 after create or update) is in the database afterwards with its text, and the
shared mitigations' versions count exactly the acknowledged updates: no update was lost."""

import json
import re
import threading
import time
from collections import Counter

import pytest

from tests.production import BASE_DIR, Browser, get, gunicorn, manage, production_env, ticked_challenges, version_in
from tests.worlds import LOAD_TEST_SET_UP

CLIENTS = 6  # at the same time, all planners of one organisation
ROUNDS = 5  # each: create a mitigation, edit it, edit a shared one
SHARED = 2  # mitigations every client edits, so that versions go stale and conflicts happen
CONFLICT_RETRIES = 5
WORKERS = 3
PASSWORD = "a-long-load-test-password-1"
DEADLINE_SECONDS = 120

SHOW_MITIGATIONS = """
import json
from peerplan.models import Mitigation
rows = Mitigation.objects.filter(checklist__title="Load").order_by("pk")
print(json.dumps({
    "mitigations": {m.pk: {"action": m.action, "notes": m.notes, "version": m.version} for m in rows},
    "history": {m.pk: sorted(h.notes for h in m.history.all()) for m in rows},
}))
"""


@pytest.fixture(scope="module")
def live_site(database_env, collected_static, tmp_path_factory):
    """gunicorn with WORKERS workers on a loopback port, production settings over plain HTTP, a migrated
    database with an organisation of CLIENTS planners (load0@example.org, ...), a checklist, and SHARED
    mitigations on its first challenge. Yields the gunicorn Server, with .env and .ids."""
    tmp = tmp_path_factory.mktemp("site")
    env = production_env(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",  # plain HTTP on loopback: the client must get its cookies back
        STATIC_ROOT=collected_static,
        AXES_FAILURE_LIMIT="1000",  # every client signs in from 127.0.0.1
        **database_env,
    )
    set_up = manage("shell", "-c", LOAD_TEST_SET_UP.format(clients=CLIENTS, password=PASSWORD, shared=SHARED), env=env)
    assert set_up.returncode == 0, set_up.stderr
    ids = json.loads(set_up.stdout.strip().splitlines()[-1])
    with gunicorn(env, tmp / "gunicorn.log", workers=WORKERS) as server:
        server.env = env
        server.ids = ids
        yield server


def run_client(number, site, results):
    """One planner: sign in, then ROUNDS times: create a mitigation (on an item other clients use too),
    find it on the item page, edit it, and add a note to a shared mitigation (saving again over a
    conflict, as the 409 page offers); /healthz in between."""
    browser = Browser(site.url)
    log = results["requests"]
    items, shared = site.ids["items"], site.ids["shared"]

    def call(path, data=None):
        started = time.perf_counter()
        try:
            status, headers, body = browser.request(path, data)
        except OSError as error:  # no answer at all counts as a failure too
            log.append((path, f"no answer: {error!r}", time.perf_counter() - started))
            raise
        log.append((path, status, time.perf_counter() - started))
        return status, headers, body

    def form(path, **fields):
        status, _, page = call(path)
        assert status == 200, f"GET {path} answered {status} (a session another worker did not know?)"
        kept = {"version": version_in(page), "challenges": ticked_challenges(page)}
        return page, {"csrfmiddlewaretoken": browser.csrf_token(page), **kept, **fields}

    status, _, page = call("/accounts/login/")
    assert status == 200
    status, headers, _ = call(
        "/accounts/login/",
        {
            "login": f"load{number}@example.org",
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.csrf_token(page),
        },
    )
    assert status == 302, f"sign-in answered {status}"
    for round_number in range(ROUNDS):
        text = f"load-{number}-{round_number}"
        item = items[(number + round_number) % len(items)]

        # Create, through the form.
        _, data = form(f"/app/items/{item}/mitigations/new/", action=text, status="planned")
        status, headers, _ = call(f"/app/items/{item}/mitigations/new/", data)
        assert status == 302, f"create answered {status}"
        results["created"][text] = text

        # Find it on the item page, as the person would, and edit it.
        status, _, page = call(f"/app/items/{item}/")
        assert status == 200
        found = re.search(rb'href="/app/mitigations/(\d+)/[^"]*">' + re.escape(text.encode()) + rb"</a>", page)
        assert found, f"{text} is not on its item page after the create was acknowledged"
        pk = found.group(1).decode()
        edit = f"/app/mitigations/{pk}/edit/"
        _, data = form(edit, action=f"{text} edited", status="in_progress", notes=f"note {text}")
        status, _, _ = call(edit, data)
        assert status == 302, f"edit of own mitigation answered {status}"
        results["created"][text] = f"{text} edited"

        # A shared mitigation: several people save it at once; a stale version is a 409, and the person
        # saves again over the newer version the conflict page carries.
        target = shared[(number + round_number) % len(shared)]
        edit = f"/app/mitigations/{target}/edit/"
        note = f"shared note by {number} in round {round_number}"
        page, data = form(edit, action=f"shared-{target}", status="planned", notes=note)
        for _ in range(CONFLICT_RETRIES):
            status, _, page = call(edit, data)
            if status != 409:
                break
            assert b"Someone else changed this action" in page
            assert note.encode() in page, "the conflict page lost what the person typed"
            results["conflicts"] += 1
            data = {**data, "version": version_in(page), "csrfmiddlewaretoken": browser.csrf_token(page)}
        assert status == 302, f"shared edit answered {status}"
        results["shared_notes"].setdefault(target, []).append(note)
        assert call("/healthz")[0] == 200


def test_concurrent_planners_lose_nothing_and_never_see_a_server_error(live_site, capsys):
    results = {"requests": [], "created": {}, "shared_notes": {}, "conflicts": 0, "failures": []}

    def client(number):
        try:
            run_client(number, live_site, results)
        except Exception as error:  # recorded and asserted below, with everything else
            results["failures"].append(f"client {number}: {error!r}")

    threads = [threading.Thread(target=client, args=(number,), daemon=True) for number in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1, DEADLINE_SECONDS - (time.perf_counter() - started)))
    duration = time.perf_counter() - started
    assert not any(thread.is_alive() for thread in threads), f"clients still running after {DEADLINE_SECONDS}s"

    statuses = Counter(status for _, status, _ in results["requests"])
    latencies = sorted(seconds for _, _, seconds in results["requests"])
    shared_updates = sum(len(notes) for notes in results["shared_notes"].values())
    figures = {
        "database": "postgresql" if "DATABASE_URL" in live_site.env else "sqlite",
        "workers": WORKERS,
        "clients": CLIENTS,
        "requests": len(results["requests"]),
        "statuses": {str(status): count for status, count in sorted(statuses.items(), key=str)},
        "errors": sum(count for status, count in statuses.items() if not isinstance(status, int) or status >= 500),
        "conflicts_409": results["conflicts"],
        "writes_acknowledged": 2 * len(results["created"]) + shared_updates,
        "seconds": round(duration, 2),
        "requests_per_second": round(len(results["requests"]) / duration, 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
        "max_ms": round(1000 * latencies[-1], 1) if latencies else None,
    }
    output = BASE_DIR / "test-output"
    output.mkdir(exist_ok=True)
    (output / f"concurrency-{figures['database']}.json").write_text(json.dumps(figures, indent=2))
    with capsys.disabled():
        print(f"\nconcurrency figures: {json.dumps(figures)}")

    log = live_site.log()
    assert results["failures"] == [], log[-3000:]
    assert figures["errors"] == 0, figures
    assert not [status for status in statuses if status not in (200, 302, 409)], figures
    assert len(results["created"]) == CLIENTS * ROUNDS
    assert shared_updates == CLIENTS * ROUNDS

    shown = manage("shell", "-c", SHOW_MITIGATIONS, env=live_site.env)
    assert shown.returncode == 0, shown.stderr
    database = json.loads(shown.stdout.strip().splitlines()[-1])
    rows, history = database["mitigations"], database["history"]
    # Every acknowledged create and edit is there, with the text of its last acknowledged save.
    own = {row["action"] for pk, row in rows.items() if int(pk) not in live_site.ids["shared"]}
    assert own == set(results["created"].values())
    # Every acknowledged save of a shared mitigation is in its history, and its version counts exactly
    # those saves: no acknowledged update was overwritten unseen.
    for target, notes in results["shared_notes"].items():
        row = rows[str(target)]
        assert row["version"] == 1 + len(notes)
        assert history[str(target)] == sorted(["", *notes])
        assert row["notes"] in notes
    assert "Traceback" not in log


def test_the_site_still_answers_after_the_load(live_site):
    status, _, body = get(f"{live_site.url}/healthz")

    assert status == 200
    assert body == b'{"status": "ok"}'
