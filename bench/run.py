#!/usr/bin/env python3
"""PeerPlan's benchmark: the main pages against Django's own floor, on one server, in one run.

    make bench                                   # 1,000 organisations x 10 checklists x 1 action per item
    make bench BENCH_ARGS=--quick                # 20 organisations, shorter runs: a smoke test of the harness
    .venv/bin/python bench/run.py --help

What it does, all on 127.0.0.1 and bounded in time (see bench/README.md):
 1. seeds a database of the stated size with `manage.py seed_demo` (a separate SQLite file under
    bench/results/, reused when it already holds that size; or DATABASE_URL when it is set);
 2. runs collectstatic and starts gunicorn with production settings (DEBUG=false, a random SECRET_KEY,
    ALLOWED_HOSTS=127.0.0.1, no TLS redirect) and the benchmark's settings module, bench/settings.py,
    whose URL map adds /bench/floor to PeerPlan's;
 3. signs in owner@demo.peerplan.test through the login form and keeps the session cookie;
 4. drives each page with wrk (installed with apt-get when missing; a small Python client otherwise):
    the floor first, then the public evidence pages, then the signed-in pages. A page that answers 404
    is reported as missing, not measured;
 5. reads each signed-in page right after a write (an in-place status change), so every read is a cache
    miss, and reports the server CPU of those reads;
 6. writes with --connections writers at once, each on its own action of the demo organisation: an
    in-place status change, a new action, an edit through the action's form; then deletes the actions it
    created and puts the edited ones back as they were;
 7. prints a table (requests/s, p50, p99, ratio to its floor's throughput: the plain floor for public
    pages, the signed-in floor for signed-in ones, target, pass/fail), writes bench/results/latest.json and
    reports the resident memory of each gunicorn worker. `--readme` turns latest.json into README's tables.
Every process it starts is stopped when it ends, fails or is interrupted.
"""

import argparse
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
DEMO_USER = "owner@demo.peerplan.test"
DEMO_PASSWORD = "peerplan-demo-local-only"  # peerplan/operations/demo.py DEMO_PASSWORD; local demo data only

# Issue 15's targets: public pages against the plain floor, signed-in read pages against the signed-in floor
# (when nothing changed since the last view), and the signed-in pages' server CPU right after a write.
PUBLIC_TARGET = 0.8
SIGNED_IN_TARGET = 0.5
P99_TARGET_MS = {"public": 100.0, "signed-in": 50.0, "export": 100.0, "floor": None, "signed-in floor": None}
MISS_CPU_TARGET_MS = {"dashboard": 15.0, "checklist": 15.0, "action list": 15.0}
MISS_CPU_TARGET_OTHERS_MS = 10.0
# Issue 29's target: a signed-in page read right after a write costs at most this many signed-in floors.
MISS_FLOOR_TARGET = 4.0
# The large organisation's whole export: peak resident memory of the process that builds it and of the workers.
EXPORT_PEAK_RSS_TARGET_MB = 150.0

# (name, URL template, kind). Templates are filled from the demo organisation (see resolve_targets).
# Pages not built yet answer 404 and are reported as "missing"; they are measured once they exist.
PAGES = [
    ("floor", "/bench/floor", "floor"),
    ("signed-in floor", "/bench/signed-in-floor/{slug}/", "signed-in floor"),
    ("evidence index", "/evidence/", "public"),
    ("theme page", "/evidence/themes/{theme}/", "public"),
    ("start page", "/app/", "signed-in"),
    ("organisation", "/app/orgs/{slug}/", "signed-in"),
    ("dashboard", "/app/orgs/{slug}/dashboard/", "signed-in"),
    ("coverage", "/app/orgs/{slug}/coverage/", "signed-in"),
    ("checklist", "/app/checklists/{checklist}/", "signed-in"),
    ("my actions", "/app/my-actions/", "signed-in"),
    ("action list", "/app/orgs/{slug}/actions/", "signed-in"),
    ("item", "/app/items/{item}/", "signed-in"),
    ("export csv", "/app/checklists/{checklist}/export.csv", "export"),
]
# The large organisation's pages (bench/large_organisation.py), read by one of its owners: rows of their own.
LARGE_PAGES = [
    ("organisation (large)", "/app/orgs/{large[slug]}/", "signed-in"),
    ("dashboard (large)", "/app/orgs/{large[slug]}/dashboard/", "signed-in"),
    ("coverage (large)", "/app/orgs/{large[slug]}/coverage/", "signed-in"),
    ("checklist (large)", "/app/checklists/{large[checklist]}/", "signed-in"),
    ("my actions (large)", "/app/my-actions/", "signed-in"),
    ("action list (large)", "/app/orgs/{large[slug]}/actions/", "signed-in"),
    ("item (large)", "/app/items/{large[item]}/", "signed-in"),
    ("export csv (large)", "/app/checklists/{large[checklist]}/export.csv", "export"),
]
AGAIN = [
    ("floor (again)", "/bench/floor", "floor"),
    ("signed-in floor (again)", "/bench/signed-in-floor/{slug}/", "signed-in floor"),
]
TARGETS = {
    "floor": None,
    "signed-in floor": None,
    "public": PUBLIC_TARGET,
    "signed-in": SIGNED_IN_TARGET,
    "export": None,
}
# Which floor each kind of page is compared with.
FLOOR_OF = {"floor": "floor", "public": "floor", "signed-in floor": "signed-in floor"}
FLOOR_OF.update({"signed-in": "signed-in floor", "export": "signed-in floor"})
SIGNED_IN_KINDS = {"signed-in", "signed-in floor", "export"}

# Which demo objects the templates point at: the demo organisation's first active checklist, its first
# applicable challenge with actions, and the theme with the most published perspectives (the heaviest).
RESOLVE = """
import json, os
from django.db.models import Count
from evidence.models import Theme
from peerplan.models import Checklist, Item, Mitigation
demo = Checklist.objects.filter(organisation__slug="riverside-demo", status="active")
checklist = demo.order_by("pk").first()
item = checklist.items.filter(applies=True, mitigations__isnull=False).order_by("pk").first()
theme = Theme.objects.annotate(n=Count("findings__perspectives")).order_by("-n", "pk").first()
action = checklist.mitigations.order_by("pk").first()
# The writes' actions: one per concurrent writer, each addressing an item of its own (where it creates
# actions), from the demo organisation's active checklists first, never the miss run's action. What each
# holds now is kept, so that the cleanup puts it back exactly.
writers, items, wanted = [], set(), int(os.environ["BENCH_WRITERS"])
checklists = Checklist.objects.filter(organisation__slug="riverside-demo").exclude(status="archived")
for candidate in sorted(checklists, key=lambda c: (c.status != "active", c.pk)):
    if len(writers) == wanted:
        break
    for m in candidate.mitigations.exclude(pk=action.pk).order_by("pk").prefetch_related("items"):
        own = next((i for i in m.items.all() if i.pk not in items), None)  # not `item`: the item page's
        if own is None or len(writers) == wanted:
            continue
        items.add(own.pk)
        writers.append({"action": m.pk, "item": own.pk, "saved": {
            "pk": m.pk, "action": m.action, "details": m.details, "items": [i.pk for i in m.items.all()],
            "owner_id": m.owner_id, "owner_name": m.owner_name,
            "due_date": m.due_date and m.due_date.isoformat(), "status": m.status, "phase_id": m.phase_id,
            "notes": m.notes, "co_produced": m.co_produced, "lived_experience_led": m.lived_experience_led,
            "version": m.version, "updated_at": m.updated_at.isoformat(),
        }})
print("RESOLVED " + json.dumps({
    "slug": "riverside-demo", "checklist": checklist.pk, "item": item.pk, "theme": theme.slug,
    "action": action.pk, "action_version": action.version,
    "action_owner": action.owner_id or "", "action_due": action.due_date and action.due_date.isoformat() or "",
    "checklist_items": checklist.items.count(), "checklist_actions": checklist.mitigations.count(),
    "my_actions": Mitigation.objects.filter(owner__username=os.environ["BENCH_USER"]).count(),
    "writers": writers,
}))
"""

# The large organisation, built the first time (a few seconds), and what its pages point at: its first
# checklist, an item of it with actions, and the action the miss run changes. One of its owners is given the
# demo password so the benchmark can sign in as them (local benchmark data only, like the demo accounts).
LARGE = """
import json, os
from bench.large_organisation import build_large_organisation
from peerplan.models import Membership, Mitigation, Organisation, Role
size = json.loads(os.environ.get("BENCH_LARGE_SIZE") or "null")
organisation = Organisation.objects.filter(slug="large-trust").first() or build_large_organisation(size=size)
owner = Membership.objects.filter(organisation=organisation, role=Role.OWNER).order_by("pk").first().user
if not owner.check_password(os.environ["BENCH_PASSWORD"]):
    owner.set_password(os.environ["BENCH_PASSWORD"])
    owner.save(update_fields=["password"])
checklist = organisation.checklists.filter(status="active").order_by("pk").first()
item = checklist.items.filter(applies=True, mitigations__isnull=False).order_by("pk").first()
action = checklist.mitigations.order_by("pk").first()
print("LARGE " + json.dumps({
    "slug": organisation.slug, "user": owner.email, "checklist": checklist.pk, "item": item.pk,
    "action": action.pk, "action_version": action.version, "action_owner": action.owner_id or "",
    "action_due": action.due_date and action.due_date.isoformat() or "",
    "checklists": organisation.checklists.count(),
    "actions": Mitigation.objects.filter(checklist__organisation=organisation).count(),
    "members": organisation.memberships.count(),
}))
"""

# After the writes (and before them, for what an interrupted run left): the actions the writes created are
# deleted with their history, so the reused database does not grow from run to run; each writer's action
# gets back exactly what it held (fields, version, updated_at) and loses the history rows its writes added
# since the phase began (the edit form reads the action's whole history on every save, so history left
# behind would make later runs' edits slower). QuerySet.update() sends no signal: the organisation's cached
# pages are dropped by hand.
# The large organisation's whole archive (issue 29: an export of its 5,000 actions in constant memory), built by
# the scheduled command as cron runs it, in a process of its own; its peak resident memory is read from /proc
# when it is done. EXPORTS_GONE removes the large organisation's archives, files and rows, before and after,
# so the reused database does not grow from run to run.
EXPORT_BUILD = """
import json, time
from django.core.management import call_command
started = time.monotonic()
call_command("build_organisation_exports", verbosity=0)
seconds = time.monotonic() - started
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
print("BUILT " + json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(int(status["VmHWM"].split()[0]) / 1024, 1)}))
"""
EXPORTS_GONE = """
from peerplan.models import OrganisationExport
for export in OrganisationExport.objects.filter(organisation__slug="large-trust"):
    if export.file:
        export.file.delete(save=False)
    export.delete()
"""

CLEANUP = """
import json, os
from django.utils.dateparse import parse_date, parse_datetime
from peerplan.models import organisation_generations
from peerplan.models import Mitigation, Organisation
job = json.loads(os.environ["BENCH_CLEANUP"])
organisation = Organisation.objects.get(slug=job["slug"])
made = Mitigation.objects.filter(checklist__organisation=organisation, action__startswith=job["mark"])
created = made.delete()[1].get("peerplan.Mitigation", 0)
history = Mitigation.history.filter(organisation=organisation, action__startswith=job["mark"]).delete()[0]
for saved in job["restore"]:
    saved = {**saved, "due_date": saved["due_date"] and parse_date(saved["due_date"])}
    saved["updated_at"] = parse_datetime(saved["updated_at"])
    pk = saved.pop("pk")
    saved.pop("items", None)  # what the form sends back; the writes never change them
    Mitigation.objects.filter(pk=pk).update(**saved)
    since = parse_datetime(job["since"])
    history += Mitigation.history.filter(organisation=organisation, id=pk, history_date__gte=since).delete()[0]
organisation_generations.organisation_changed(organisation)
print("CLEANED " + json.dumps({"created": created, "history": history, "restored": len(job["restore"])}))
"""


class BenchError(Exception):
    pass


def log(message):
    print(message, flush=True)


# --- processes --------------------------------------------------------------------------------------

_children = []


def stop_children():
    """Stop every process group this script started: SIGTERM, then SIGKILL after a grace period."""
    while _children:
        process = _children.pop()
        if process.poll() is not None:
            continue
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def manage(env, *args, timeout):
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    try:
        result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"manage.py {' '.join(args)} took longer than {timeout} s") from error
    if result.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def port_is_free(port):
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) != 0


def start_gunicorn(env, port, workers, log_path):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        raise BenchError(f"gunicorn not found beside {sys.executable}: run `make install` first")
    if not port_is_free(port):
        raise BenchError(f"port {port} on {HOST} is in use; choose another with --port")
    command = [
        str(gunicorn), "peerplan.wsgi:application", "--bind", f"{HOST}:{port}", "--workers", str(workers),
        "--worker-class", "sync", "--timeout", "30",
        "--error-logfile", str(log_path), "--log-level", "warning",
    ]  # fmt: skip
    # A new session: the whole group (master and workers) is stopped together.
    # Django's own log lines ("Not Found: ...") go to the same file, not into the table.
    with open(log_path, "w") as server_log:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, start_new_session=True, stdout=server_log, stderr=subprocess.STDOUT
        )
    _children.append(process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn stopped at start; see {log_path}")
        try:
            status, _, _ = request(port, "/healthz")
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer /healthz within 30 s; see {log_path}")


def cpu_times():
    """The machine's CPU counters (user, nice, system, idle, iowait, irq, softirq, steal) from /proc/stat."""
    try:
        return [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    except (OSError, ValueError):
        return None


TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(master_pid, pids=None):
    """CPU seconds used so far by gunicorn's master and workers (user and system time from /proc); `pids`
    saves looking the workers up again."""
    seconds = 0.0
    for pid in pids or [master_pid, *(worker["pid"] for worker in worker_memory(master_pid))]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, ValueError, IndexError):
            pass
    return seconds


def server_cpu_seconds_exact(pids):
    """CPU seconds used so far by these processes, to the nanosecond: the time each spent running, from
    /proc/<pid>/schedstat. /proc/<pid>/stat counts whole clock ticks (10 ms), so one read of a few
    milliseconds shows as 0 or 10 ms, and a hundred of them averaged were still half a millisecond either way.
    Without schedstat (a kernel without it): server_cpu_seconds."""
    seconds = 0.0
    for pid in pids:
        try:
            seconds += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return server_cpu_seconds(None, pids)
    return seconds


def own_cpu_seconds(master_pid):
    """CPU seconds used so far by the server and by this script's clients (wrk, reaped children; or the
    Python client's threads in this process)."""
    seconds = server_cpu_seconds(master_pid)
    for who in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF):
        usage = resource.getrusage(who)
        seconds += usage.ru_utime + usage.ru_stime
    return seconds


def cpu_sample(master_pid):
    return cpu_times(), own_cpu_seconds(master_pid)


def cpu_share(before, after):
    """Percentages of all cores between two samples: busy, used by anything but this benchmark ("other":
    other people's processes on a shared machine; a database server on the same machine counts here too),
    and stolen by the hypervisor for other machines. High "other" or "steal" means a noisy measurement."""
    (times_before, own_before), (times_after, own_after) = before, after
    if not times_before or not times_after:
        return {}
    delta = [b - a for a, b in zip(times_before, times_after, strict=True)]
    total = sum(delta) or 1
    busy = total - delta[3] - delta[4]
    own = (own_after - own_before) * TICKS
    return {
        "busy_pct": round(100 * busy / total, 1),
        "other_pct": round(max(0.0, 100 * (busy - own) / total), 1),
        "steal_pct": round(100 * delta[7] / total, 1),
    }


def worker_memory(master_pid):
    """Resident memory (VmRSS) and its peak (VmHWM) of each gunicorn worker, from /proc."""
    workers = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != master_pid:
                continue
            status = (entry / "status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if "VmRSS" not in fields:  # a worker that is exiting has no memory left to report
            continue
        workers.append(
            {
                "pid": int(entry.name),
                "rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
                "peak_rss_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
            }
        )
    return sorted(workers, key=lambda worker: worker["pid"])


# --- HTTP -------------------------------------------------------------------------------------------


def request(port, path, method="GET", body=None, headers=None, timeout=10):
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def cookies_from(headers):
    cookies = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            cookies[key.strip()] = rest.split(";", 1)[0]
    return cookies


def sign_in(port, username, password):
    """A session cookie through the login form, as a person gets one (axes sees one successful login)."""
    status, headers, body = request(port, "/accounts/login/")
    if status != 200:
        raise BenchError(f"GET /accounts/login/ answered {status}")
    csrf_cookie = cookies_from(headers).get("csrftoken")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not csrf_cookie or not match:
        raise BenchError("the login page has no CSRF token")
    form = urllib.parse.urlencode(
        {"login": username, "password": password, "csrfmiddlewaretoken": match.group(1).decode()}
    )
    status, headers, _ = request(
        port,
        "/accounts/login/",
        method="POST",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}"},
    )
    cookies = cookies_from(headers)
    session = cookies.get("sessionid")
    if status != 302 or not session or not cookies.get("csrftoken"):
        raise BenchError(f"signing in as {username} failed (status {status}); is the demo data seeded?")
    # The CSRF cookie too (signing in replaces it): the miss run's writes need it.
    return f"sessionid={session}; csrftoken={cookies['csrftoken']}"


# --- load generators -------------------------------------------------------------------------------


def ensure_wrk():
    """wrk from Debian's packages; install it when missing and allowed, else None (Python client)."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if shutil.which("apt-get") and os.geteuid() == 0:
        log("wrk is missing: installing it with apt-get (Debian package 'wrk') ...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=120", "wrk"]
        for attempt in (install, ["apt-get", "update", "-q"], install):
            try:
                subprocess.run(attempt, env=env, capture_output=True, timeout=300)
            except subprocess.TimeoutExpired:
                break
            if shutil.which("wrk"):
                return shutil.which("wrk")
    log(
        "wrk is not available: falling back to the Python client "
        "(slower; it competes with the server for CPU, so ratios to the floor are less telling)"
    )
    return None


def _milliseconds(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise BenchError(f"cannot read wrk latency {text!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(wrk, url, cookie, args, duration):
    command = [
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run(command + [url], capture_output=True, text=True, timeout=duration + 60)
    out = result.stdout
    if result.returncode != 0 or "Requests/sec" not in out:
        raise BenchError(f"wrk failed on {url}:\n{out}\n{result.stderr}")
    percentiles = {m[0]: _milliseconds(m[1]) for m in re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M)}
    if set(percentiles) != {"50", "99"}:
        raise BenchError(f"wrk printed no latency distribution for {url}:\n{out}\n{result.stderr}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": percentiles["50"],
        "p99_ms": percentiles["99"],
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


def run_threads(work, arguments, join_within):
    """`work(*args)` in a thread of its own for each `args` of `arguments`, all at once; the seconds until
    the last one ended (each is waited for at most `join_within` seconds)."""
    started = time.monotonic()
    threads = [threading.Thread(target=work, args=args) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_within)
    return time.monotonic() - started


def percentile(ordered, p):
    """The p-th percentile of sorted latencies (ms, to 0.01), 0 when there are none."""
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))], 2) if ordered else 0.0


def run_python_client(port, path, cookie, args, duration):
    """N threads, each one request at a time until the deadline (sync gunicorn closes each connection)."""
    latencies, errors, lock = [], [0], threading.Lock()
    headers = {"Cookie": cookie} if cookie else {}
    deadline = time.monotonic() + duration

    def worker():
        mine, bad = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, _, _ = request(port, path, headers=headers, timeout=5)
            except OSError:
                status = 0
            mine.append((time.perf_counter() - started) * 1000)
            bad += status != 200
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    elapsed = run_threads(worker, [()] * args.connections, join_within=duration + 30)
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "non_2xx": errors[0],
        "errors": errors[0],
    }


# --- the run ---------------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=1000, help="organisations to seed (default 1000)")
    parser.add_argument("--checklists-per-org", type=int, default=10, help="default 10")
    parser.add_argument("--actions-per-item", type=int, default=1, help="default 1")
    parser.add_argument("--quick", action="store_true", help="20 organisations, 3 s per page: checks the harness")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per page (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load per page first")
    parser.add_argument("--port", type=int, default=8110, help="port on 127.0.0.1 (default 8110)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--db", type=Path, help="SQLite file (default bench/results/bench-<size>.sqlite3)")
    parser.add_argument("--fresh", action="store_true", help="delete the SQLite file first and seed again")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--check", action="store_true", help="exit 1 when a measured page or a write misses its target")
    parser.add_argument(
        "--miss-requests", type=int, default=100, help="reads after a write per signed-in page (default 100)"
    )
    parser.add_argument(
        "--readme",
        action="store_true",
        help="print the README's results table from --json (bench/results/latest.json), put it in README.md "
        "between its bench-results markers, and run nothing",
    )
    parser.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="with --readme: another run's latest.json (PostgreSQL with Redis, say) whose tables follow",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.orgs, args.duration, args.warmup, args.miss_requests = 20, 3, 1, 20
    for name in ("orgs", "checklists_per_org", "workers", "connections", "threads", "duration", "miss_requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def server_environment(args):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        # PeerPlan's production settings plus the floor's URL (bench/settings.py); manage.py uses it too.
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    if os.environ.get("DATABASE_URL"):
        scheme = urllib.parse.urlsplit(os.environ["DATABASE_URL"]).scheme
        database = {
            "engine": "postgresql" if scheme in {"postgres", "postgresql", "pgsql"} else scheme,
            "where": re.sub(r"//[^@/]*@", "//***@", os.environ["DATABASE_URL"]),
        }
    else:
        size = f"{args.orgs}x{args.checklists_per_org}x{args.actions_per_item}"
        path = (args.db or RESULTS / f"bench-{size}.sqlite3").resolve()
        if args.fresh:
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
        env["SQLITE_PATH"] = str(path)
        database = {"engine": "sqlite", "where": str(path)}
    return env, database


def cache_backend():
    """The cache the server uses: PeerPlan's database cache, or Redis when CACHE_URL is set (passed through to
    manage.py and gunicorn with the rest of the environment). The URL without its password."""
    url = os.environ.get("CACHE_URL", "").strip()
    if not url:
        return {"backend": "database"}
    return {"backend": "redis", "where": re.sub(r"//[^@/]*@", "//***@", url)}


def seed(env, args):
    log("Migrating and seeding (seed_demo skips organisations that already exist) ...")
    manage(env, "migrate", "--noinput", "-v0", timeout=600)
    manage(env, "createcachetable", timeout=120)
    started = time.monotonic()
    out = manage(
        env,
        "seed_demo",
        f"--orgs={args.orgs}",
        f"--checklists-per-org={args.checklists_per_org}",
        f"--actions-per-item={args.actions_per_item}",
        timeout=3600,
    )
    large = manage({**env, "BENCH_PASSWORD": DEMO_PASSWORD}, "shell", "-c", LARGE, timeout=600)
    line = next((line for line in large.splitlines() if line.startswith("LARGE ")), None)
    if not line:
        raise BenchError(f"could not build or find the large organisation:\n{large}")
    # Fresh planner statistics whether or not this run inserted anything (see analyze_database).
    manage(env, "analyze_database", timeout=600)
    seconds = round(time.monotonic() - started, 1)
    match = re.search(r"Demo data now: (.*)\.", out)
    counts = {}
    for part in match.group(1).split(", ") if match else []:
        number, name = part.split(" ", 1)
        counts[name] = int(number)
    log(f"  {match.group(1) if match else out.strip()} ({seconds} s)")
    if counts.get("organisations", 0) < args.orgs:
        raise BenchError(f"the database holds {counts} but {args.orgs} organisations were asked for")
    return counts, seconds, json.loads(line.removeprefix("LARGE "))


def resolve_targets(env, writers):
    environment = {**env, "BENCH_USER": DEMO_USER, "BENCH_WRITERS": str(writers)}
    out = manage(environment, "shell", "-c", RESOLVE, timeout=120)
    line = next((line for line in out.splitlines() if line.startswith("RESOLVED ")), None)
    if not line:
        raise BenchError(f"could not find the demo checklist and item:\n{out}")
    return json.loads(line.removeprefix("RESOLVED "))


def machine():
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    memory_kb = 0
    try:
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except OSError:
        return ""


def measure(args, port, cookies, targets, wrk, master_pid, backends):
    """Each page in turn; the floor first and again last. On a shared machine throughput drifts between
    minutes, so each ratio is to the mean of the two floor runs, and the drift between them is reported.
    `cookies`: the session of the demo owner ("benchmark") and of the large organisation's owner ("large")."""
    results = []
    pages = [(*page, "benchmark") for page in PAGES] + [(*page, "large") for page in LARGE_PAGES]
    for name, template, kind, size in [*pages, *((*page, "benchmark") for page in AGAIN)]:
        path = template.format(**targets)
        cookie = cookies[size]
        page = {
            "page": name,
            "path": path,
            "size": size,
            "kind": kind,
            "floor": FLOOR_OF[kind],
            "target_ratio": TARGETS[kind],
            "p99_target_ms": P99_TARGET_MS[kind],
            **backends,
        }
        page_cookie = cookie if kind in SIGNED_IN_KINDS else None
        status, headers, _ = request(port, path, headers={"Cookie": page_cookie} if page_cookie else {})
        if status == 404:
            page["status"] = "missing"
            results.append(page)
            log(f"  {name:<15} {path}: 404, not built yet: missing")
            if kind in ("floor", "signed-in floor"):
                raise BenchError(
                    "the floor view answered 404: is DJANGO_SETTINGS_MODULE=bench.settings reaching the server?"
                )
            continue
        if status != 200:
            location = dict((k.lower(), v) for k, v in headers).get("location", "")
            page["status"] = f"error {status}" + (f" to {location}" if location else "")
            results.append(page)
            log(f"  {name:<15} {path}: answered {status} {location}: not measured")
            continue
        log(f"  {name:<15} {path} ...")
        if wrk:
            url = f"http://{HOST}:{port}{path}"
            if args.warmup:
                run_wrk(wrk, url, page_cookie, args, args.warmup)
            before, server_before = cpu_sample(master_pid), server_cpu_seconds(master_pid)
            figures = run_wrk(wrk, url, page_cookie, args, args.duration)
        else:
            if args.warmup:
                run_python_client(port, path, page_cookie, args, args.warmup)
            before, server_before = cpu_sample(master_pid), server_cpu_seconds(master_pid)
            figures = run_python_client(port, path, page_cookie, args, args.duration)
        page.update(figures)
        page["non_2xx"] = figures["non_2xx"]
        page["cpu"] = cpu_share(before, cpu_sample(master_pid))
        # Server CPU per request barely depends on what else the machine runs, unlike requests/s.
        page["cpu_ms_per_request"] = round(
            1000 * (server_cpu_seconds(master_pid) - server_before) / max(1, figures["requests"]), 2
        )
        page["status"] = "measured"
        results.append(page)
    floors = {}
    for kind in ("floor", "signed-in floor"):
        measured = [page for page in results if page["kind"] == kind and page["status"] == "measured"]
        runs = [page["rps"] for page in measured]
        floors[kind] = {"rps_mean": round(sum(runs) / len(runs), 1), "drift": round(max(runs) / min(runs), 2)}
        floors[kind]["cpu_ms_mean"] = round(sum(page["cpu_ms_per_request"] for page in measured) / len(measured), 3)
    for page in results:
        if page["status"] != "measured":
            continue
        page["ratio"] = round(page["rps"] / floors[page["floor"]]["rps_mean"], 3)
        page["pass"] = page["errors"] == 0
        if page["p99_target_ms"]:
            page["pass"] = page["pass"] and page["p99_ms"] < page["p99_target_ms"]
        if page["target_ratio"]:
            page["pass"] = page["pass"] and page["ratio"] >= page["target_ratio"]
    return results, {
        "floor_rps_mean": floors["floor"]["rps_mean"],
        "floor_drift": floors["floor"]["drift"],
        "signed_in_floor_rps_mean": floors["signed-in floor"]["rps_mean"],
        "signed_in_floor_drift": floors["signed-in floor"]["drift"],
        "floor_cpu_ms": floors["floor"]["cpu_ms_mean"],
        "signed_in_floor_cpu_ms": floors["signed-in floor"]["cpu_ms_mean"],
    }


def csrf_token(port, cookie, path):
    """A CSRF token for the signed-in person's forms, from a page's form (masked from their CSRF cookie)."""
    status, _, body = request(port, path, headers={"Cookie": cookie})
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not match:
        raise BenchError(f"no CSRF token in {path} (status {status})")
    return match.group(1).decode()


def miss_run(args, port, cookies, targets, results, master_pid, signed_in_floor_cpu_ms):
    """Each signed-in page read right after a write, so every read is a cache miss: before each read, an
    in-place status change of an action of the same organisation (as the dashboard's and lists' controls
    send it), by the same person. One request at a time; the server's CPU is read from /proc before and after
    each request (to the nanosecond: server_cpu_seconds_exact), so the read's CPU is counted apart from the
    write's. Each read's CPU is also given as a multiple of the signed-in floor's (issue 29's target: at most
    MISS_FLOOR_TARGET)."""
    pids = [master_pid, *(worker["pid"] for worker in worker_memory(master_pid))]
    statuses = ["in_progress", "planned"]
    writes = {"benchmark": targets, "large": targets["large"]}
    tokens = {
        size: csrf_token(port, cookies[size], f"/app/checklists/{write['checklist']}/")
        for size, write in writes.items()
    }
    versions = {size: write["action_version"] for size, write in writes.items()}
    for page in results:
        if page["kind"] != "signed-in" or page["status"] != "measured":
            continue
        size, cookie = page.get("size", "benchmark"), cookies[page.get("size", "benchmark")]
        write = writes[size]
        read_cpu = write_cpu = 0.0
        latencies, bad = [], 0
        for n in range(args.miss_requests):
            # The whole in-place form, as a person's browser sends it: only the status changes.
            form = urllib.parse.urlencode(
                {
                    "status": statuses[n % 2],
                    "owner": write["action_owner"],
                    "due_date": write["action_due"],
                    "version": versions[size],
                    "csrfmiddlewaretoken": tokens[size],
                    "list_key": "",
                }
            )
            before = server_cpu_seconds_exact(pids)
            status, _, body = request(
                port,
                f"/app/mitigations/{write['action']}/quick/",
                method="POST",
                body=form,
                headers={
                    "Cookie": cookie,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "HX-Request": "true",
                },
            )
            written = server_cpu_seconds_exact(pids)
            found = re.search(rb'name="version" value="(\d+)"', body)
            if status != 200 or not found:
                raise BenchError(f"the in-place status change answered {status}: the miss run needs it")
            versions[size] = int(found.group(1))
            started = time.perf_counter()
            status, _, _ = request(port, page["path"], headers={"Cookie": cookie})
            latencies.append((time.perf_counter() - started) * 1000)
            read = server_cpu_seconds_exact(pids)
            bad += status != 200
            write_cpu += written - before
            read_cpu += read - written
        latencies.sort()
        page["miss"] = miss_figures(
            page["page"], read_cpu, write_cpu, args.miss_requests, latencies, bad, signed_in_floor_cpu_ms
        )
        miss = page["miss"]
        log(
            f"  {page['page']:<20} after a write: {miss['cpu_ms_per_request']} ms of server CPU per read, "
            f"{miss['ratio_to_signed_in_floor']} signed-in floors (targets <= {miss['cpu_target_ms']:g} ms, "
            f"<= {MISS_FLOOR_TARGET:g} floors)"
        )


def large_export_run(port, cookie, targets, master_pid, env):
    """The large organisation's archive as its owner gets it: asked for on the export page (a POST, queued:
    it is too large to build while they wait), built by `manage.py build_organisation_exports` in its own
    process (its peak memory), then downloaded through a worker (the workers' peak memory before and after)."""
    slug = targets["large"]["slug"]
    page = f"/app/orgs/{slug}/export/"
    manage(env, "shell", "-c", EXPORTS_GONE, timeout=120)
    try:
        token = csrf_token(port, cookie, page)
        status, headers, _ = request(
            port,
            page,
            method="POST",
            body=urllib.parse.urlencode({"csrfmiddlewaretoken": token}),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Referer": page},
            timeout=60,
        )
        if status != 302:
            raise BenchError(f"asking for the large organisation's export answered {status}, not a redirect")
        out = manage(env, "shell", "-c", EXPORT_BUILD, timeout=1200)
        line = next((line for line in out.splitlines() if line.startswith("BUILT ")), None)
        if not line:
            raise BenchError(f"could not build the large organisation's export:\n{out}")
        built = json.loads(line.removeprefix("BUILT "))
        status, _, body = request(port, page, headers={"Cookie": cookie})
        match = re.search(rb'href="(/app/orgs/[^"]+/exports/\d+/)"', body)
        if status != 200 or not match:
            raise BenchError(f"the export page shows no archive to download (status {status})")
        before = worker_memory(master_pid)
        started = time.monotonic()
        connection = http.client.HTTPConnection(HOST, port, timeout=120)
        try:
            connection.request("GET", match.group(1).decode(), headers={"Cookie": cookie})
            response = connection.getresponse()
            size = 0
            while chunk := response.read(1 << 16):
                size += len(chunk)
            download_status = response.status
        finally:
            connection.close()
        seconds = time.monotonic() - started
        after = worker_memory(master_pid)
    finally:
        manage(env, "shell", "-c", EXPORTS_GONE, timeout=120)
    if download_status != 200 or not size:
        raise BenchError(f"downloading the large organisation's export answered {download_status}")
    result = {
        "actions": targets["large"]["actions"],
        "archive_mb": round(size / 1024 / 1024, 1),
        "build_seconds": built["seconds"],
        "build_peak_rss_mb": built["peak_rss_mb"],
        "download_seconds": round(seconds, 2),
        "worker_peak_rss_mb_before": max((w["peak_rss_mb"] for w in before), default=None),
        "worker_peak_rss_mb_after": max((w["peak_rss_mb"] for w in after), default=None),
        "target_peak_rss_mb": EXPORT_PEAK_RSS_TARGET_MB,
    }
    result["pass"] = (
        max(result["build_peak_rss_mb"], result["worker_peak_rss_mb_after"] or 0) <= EXPORT_PEAK_RSS_TARGET_MB
    )
    log(
        f"  {result['actions']} actions: archive {result['archive_mb']} MB built in {result['build_seconds']} s "
        f"(peak {result['build_peak_rss_mb']} MB), downloaded in {result['download_seconds']} s (workers' peak "
        f"{result['worker_peak_rss_mb_before']} MB before, {result['worker_peak_rss_mb_after']} MB after); "
        f"target peak <= {EXPORT_PEAK_RSS_TARGET_MB:g} MB: {'pass' if result['pass'] else 'FAIL'}"
    )
    return result


def miss_figures(name, read_cpu, write_cpu, requests, latencies, bad, signed_in_floor_cpu_ms):
    """The miss run's figures of one page from its totals (seconds of CPU over `requests` reads)."""
    target = MISS_CPU_TARGET_MS.get(name.removesuffix(" (large)"), MISS_CPU_TARGET_OTHERS_MS)
    cpu_ms = round(1000 * read_cpu / requests, 2)
    ratio = round(cpu_ms / signed_in_floor_cpu_ms, 2) if signed_in_floor_cpu_ms else None
    return {
        "requests": requests,
        "cpu_ms_per_request": cpu_ms,
        "ratio_to_signed_in_floor": ratio,
        "write_cpu_ms_per_request": round(1000 * write_cpu / requests, 2),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "non_2xx": bad,
        "cpu_target_ms": target,
        "ratio_target": MISS_FLOOR_TARGET,
        "pass": cpu_ms <= target and ratio is not None and ratio <= MISS_FLOOR_TARGET and bad == 0,
    }


# --- writes ----------------------------------------------------------------------------------------

# Issue 15's write target: p99 under 100 ms with --connections concurrent writers, each on its own action
# of the demo organisation (so optimistic-lock conflicts are not what is measured: one counts as a failure).
WRITE_P99_TARGET_MS = 100.0
# (operation, URL template, form). Each writer fills the template from its own action and item.
WRITES = [
    ("status change", "/app/mitigations/{action}/quick/", "quick"),
    ("create action", "/app/items/{item}/mitigations/new/", "create"),
    ("edit action", "/app/mitigations/{action}/edit/", "edit"),
]
# The text of every action the writes create: the cleanup deletes what starts with it, and nothing else.
CREATED_MARK = "Benchmark write:"
QUICK_SAVED = re.compile(rb'prop-outcome" role="status">Saved\.</p>')
FORM_VERSION = re.compile(rb'name="version" value="(\d+)"')


def other_status(status):
    """The status a write changes an action to, and the next write back from: every write is a real change."""
    return "planned" if status == "in_progress" else "in_progress"


def write_form(kind, writer, token, serial):
    """The form a person's browser sends for one write, and the status it asks for. Owner and due date go
    as they are saved: the in-place form clears what it is not sent."""
    saved = writer["saved"]
    status = saved["status"] if writer["status"] != saved["status"] else other_status(saved["status"])
    if kind == "quick":
        form = {"status": status, "owner": saved["owner_id"] or "", "due_date": saved["due_date"] or ""}
        form |= {"version": writer["version"], "list_key": ""}
    elif kind == "create":
        form = {"action": f"{CREATED_MARK} {serial} by writer {writer['n']}", "owner": "", "owner_name": ""}
        form |= {"due_date": "", "status": "planned", "phase": "", "notes": "", "version": 1}
        form |= {"challenges": [writer["item"]]}
    else:
        form = {"action": saved["action"], "details": saved["details"], "challenges": saved["items"]}
        form |= {"owner": saved["owner_id"] or "", "owner_name": saved["owner_name"]}
        form |= {"due_date": saved["due_date"] or "", "status": status, "phase": saved["phase_id"] or ""}
        form |= {"notes": saved["notes"], "version": writer["version"]}
        # Checkboxes: a ticked one is sent, an unticked one is not.
        form |= {name: "on" for name in ("co_produced", "lived_experience_led") if saved[name]}
    return {**form, "csrfmiddlewaretoken": token}, status


def write_saved(kind, writer, status, headers, body):
    """Whether the answer says the write was saved. The in-place change answers 200 either way (the block
    says "Saved.", "Nothing to change" or that someone else changed it): only "Saved." counts. The forms
    redirect on success (a new action to its item) and answer 400 or 409 with the form otherwise; a
    redirect to sign-in is not a success."""
    if kind == "quick":
        return status == 200 and bool(QUICK_SAVED.search(body))
    location = urllib.parse.urlsplit(dict((k.lower(), v) for k, v in headers).get("location", "")).path
    if kind == "create":
        return status == 302 and location == f"/app/items/{writer['item']}/"
    return status == 302 and bool(location) and not location.startswith("/accounts/")


def write_once(port, kind, template, writer, token, cookie, serial):
    """One write by one writer: (HTTP status, saved?). Keeps the writer's version and status in step: the
    in-place answer carries the new version, a saved edit is one more, and a refused one (409) shows the
    version saved now."""
    form, status = write_form(kind, writer, token, serial)
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    if kind == "quick":
        headers["HX-Request"] = "true"  # as the lists' controls send it
    try:
        answer, answer_headers, body = request(
            port, template.format(**writer), "POST", urllib.parse.urlencode(form, doseq=True), headers, timeout=10
        )
    except OSError:
        return 0, False
    saved = write_saved(kind, writer, answer, answer_headers, body)
    if kind == "create":
        return answer, saved
    if saved:
        writer["status"] = status
    found = FORM_VERSION.search(body)
    if kind == "edit" and saved:
        writer["version"] += 1
    elif found:
        writer["version"] = int(found.group(1))
    return answer, saved


def run_writers(port, kind, template, writers, token, cookie, duration):
    """One thread per writer, each one write at a time on its own action until the deadline."""
    latencies, failures, non_2xx, lock = [], [0], [0], threading.Lock()
    deadline = time.monotonic() + duration

    def worker(writer):
        mine, failed, odd = [], 0, 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, saved = write_once(port, kind, template, writer, token, cookie, len(mine))
            mine.append((time.perf_counter() - started) * 1000)
            failed += not saved
            odd += not 200 <= status < 400
        with lock:
            latencies.extend(mine)
            failures[0] += failed
            non_2xx[0] += odd

    elapsed = run_threads(worker, [(writer,) for writer in writers], join_within=duration + 60)
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "failures": failures[0],
        "non_2xx": non_2xx[0],
    }


def judge_write(write):
    """Pass: p99 under the target and every write saved (a conflict, a refused form or an error fails it)."""
    reasons = []
    if write["p99_ms"] >= write["p99_target_ms"]:
        reasons.append(f"p99>={write['p99_target_ms']:g}ms")
    if write["failures"]:
        reasons.append(f"{write['failures']} not saved")
    if not write["requests"]:
        reasons.append("no writes")
    write["pass"] = not reasons
    write["verdict"] = "pass" if not reasons else "FAIL (" + ", ".join(reasons) + ")"
    return write


def clean_up_writes(env, writers, since):
    """Deletes the actions the writes created and puts each writer's action back (see CLEANUP)."""
    job = {"slug": "riverside-demo", "mark": CREATED_MARK, "since": since}
    job["restore"] = [writer["saved"] for writer in writers] if since else []
    out = manage({**env, "BENCH_CLEANUP": json.dumps(job)}, "shell", "-c", CLEANUP, timeout=300)
    line = next((line for line in out.splitlines() if line.startswith("CLEANED ")), None)
    if not line:
        raise BenchError(f"the writes' cleanup printed nothing:\n{out}")
    return json.loads(line.removeprefix("CLEANED "))


def write_run(args, port, cookie, targets, writers, master_pid, env):
    """The writes, one operation after another, each with --connections writers at once for --warmup and
    then --duration seconds, every writer on its own action and item. Created actions are deleted and the
    writers' actions put back at the end (and before, for what an interrupted run left), so the reused
    database stays the same size and the same data from run to run."""
    if len(writers) < args.connections:
        raise BenchError(f"the demo organisation has actions for {len(writers)} writers, not {args.connections}")
    clean_up_writes(env, [], None)
    token = csrf_token(port, cookie, f"/app/checklists/{targets['checklist']}/")
    writers = [
        {**writer, "n": n, "version": writer["saved"]["version"], "status": writer["saved"]["status"]}
        for n, writer in enumerate(writers[: args.connections], start=1)
    ]
    since = datetime.now(UTC).isoformat()
    results = []
    try:
        for name, template, kind in WRITES:
            log(f"  {name:<15} {template} ...")
            if args.warmup:
                run_writers(port, kind, template, writers, token, cookie, args.warmup)
            before, server_before = cpu_sample(master_pid), server_cpu_seconds(master_pid)
            figures = run_writers(port, kind, template, writers, token, cookie, args.duration)
            write = {"operation": name, "path": template, "writers": len(writers), **figures}
            write["cpu"] = cpu_share(before, cpu_sample(master_pid))
            write["cpu_ms_per_request"] = round(
                1000 * (server_cpu_seconds(master_pid) - server_before) / max(1, figures["requests"]), 2
            )
            write["p99_target_ms"] = WRITE_P99_TARGET_MS
            results.append(judge_write(write))
    finally:
        cleaned = clean_up_writes(env, writers, since)
        log(
            f"  cleanup: {cleaned['created']} created actions deleted, {cleaned['restored']} actions put back, "
            f"{cleaned['history']} history rows of the writes removed"
        )
    return results


def print_writes_table(writes, duration):
    """The writes' own table: they have a latency target and must all be saved; no floor or ratio."""
    if not writes:
        return
    header = (
        f"{'write':<24} {'writers':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'cpu ms':>7} {'failed':>6} {'other':>6}  result"
    )
    log(f"\nWrites: each writer on its own action of the demo organisation, {duration} s per operation")
    log(header)
    log("-" * len(header))
    for write in writes:
        log(
            f"{write['operation']:<24} {write['writers']:>7} {write['requests']:>8} {write['rps']:>8.0f} "
            f"{write['p50_ms']:>8.2f} {write['p99_ms']:>8.2f} {write['cpu_ms_per_request']:>7.2f} "
            f"{write['failures']:>6} {write['cpu'].get('other_pct', 0):>5.1f}%  {write['verdict']}"
        )


def print_table(results):
    columns = (
        f"{'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'target':>7} {'cpu ms':>7} {'miss cpu':>8} "
        f"{'miss ÷ f':>8} {'other':>6}"
    )
    header = f"{'page':<24} {columns}  result"
    log("")
    log(header)
    log("-" * len(header))
    for page in results:
        target = f">={page['target_ratio']}" if page["target_ratio"] else "-"
        if page["status"] != "measured":
            blank = " " * (8 + 1 + 8 + 1 + 8 + 1 + 6)
            log(f"{page['page']:<24} {blank} {target:>7} {'':>7} {'':>8} {'':>8} {'':>6}  {page['status']}")
            continue
        verdict = "pass" if page["pass"] else "FAIL"
        reasons = []
        if page["target_ratio"] and page["ratio"] < page["target_ratio"]:
            reasons.append("throughput")
        if page["p99_target_ms"] and page["p99_ms"] >= page["p99_target_ms"]:
            reasons.append(f"p99>={page['p99_target_ms']:.0f}ms")
        if page["errors"]:
            reasons.append(f"{page['errors']} errors")
        miss = page.get("miss")
        if miss and not miss["pass"]:
            verdict = "FAIL"
            if miss["cpu_ms_per_request"] > miss["cpu_target_ms"]:
                reasons.append(f"miss cpu>{miss['cpu_target_ms']:g}ms")
            if (miss.get("ratio_to_signed_in_floor") or 0) > miss.get("ratio_target", MISS_FLOOR_TARGET):
                reasons.append(f"miss>{MISS_FLOOR_TARGET:g} floors")
        if reasons:
            verdict += " (" + ", ".join(reasons) + ")"
        miss_cpu = f"{miss['cpu_ms_per_request']:>8.2f}" if miss else f"{'':>8}"
        ratio = miss.get("ratio_to_signed_in_floor") if miss else None
        miss_ratio = f"{ratio:>7.1f}x" if ratio is not None else f"{'':>8}"
        log(
            f"{page['page']:<24} {page['rps']:>8.0f} {page['p50_ms']:>8.2f} {page['p99_ms']:>8.2f} "
            f"{page['ratio']:>6.2f} {target:>7} {page['cpu_ms_per_request']:>7.2f} {miss_cpu} {miss_ratio} "
            f"{page['cpu'].get('other_pct', 0):>5.1f}%  {verdict}"
        )


def readme_table(report):
    """The README's results table (Markdown) from one run's latest.json."""
    database = report["database"]["engine"]
    cache = report.get("cache", {}).get("backend", "database")
    lines = [
        f"Run {report['when']} at commit {report['commit']}: {database} database, {cache} cache, "
        f"{report['server']['gunicorn_workers']} gunicorn workers, {report['client']['tool']} with "
        f"{report['client']['connections']} connections, {report['client']['duration_s']} s per page, "
        f"{report['size']['orgs']} organisations; {report['machine']['cores']} cores ({report['machine']['cpu']})."
        + large_organisation_line(report.get("targets", {}).get("large")),
        "",
        "| page | req/s | p50 / p99 ms | ratio (to) | target | cpu ms | after a write: cpu ms (target) | non-2xx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for page in report["pages"]:
        if page["status"] != "measured":
            lines.append(f"| {page['page']} | {page['status']} | | | | | | |")
            continue
        to = "plain floor" if page["floor"] == "floor" else "signed-in floor"
        targets = []
        if page["target_ratio"]:
            targets.append(f"≥ {page['target_ratio']}")
        if page["p99_target_ms"]:
            targets.append(f"p99 < {page['p99_target_ms']:g}")
        miss = page.get("miss")
        after = f"{miss['cpu_ms_per_request']} (≤ {miss['cpu_target_ms']:g})" if miss else ""
        if miss and miss.get("ratio_to_signed_in_floor") is not None:
            after += f", {miss['ratio_to_signed_in_floor']:.1f}× the signed-in floor (≤ {MISS_FLOOR_TARGET:g})"
        lines.append(
            f"| {page['page']} | {page['rps']:.0f} | {page['p50_ms']:.1f} / {page['p99_ms']:.1f} | "
            f"{page['ratio']:.2f} ({to}) | {', '.join(targets)} | {page['cpu_ms_per_request']} | {after} | "
            f"{page['non_2xx']} |"
        )
    lines += readme_writes(report)
    memory = ", ".join(f"{w['rss_mb']} MB" for w in report.get("worker_memory", []))
    lines += ["", f"Workers' resident memory at the end of the run: {memory or 'not measured'}."]
    export = report.get("large_export")
    if export:
        lines += [
            "",
            f"The large organisation's whole export ({export['actions']} actions, a {export['archive_mb']} MB "
            f"archive): built by the scheduled command in {export['build_seconds']} s at a peak of "
            f"{export['build_peak_rss_mb']} MB, downloaded through a worker in {export['download_seconds']} s "
            f"(the workers' peak {export['worker_peak_rss_mb_before']} MB before, "
            f"{export['worker_peak_rss_mb_after']} MB after); target ≤ {export['target_peak_rss_mb']:g} MB: "
            f"{'met' if export['pass'] else 'missed'}.",
        ]
    return "\n".join(lines)


def large_organisation_line(large):
    """What the "(large)" rows measured, when the run had the large organisation."""
    if not large:
        return ""
    return (
        f' The "(large)" rows: one organisation of {large["checklists"]} checklists, {large["actions"]} actions '
        f"and {large['members']} members (bench/large_organisation.py), read by one of its owners."
    )


def readme_tables(reports):
    """The README's tables of several runs (one per database and cache, say), one run after the other."""
    return "\n\n".join(readme_table(report) for report in reports)


def readme_writes(report):
    """The README's second table, the writes (none in a run from before they were measured)."""
    writes = report.get("writes") or []
    if not writes:
        return []
    lines = [
        "",
        f"Writes: {writes[0]['writers']} concurrent writers, each on its own action of the demo organisation, "
        f"{report['client']['duration_s']} s per operation.",
        "",
        "| write | req/s | p50 / p99 ms | cpu ms | target | result |",
        "|---|---|---|---|---|---|",
    ]
    for write in writes:
        lines.append(
            f"| {write['operation']} | {write['rps']:.0f} | {write['p50_ms']:.1f} / {write['p99_ms']:.1f} | "
            f"{write['cpu_ms_per_request']} | p99 < {write['p99_target_ms']:g}, every write saved | "
            f"{write['verdict']} |"
        )
    return lines


def main(argv=None):
    args = parse_args(argv)
    if args.readme:
        table = readme_tables([json.loads(path.read_text()) for path in [args.json, *args.also]])
        print(table)
        readme = ROOT / "README.md"
        text = readme.read_text()
        start, end = "<!-- bench-results:start -->", "<!-- bench-results:end -->"
        if start in text and end in text:
            before, rest = text.split(start, 1)
            readme.write_text(before + start + "\n" + table + "\n" + end + rest.split(end, 1)[1])
            log(f"\n(and in README.md between {start} and {end})")
        return 0
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    RESULTS.mkdir(parents=True, exist_ok=True)
    env, database = server_environment(args)
    # The cache backend: the database's own cache table unless CACHE_URL names another (issue 15's Redis).
    cache = cache_backend()
    backends = {"database": database["engine"], "cache": cache["backend"]}
    wrk = None if args.client == "python" else ensure_wrk()
    if args.client == "wrk" and not wrk:
        raise BenchError("--client wrk, but wrk is not installed and could not be installed")
    try:
        counts, seed_seconds, large = seed(env, args)
        targets = resolve_targets(env, args.connections)
        targets["large"] = large
        writers = targets.pop("writers")  # what each writer's action holds: for the cleanup, not the report
        log("Collecting static files ...")
        manage(env, "collectstatic", "--noinput", "-v0", timeout=300)
        log(f"Cache: {'Redis at ' + cache['where'] if cache['backend'] == 'redis' else 'the database'}")
        log(f"Starting gunicorn on {HOST}:{args.port} with {args.workers} sync workers (DEBUG=false) ...")
        server = start_gunicorn(env, args.port, args.workers, RESULTS / "gunicorn.log")
        cookie = sign_in(args.port, DEMO_USER, DEMO_PASSWORD)
        cookies = {"benchmark": cookie, "large": sign_in(args.port, large["user"], DEMO_PASSWORD)}
        client = f"wrk -t{args.threads} -c{args.connections}" if wrk else f"python client, {args.connections} threads"
        log(f"Measuring each page for {args.duration} s after {args.warmup} s of warm-up ({client}):")
        results, floor = measure(args, args.port, cookies, targets, wrk, server.pid, backends)
        log(f"Reading each signed-in page right after a write, {args.miss_requests} times (cache misses):")
        miss_run(args, args.port, cookies, targets, results, server.pid, floor["signed_in_floor_cpu_ms"])
        log(f"Writing with {args.connections} concurrent writers for {args.duration} s per operation:")
        writes = write_run(args, args.port, cookie, targets, writers, server.pid, env)
        log("Exporting the large organisation (its owner asks, the scheduled command builds, a worker serves):")
        large_export = large_export_run(args.port, cookies["large"], targets, server.pid, env)
        memory = worker_memory(server.pid)
    finally:
        stop_children()
    print_table(results)
    print_writes_table(writes, args.duration)
    log(
        f"\nRatios are to the mean of each floor's two runs: plain {floor['floor_rps_mean']:.0f} req/s (runs differ "
        f"by a factor of {floor['floor_drift']}), signed-in {floor['signed_in_floor_rps_mean']:.0f} req/s "
        f"({floor['signed_in_floor_drift']})"
        + (" (a noisy machine: run again)" if max(floor["floor_drift"], floor["signed_in_floor_drift"]) > 1.25 else "")
    )
    if memory:
        log("")
        log(
            "gunicorn workers' resident memory after the run: "
            + ", ".join(f"{w['rss_mb']} MB (peak {w['peak_rss_mb']} MB)" for w in memory)
        )
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": {**machine(), "loadavg_after": Path("/proc/loadavg").read_text().split()[:3]},
        "database": {**database, "counts": counts, "seed_seconds": seed_seconds},
        "cache": cache,
        "size": {
            "orgs": args.orgs,
            "checklists_per_org": args.checklists_per_org,
            "actions_per_item": args.actions_per_item,
        },
        "targets": targets,
        "server": {"gunicorn_workers": args.workers, "worker_class": "sync", "debug": False},
        "client": {
            "tool": "wrk" if wrk else "python",
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
        },
        "floor": floor,
        "pages": results,
        "writes": writes,
        "worker_memory": memory,
        "large_export": large_export,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    log(f"\nWrote {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")
    missed = [
        page["page"]
        for page in results
        if page["status"] == "measured" and not (page["pass"] and page.get("miss", {}).get("pass", True))
    ]
    missed += [write["operation"] for write in writes if not write["pass"]]
    missed += [] if large_export["pass"] else ["large export"]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("bench: interrupted; server stopped", file=sys.stderr)
        sys.exit(130)
