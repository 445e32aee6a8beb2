"""PeerPlan served as the README says: collectstatic, then `gunicorn peerplan.wsgi` with gunicorn.conf.py,
production settings, whitenoise serving compressed, fingerprinted static files."""

import gzip
import re
import time

import pytest

from tests.production import get, gunicorn, manage, production_env


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("served")
    env = production_env(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; a TLS proxy does the redirect in production
        SQLITE_PATH=tmp / "db.sqlite3",
        STATIC_ROOT=tmp / "static",
    )
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["createcachetable"],
        ["collectstatic", "--noinput", "-v0"],
    ):
        result = manage(*command, env=env)
        assert result.returncode == 0, result.stderr
    with gunicorn(env, tmp / "gunicorn.log", workers=2) as server:
        yield server


def test_healthz_answers_json_through_gunicorn(served):

    status, headers, body = get(f"{served.url}/healthz")

    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body == b'{"status": "ok"}'


def test_pages_link_fingerprinted_static_files_that_are_cached_for_ever(served):

    status, _, body = get(f"{served.url}/")
    assert status == 200
    css = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body)
    assert css, body[:2000]

    status, headers, content = get(f"{served.url}{css.group(1).decode()}", headers={"Accept-Encoding": "gzip"})

    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in headers["Cache-Control"]
    assert "immutable" in headers["Cache-Control"]
    assert headers["Content-Encoding"] == "gzip"
    assert b"Bootstrap" in gzip.decompress(content)[:200]


def test_an_unknown_static_file_is_a_404_not_a_500(served):

    status, _, _ = get(f"{served.url}/static/vendor/bootstrap/nothing-here.css")

    assert status == 404


def test_production_headers_through_gunicorn_behind_a_tls_proxy(served):

    status, headers, _ = get(f"{served.url}/", headers={"X-Forwarded-Proto": "https"})

    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_a_host_not_allowed_is_refused(served):

    status, _, _ = get(f"{served.url}/", headers={"Host": "evil.example"})

    assert status == 400


def test_gunicorn_logs_each_request_to_stdout(served):
    get(f"{served.url}/healthz?logged=1")

    # The worker writes the line just after answering: give it a moment, not a race.
    line = '"GET /healthz?logged=1 HTTP/1.1" 200'
    deadline = time.monotonic() + 5
    while line not in served.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert line in served.log()
