"""Helpers for tests that run PeerPlan the way an operator does: `manage.py` and gunicorn in their own
processes, with a clean environment, against a real database file or server. Not a test module."""

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def clean_env(**overrides):
    """Only what a process needs to run, plus `overrides`: nothing leaks in from the developer's shell."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def production_env(**overrides):
    """Production settings as the README tells an operator to set them."""
    defaults = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "example.org",
        "SITE_URL": "https://example.org",
    }
    return clean_env(**{**defaults, **overrides})


def manage(*args, env, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def unexpected_tracebacks(log):
    """Tracebacks in a server log other than those Django's request logger adds to its warning about a
    request it refused as it should (403, 404, 400): those are answers, not failures. Returns the line
    before each unexpected traceback."""
    lines = log.splitlines()
    refused = ("Forbidden", "Not Found", "Bad Request")
    return [
        lines[number - 1] if number else ""
        for number, line in enumerate(lines)
        if line.startswith("Traceback") and not (number and lines[number - 1].startswith(refused))
    ]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url, timeout=10, data=None, headers=None):
    """(status, headers, body) for a request; HTTP errors are answers too, not exceptions."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Server:
    def __init__(self, url, log_path):
        self.url = url
        self.log_path = log_path

    def log(self):
        return self.log_path.read_text()


@contextmanager
def gunicorn(env, log_path, workers=2, timeout=30):
    """`gunicorn peerplan.wsgi` (reading the project's gunicorn.conf.py) on a free loopback port, with
    `workers` workers; yields a Server once /healthz answers 200. Stopped and waited for on exit."""
    port = free_port()
    env = {**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "peerplan.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = Server(f"http://127.0.0.1:{port}", Path(log_path))
    server.process = process  # the master: fault tests kill its workers (pgrep -P)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.log()}")
            try:
                if get(f"{server.url}/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within {timeout}s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


class Browser:
    """One person's browser against a live server: keeps cookies, never follows redirects, and turns
    every answer (HTTP errors included) into (status, headers, body)."""

    def __init__(self, base_url, timeout=30):
        self.base_url = base_url
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.cookies)
        self.opener = urllib.request.build_opener(cookies, _NoRedirect)

    def request(self, path, data=None):
        # doseq: a list is sent as a browser sends ticked boxes, one name=value each.
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(f"{self.base_url}{path}", data=body, timeout=self.timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def csrf_token(self, page):
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, page[:500]
        return match.group(1).decode()


def ticked_challenges(page):
    """The challenges an action's form has ticked, sent back as a browser sends them when nobody changes them."""
    return [value.decode() for value in re.findall(rb'name="challenges" value="(\d+)"[^>]*\bchecked\b', page)]


def version_in(page):
    """The version an edit form was loaded at (sent back with the save, for optimistic locking)."""
    return re.search(rb'name="version" value="(\d+)"', page).group(1).decode()
