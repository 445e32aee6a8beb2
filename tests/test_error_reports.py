"""Errors to Sentry (or a compatible service) when SENTRY_DSN is set, as the service would receive them:
sentry-sdk started as settings.py starts it, its envelopes collected by a local transport instead of the
network. A report says where it failed and which request (its id), never who or what they wrote: no email
address, no comment text, no request body. Without a DSN nothing of sentry-sdk is even loaded."""

import io
import logging
from unittest import mock

import pytest
import sentry_sdk
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from sentry_sdk.transport import Transport

from peerplan import error_reports
from tests.production import manage, production_env

COMMENT = "Ask pat@example.org whether the zebra-lanyard budget covers the peer trainers"


@pytest.fixture
def reports():
    """Every envelope sentry-sdk sends while the test runs; afterwards nothing is sent any more."""
    sent = []

    class Collecting(Transport):
        def capture_envelope(self, envelope):
            sent.append(envelope)

    error_reports.start("https://public@errors.example.org/1", environment="test", transport=Collecting)
    yield sent
    sentry_sdk.get_global_scope().set_client(None)


def everything(sent):
    return b"".join(envelope.serialize() for envelope in sent).decode("utf-8", "replace")


def test_a_failed_comment_is_reported_without_the_comment_or_anyones_email(reports, owner, planner, item):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    failing = mock.patch(
        "peerplan.notify.events.comment_posted", side_effect=RuntimeError("could not notify pat@example.org")
    )
    with failing:
        response = client.post(f"/app/items/{item.pk}/comments/", {"body": COMMENT})

    assert response.status_code == 500
    events = [envelope.get_event() for envelope in reports if envelope.get_event()]
    assert events, "no error was reported"
    (report,) = [event for event in events if event.get("exception")]
    (exception,) = report["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "could not notify [hidden]"
    assert report["tags"]["request_id"] == response["X-Request-ID"]
    assert "data" not in report.get("request", {})
    sent = everything(reports)
    for secret in ("pat@example.org", "olive@example.org", "zebra-lanyard", "peer trainers", "Olive"):
        assert secret not in sent
    assert "peerplan/operations/comments.py" in sent  # where it failed is kept


def test_an_error_logged_with_an_email_in_it_is_reported_without_it(reports, db):
    logging.getLogger("peerplan.notify.deliver").error("Could not email 2 notification(s) to %s", "pat@example.org")

    sent = everything(reports)
    assert "Could not email 2 notification(s) to [hidden]" in sent
    assert "pat@example.org" not in sent


def served(path, query):
    """GET `path` from PeerPlan's WSGI application itself, as gunicorn calls it: sentry-sdk reports the URL,
    query string and environment from there (Django's test client goes around it)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    # As the test client does: the request signals must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        started = []
        body = b"".join(get_wsgi_application()(environ, lambda status, headers, exc_info=None: started.append(status)))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started[0], body


def test_a_credential_in_the_address_and_the_query_string_are_not_reported(reports, db):
    """An unsubscribe link works without signing in: the token in its address is the credential."""
    failing = mock.patch("peerplan.notify.deliver.read_unsubscribe_token", side_effect=RuntimeError("boom"))
    with failing:
        status, _ = served("/unsubscribe/secret-token-123/", "from=pat%40example.org&note=zebra-lanyard")

    assert status.startswith("500")
    (report,) = [envelope.get_event() for envelope in reports if envelope.get_event()]
    assert report["request"]["url"] == "http://testserver/unsubscribe/[hidden]/"
    assert report["request"]["method"] == "GET"
    sent = everything(reports)
    assert "boom" in sent
    for secret in ("secret-token-123", "pat%40example.org", "pat@example.org", "zebra-lanyard"):
        assert secret not in sent


SENTRY_LOADED = "import sys; print('sentry_sdk' in sys.modules)"


def test_nothing_of_sentry_is_loaded_without_a_dsn():
    without = manage("shell", "-c", SENTRY_LOADED, env=production_env())
    configured = production_env(SENTRY_DSN="https://public@errors.example.invalid/1")
    with_dsn = manage("shell", "-c", SENTRY_LOADED, env=configured)

    assert without.returncode == 0, without.stderr
    assert without.stdout.strip().splitlines()[-1] == "False"
    assert with_dsn.returncode == 0, with_dsn.stderr
    assert with_dsn.stdout.strip().splitlines()[-1] == "True"


def test_a_check_in_link_is_not_reported(reports, db):
    """A check-in's link works without signing in: the token in its address is the credential, and it must not
    tie a report to a person's invitation."""
    failing = mock.patch("peerplan.operations.check_ins.round_for_token", side_effect=RuntimeError("boom"))
    with failing:
        status, _ = served("/check-in/secret-check-in-token/", "")

    assert status.startswith("500")
    (report,) = [envelope.get_event() for envelope in reports if envelope.get_event()]
    assert report["request"]["url"] == "http://testserver/check-in/[hidden]/"
    assert "secret-check-in-token" not in everything(reports)
