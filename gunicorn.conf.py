"""gunicorn settings for PeerPlan, read from the environment. gunicorn loads this file by itself
when started from the project directory:

    gunicorn peerplan.wsgi

Environment (all optional):
    BIND               where to listen (default 127.0.0.1:8000; behind a proxy on the same host keep loopback,
                       in a container use 0.0.0.0:8000). Several addresses: comma-separated.
    WEB_CONCURRENCY    number of worker processes (GUNICORN_WORKERS is accepted too). Default 2 x CPUs + 1,
                       at most 8. Sync workers: each serves one request at a time.
    GUNICORN_TIMEOUT   seconds one request may take before its worker is killed and restarted (default 30).
    GUNICORN_GRACEFUL_TIMEOUT  seconds to finish requests in flight on restart/stop (default 30).
    GUNICORN_KEEPALIVE seconds to keep an idle connection from the proxy open (default 5).
    GUNICORN_MAX_REQUESTS  restart a worker after this many requests (default 1000, with jitter), a guard
                       against slow memory growth; 0 turns it off.
    ACCESS_LOG / ERROR_LOG  where to log ("-" = stdout/stderr, the defaults, for systemd or a container);
                       ACCESS_LOG set but empty turns the access log off (e.g. for benchmarks).
    GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket for `gunicornc` (default: off).
    GUNICORN_LOG_LEVEL gunicorn's own log level (default info; Django's is LOG_LEVEL, see settings.py).
    PROMETHEUS_MULTIPROC_DIR  a directory where each worker keeps its /metrics counts, so that a scrape
                       (answered by any one worker) adds up all of them. Default: a new temporary directory
                       for each start of gunicorn, removed when it stops. Emptied at start-up.

Sessions and the cache live in the database, so any worker (on any host) can serve any request.
"""

import gc
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path


def _int(name, default):
    value = os.environ.get(name, "")
    try:
        return int(value) if value.strip() else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None


wsgi_app = "peerplan.wsgi:application"
bind = [address.strip() for address in os.environ.get("BIND", "127.0.0.1:8000").split(",") if address.strip()]

workers = _int("WEB_CONCURRENCY", _int("GUNICORN_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 8)))
worker_class = "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Off by default, as in gunicorn: PeerPlan holds no per-process state that grows. Set it to recycle
# workers after that many requests if a leak ever shows.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10

# Access log to stdout: one line per request with the time taken (microseconds) and the client
# address as the proxy reported it.
accesslog = os.environ.get("ACCESS_LOG", "-") or None  # ACCESS_LOG= (empty) turns it off
errorlog = os.environ.get("ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info").lower()
access_log_format = '%({x-forwarded-for}i)s %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)sus'

# LOG_FORMAT=json (see settings.py): gunicorn's own lines (worker starts, timeouts; access lines unless
# ACCESS_LOG is empty) are JSON objects too, so every line on stderr and stdout is one.
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    logconfig_dict = {
        "root": {"level": "WARNING", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {
                "level": "INFO" if accesslog else "WARNING",
                "handlers": ["console"],
                "propagate": False,
            },
        },
        "formatters": {"generic": {"()": "peerplan.lib.logs.JsonFormatter"}},
    }

# Only trust X-Forwarded-* from the proxy on this host (gunicorn's default); set FORWARDED_ALLOW_IPS
# to the proxy's address when it runs elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn >= 25 opens a control socket for `gunicornc` at one fixed path per user, which a second
# gunicorn on the same host would take over. Off unless GUNICORN_CONTROL_SOCKET names a path.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket


# /metrics with several workers (README "Running it"): prometheus_client's multiprocess mode. Each worker
# writes its counts to files in this directory, read together at each scrape. It must be set before a
# worker imports prometheus_client (workers load the app after this file runs), and must start empty: counts
# of a previous run would be added to this one's.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="peerplan-metrics-")
_metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

# Only now: prometheus_client reads PROMETHEUS_MULTIPROC_DIR when first imported, and workers inherit it.
from prometheus_client import multiprocess  # noqa: E402


def on_starting(server):
    _metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in _metrics_dir.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """A worker that stopped (restarted, killed) keeps its counts, which are totals since start-up; only its
    live gauges are dropped."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)


def post_worker_init(worker):
    """Once a worker has loaded PeerPlan, what loading it made (Django, the URL map, the templates, every
    module: most of a worker's objects, kept for its whole life) is set aside from the garbage collector
    (gc.freeze): a full collection, which a busy worker runs every few hundred requests, otherwise walks all of
    them again to find nothing to free, and the request that triggers it pays for that."""
    gc.freeze()
