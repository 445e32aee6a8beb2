"""/healthz for load balancers: fast, 200 only when the database answers, 503 otherwise."""

import time
from unittest import mock

from django.db import OperationalError


def test_healthz_is_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]  # a balancer must never see a cached answer


def test_healthz_answers_503_when_the_database_does_not(client, db):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "OperationalError"}


def test_healthz_answers_503_when_no_connection_can_be_made(client, db):
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=OperationalError("refused")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_healthz_does_not_need_a_signed_in_person_and_is_quick(client, db, django_assert_num_queries):
    client.get("/healthz")  # connect first; the check itself is what is timed
    started = time.perf_counter()
    with django_assert_num_queries(1):  # SELECT 1
        response = client.get("/healthz")
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed < 0.5


def test_healthz_is_not_redirected_to_https_but_pages_are(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/evidence/").status_code == 301


def test_healthz_answers_plain_http_under_the_default_production_settings(tmp_path):
    """A load balancer talking to gunicorn directly over plain HTTP (production settings, nothing
    overridden about HTTPS): /healthz is 200, every other page still redirects to HTTPS."""
    from tests.production import Browser, get, gunicorn, production_env

    env = production_env(ALLOWED_HOSTS="127.0.0.1", SQLITE_PATH=tmp_path / "db.sqlite3", STATIC_ROOT=tmp_path)
    with gunicorn(env, tmp_path / "gunicorn.log", workers=1, timeout=20) as server:  # waits for /healthz 200
        status, _, body = get(f"{server.url}/healthz")
        assert (status, body) == (200, b'{"status": "ok"}')
        status, headers, _ = Browser(server.url).request("/evidence/")  # does not follow the redirect
        assert status == 301 and headers["Location"].startswith("https://")


def test_a_page_answers_a_clear_503_when_the_database_cannot_be_reached(owner, settings):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        response = client.get("/app/orgs/northside/")

    assert response.status_code == 503
    page = response.content.decode()
    assert "PeerPlan cannot reach its database just now" in page and "Traceback" not in page
    assert response["Retry-After"] == "60"


def test_other_server_errors_are_still_500(owner):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with mock.patch("peerplan.pages.organisations.organisation_page", side_effect=ValueError("a bug")):
        response = client.get("/app/orgs/northside/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
