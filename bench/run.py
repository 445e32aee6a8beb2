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
 5. prints a table (requests/s, p50, p99, ratio to the floor's throughput, target, pass/fail), writes
    bench/results/latest.json and reports the resident memory of each gunicorn worker.
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
DEMO_PASSWORD = "peerplan-demo-local-only"  # peerplan/demo.py DEMO_PASSWORD; local demo data only

PUBLIC_TARGET = 0.6
SIGNED_IN_TARGET = 0.25
P99_TARGET_MS = 100.0

# (name, URL template, kind). Templates are filled from the demo organisation (see resolve_targets).
# Pages not built yet answer 404 and are reported as "missing"; they are measured once they exist.
PAGES = [
    ("floor", "/bench/floor", "floor"),
    ("evidence index", "/evidence/", "public"),
    ("theme page", "/evidence/themes/{theme}/", "public"),
    ("start page", "/app/", "signed-in"),
    ("organisation", "/app/orgs/{slug}/", "signed-in"),
    ("dashboard", "/app/orgs/{slug}/dashboard/", "signed-in"),
    ("checklist", "/app/checklists/{checklist}/", "signed-in"),
    ("my actions", "/app/my-actions/", "signed-in"),
    ("action list", "/app/orgs/{slug}/actions/", "signed-in"),
    ("item", "/app/items/{item}/", "signed-in"),
    ("export csv", "/app/checklists/{checklist}/export.csv", "signed-in"),
]
TARGETS = {"floor": None, "public": PUBLIC_TARGET, "signed-in": SIGNED_IN_TARGET}

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
print("RESOLVED " + json.dumps({
    "slug": "riverside-demo", "checklist": checklist.pk, "item": item.pk, "theme": theme.slug,
    "checklist_items": checklist.items.count(), "checklist_actions": checklist.mitigations.count(),
    "my_actions": Mitigation.objects.filter(owner__username=os.environ["BENCH_USER"]).count(),
}))
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


def server_cpu_seconds(master_pid):
    """CPU seconds used so far by gunicorn's master and workers (user and system time from /proc)."""
    seconds = 0.0
    for pid in [master_pid, *(worker["pid"] for worker in worker_memory(master_pid))]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, ValueError, IndexError):
            pass
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
    session = cookies_from(headers).get("sessionid")
    if status != 302 or not session:
        raise BenchError(f"signing in as {username} failed (status {status}); is the demo data seeded?")
    return f"sessionid={session}"


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
    percentiles = {m[0]: _milliseconds(m[1]) for m in re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M)}
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
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


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

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 30)
    elapsed = time.monotonic() - started
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] if latencies else 0.0

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(50),
        "p99_ms": percentile(99),
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
    parser.add_argument("--check", action="store_true", help="exit 1 when a measured page misses its target")
    args = parser.parse_args(argv)
    if args.quick:
        args.orgs, args.duration, args.warmup = 20, 3, 1
    for name in ("orgs", "checklists_per_org", "workers", "connections", "threads", "duration"):
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
        database = {
            "engine": "DATABASE_URL",
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
    return counts, seconds


def resolve_targets(env):
    out = manage({**env, "BENCH_USER": DEMO_USER}, "shell", "-c", RESOLVE, timeout=120)
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


def measure(args, port, cookie, targets, wrk, master_pid):
    """Each page in turn; the floor first and again last. On a shared machine throughput drifts between
    minutes, so each ratio is to the mean of the two floor runs, and the drift between them is reported."""
    results = []
    for name, template, kind in [*PAGES, ("floor (again)", "/bench/floor", "floor")]:
        path = template.format(**targets)
        page = {
            "page": name,
            "path": path,
            "kind": kind,
            "target_ratio": TARGETS[kind],
            "p99_target_ms": P99_TARGET_MS,
        }
        page_cookie = cookie if kind == "signed-in" else None
        status, headers, _ = request(port, path, headers={"Cookie": page_cookie} if page_cookie else {})
        if status == 404:
            page["status"] = "missing"
            results.append(page)
            log(f"  {name:<15} {path}: 404, not built yet: missing")
            if kind == "floor":
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
        page["cpu"] = cpu_share(before, cpu_sample(master_pid))
        # Server CPU per request barely depends on what else the machine runs, unlike requests/s.
        page["cpu_ms_per_request"] = round(
            1000 * (server_cpu_seconds(master_pid) - server_before) / max(1, figures["requests"]), 2
        )
        page["status"] = "measured"
        results.append(page)
    floors = [page["rps"] for page in results if page["kind"] == "floor" and page["status"] == "measured"]
    floor_rps = sum(floors) / len(floors)
    for page in results:
        if page["status"] != "measured":
            continue
        page["ratio"] = round(page["rps"] / floor_rps, 3)
        page["pass"] = page["p99_ms"] < P99_TARGET_MS and page["errors"] == 0
        if page["target_ratio"]:
            page["pass"] = page["pass"] and page["ratio"] >= page["target_ratio"]
    return results, {
        "floor_rps_mean": round(floor_rps, 1),
        "floor_drift": round(max(floors) / min(floors), 2),
    }


def print_table(results):
    columns = f"{'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'target':>7} {'cpu ms':>7} {'other':>6}"
    header = f"{'page':<15} {columns}  result"
    log("")
    log(header)
    log("-" * len(header))
    for page in results:
        if page["status"] != "measured":
            target = f">={page['target_ratio']}" if page["target_ratio"] else "-"
            blank = " " * (8 + 1 + 8 + 1 + 8 + 1 + 6)
            log(f"{page['page']:<15} {blank} {target:>7} {'':>7} {'':>6}  {page['status']}")
            continue
        target = f">={page['target_ratio']}" if page["target_ratio"] else "-"
        verdict = "pass" if page["pass"] else "FAIL"
        reasons = []
        if page["target_ratio"] and page["ratio"] < page["target_ratio"]:
            reasons.append("throughput")
        if page["p99_ms"] >= P99_TARGET_MS:
            reasons.append(f"p99>={P99_TARGET_MS:.0f}ms")
        if page["errors"]:
            reasons.append(f"{page['errors']} errors")
        if reasons:
            verdict += " (" + ", ".join(reasons) + ")"
        log(
            f"{page['page']:<15} {page['rps']:>8.0f} {page['p50_ms']:>8.2f} {page['p99_ms']:>8.2f} "
            f"{page['ratio']:>6.2f} {target:>7} {page['cpu_ms_per_request']:>7.2f} "
            f"{page['cpu'].get('other_pct', 0):>5.1f}%  {verdict}"
        )


def main(argv=None):
    args = parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    RESULTS.mkdir(parents=True, exist_ok=True)
    env, database = server_environment(args)
    wrk = None if args.client == "python" else ensure_wrk()
    if args.client == "wrk" and not wrk:
        raise BenchError("--client wrk, but wrk is not installed and could not be installed")
    try:
        counts, seed_seconds = seed(env, args)
        targets = resolve_targets(env)
        log("Collecting static files ...")
        manage(env, "collectstatic", "--noinput", "-v0", timeout=300)
        log(f"Starting gunicorn on {HOST}:{args.port} with {args.workers} sync workers (DEBUG=false) ...")
        server = start_gunicorn(env, args.port, args.workers, RESULTS / "gunicorn.log")
        cookie = sign_in(args.port, DEMO_USER, DEMO_PASSWORD)
        client = f"wrk -t{args.threads} -c{args.connections}" if wrk else f"python client, {args.connections} threads"
        log(f"Measuring each page for {args.duration} s after {args.warmup} s of warm-up ({client}):")
        results, floor = measure(args, args.port, cookie, targets, wrk, server.pid)
        memory = worker_memory(server.pid)
    finally:
        stop_children()
    print_table(results)
    log(
        f"\nRatios are to the floor's mean, {floor['floor_rps_mean']:.0f} req/s; "
        f"the two floor runs differ by a factor of {floor['floor_drift']}"
        + (" (a noisy machine: run again)" if floor["floor_drift"] > 1.25 else "")
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
        "worker_memory": memory,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    log(f"\nWrote {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")
    missed = [page["page"] for page in results if page["status"] == "measured" and not page["pass"]]
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
