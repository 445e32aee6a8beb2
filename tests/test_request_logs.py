"""Logs as an event stream: every answer carries its request's id in X-Request-ID (the proxy's when it sent a
sane one), and with LOG_FORMAT=json every line on stderr is one JSON object carrying that id, with one line per
request (method, path, status, duration). Plain lines stay the default."""

import json

import pytest

from tests.production import manage, production_env


def test_every_answer_carries_a_new_request_id(client, db):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/no-such-page")["X-Request-ID"]

    assert len(first) == 32 and int(first, 16) >= 0
    assert second != first


def test_a_proxys_request_id_is_kept(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="nginx-7f3a9c2e-0001")

    assert response["X-Request-ID"] == "nginx-7f3a9c2e-0001"


@pytest.mark.parametrize(
    "sent", ["short", "x" * 200, "has spaces in it", "line\r\nbreak-injected", "<script>12345</script>"]
)
def test_a_request_id_that_is_not_sane_is_replaced(client, db, sent):
    kept = client.get("/healthz", HTTP_X_REQUEST_ID=sent)["X-Request-ID"]

    assert kept != sent and len(kept) == 32


SERVE = """
from django.test import Client
client = Client()
for path in ("/healthz", "/no-such-page", "/unsubscribe/secret-token-123/"):
    response = client.get(path)
    print(path, response.status_code, response["X-Request-ID"])
"""


def served(database_env, static, **env):
    """(path, status, request id) per request, and the lines written to stderr, from PeerPlan run as in
    production in its own process (its logging set up from the environment, as gunicorn's workers do)."""
    settings = {"ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false", "STATIC_ROOT": static}
    settings.update(database_env, **env)
    result = manage("shell", "-c", SERVE, env=production_env(**settings))
    assert result.returncode == 0, result.stderr
    answers = [line.split() for line in result.stdout.splitlines() if line.startswith("/")]
    return answers, [line for line in result.stderr.splitlines() if line.strip()]


def test_json_log_lines_carry_the_request_id_the_response_returned(database_env, collected_static):
    answers, lines = served(database_env, collected_static, LOG_FORMAT="json")

    logged = [json.loads(line) for line in lines]  # every line is one JSON object
    requests = [line for line in logged if line["logger"] == "peerplan.request"]
    assert [(line["path"], str(line["status"]), line["request_id"]) for line in requests] == [
        ("/healthz", "200", answers[0][2]),
        ("/no-such-page", "404", answers[1][2]),
        ("/unsubscribe/[hidden]/", "404", answers[2][2]),  # the token is a credential: never in a log
    ]
    for line in requests:
        assert line["method"] == "GET" and line["level"] == "INFO" and line["duration_ms"] >= 0
        assert line["time"].endswith("+00:00") and line["message"].startswith("GET /")
    # Django's own warning about the 404, written inside the same request, carries its id too.
    (not_found,) = [line for line in logged if line["logger"] == "django.request" and "no-such-page" in line["message"]]
    assert not_found["level"] == "WARNING" and not_found["request_id"] == answers[1][2]
    assert "secret-token-123" not in "\n".join(lines)


def test_plain_log_lines_stay_the_default(database_env, collected_static):
    _, lines = served(database_env, collected_static)

    assert "Not Found: /no-such-page" in lines
    assert not any(line.startswith("{") for line in lines)


def test_a_mistyped_log_format_stops_start_up():
    result = manage("check", env=production_env(LOG_FORMAT="jsonl"))

    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json, not 'jsonl'" in result.stderr
