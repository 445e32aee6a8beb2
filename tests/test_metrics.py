"""/metrics as Prometheus reads it: scraped through the client and parsed with prometheus_client's own text
parser, the figures an operator alerts on are there and move (a request counted with its latency and
queries, a page-cache miss then a hit, the email queue as deep as the unsent notifications, a scheduled job's
last success and failure), only the listed addresses are answered, and no label holds a person's data."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from peerplan.models import Notification
from peerplan.models.notifications import EmailStatus, Kind
from tests.production import get, gunicorn, manage, production_env


def scrape(client, **request):
    response = client.get("/metrics", **request)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")  # the text exposition format
    return list(text_string_to_metric_families(response.content.decode()))


def value(families, sample_name, **labels):
    """The sample's value, or None when the scrape has no such sample."""
    for family in families:
        for sample in family.samples:
            if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


def test_a_request_is_counted_with_its_latency_and_its_database_queries(client, db):
    before = scrape(client)

    assert client.get("/healthz").status_code == 200
    after = scrape(client)

    def moved(name, **labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    healthz = {"view": "healthz", "method": "GET"}
    assert moved("django_http_responses_total_by_status_view_method_total", status="200", **healthz) == 1
    assert moved("django_http_requests_latency_seconds_by_view_method_count", **healthz) == 1
    assert moved("peerplan_http_request_database_queries_count", view="healthz") == 1
    assert moved("peerplan_http_request_database_queries_sum", view="healthz") == 1  # SELECT 1


def test_a_page_body_is_a_cache_miss_then_a_hit(client, owner, active_checklist):
    client.force_login(owner)
    dashboard = {"page": "peerplan/tracking/dashboard_body.html"}
    before = scrape(client)

    client.get("/app/orgs/northside/dashboard/")
    first = scrape(client)
    client.get("/app/orgs/northside/dashboard/")
    second = scrape(client)

    def results(families):
        return {
            result: value(families, "peerplan_page_cache_requests_total", result=result, **dashboard) or 0
            for result in ("miss", "hit")
        }

    assert results(first)["miss"] - results(before)["miss"] == 1
    assert results(first)["hit"] == results(before)["hit"]
    assert results(second)["hit"] - results(first)["hit"] == 1
    assert results(second)["miss"] == results(first)["miss"]


def test_the_email_queue_is_as_deep_as_the_unsent_notifications_and_empties_when_they_are_sent(
    client, org_a, owner, planner, action
):
    now = timezone.now()

    def notification(status, after, recipient=planner):
        return Notification.objects.create(
            recipient=recipient, kind=Kind.ASSIGNED, organisation=org_a, mitigation=action, email_status=status,
            email_after=after,
        )  # fmt: skip

    notification(EmailStatus.PENDING, now - timedelta(minutes=10))
    notification(EmailStatus.PENDING, now - timedelta(minutes=1))
    # Another person's, still within its batching delay (a person's due email takes all of theirs with it).
    notification(EmailStatus.PENDING, now + timedelta(minutes=2), recipient=owner)
    notification(EmailStatus.SENT, now - timedelta(hours=1))
    notification(EmailStatus.NONE, None)

    families = scrape(client)

    assert value(families, "peerplan_notification_emails_queued") == 3
    assert value(families, "peerplan_notification_emails_due") == 2
    assert value(families, "peerplan_notification_emails_retrying") == 0
    assert 9 * 60 < value(families, "peerplan_notification_email_oldest_due_seconds") < 11 * 60

    call_command("send_notifications", verbosity=0)
    families = scrape(client)

    assert value(families, "peerplan_notification_emails_due") == 0
    assert value(families, "peerplan_notification_emails_queued") == 1  # the one not due yet
    assert value(families, "peerplan_notification_email_oldest_due_seconds") == 0


def test_a_scheduled_jobs_last_success_is_set_when_it_runs_and_not_when_it_fails(client, org_a, planner, action):
    job = {"job": "send_notifications"}
    assert value(scrape(client), "peerplan_scheduled_job_last_success_timestamp_seconds", **job) is None

    started = timezone.now().timestamp()
    call_command("send_notifications", verbosity=0)
    families = scrape(client)

    succeeded = value(families, "peerplan_scheduled_job_last_success_timestamp_seconds", **job)
    assert started <= succeeded <= timezone.now().timestamp()
    assert value(families, "peerplan_scheduled_job_last_failure_timestamp_seconds", **job) is None
    assert value(families, "peerplan_scheduled_job_last_duration_seconds", **job) >= 0

    # The mail server refuses: the run fails, and its last success stays where it was.
    Notification.objects.create(
        recipient=planner, kind=Kind.ASSIGNED, organisation=org_a, mitigation=action,
        email_status=EmailStatus.PENDING, email_after=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    refused = mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("mail server down")
    )
    with refused, pytest.raises(CommandError):
        call_command("send_notifications", verbosity=0)
    families = scrape(client)

    assert value(families, "peerplan_scheduled_job_last_success_timestamp_seconds", **job) == succeeded
    assert value(families, "peerplan_scheduled_job_last_failure_timestamp_seconds", **job) > succeeded
    assert value(families, "peerplan_notification_emails_retrying") == 1


@pytest.mark.parametrize(
    "request_from",
    [
        {"REMOTE_ADDR": "203.0.113.9"},
        # From outside through a proxy on this host: its own address is loopback, the client's is not.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.9"},
        # A listed address forged in X-Forwarded-For by a client that is not listed.
        {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "127.0.0.1"},
    ],
    ids=["outside", "through-a-proxy", "through-a-proxy-real-ip", "forged"],
)
def test_an_address_that_is_not_listed_gets_404(client, db, request_from):
    response = client.get("/metrics", **request_from)

    assert response.status_code == 404
    assert b"django_http" not in response.content


def test_the_operator_lists_the_addresses_and_networks_that_may_scrape(client, db, settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.5.0/24", "2001:db8::7"]

    assert client.get("/metrics", REMOTE_ADDR="10.0.5.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.6.7").status_code == 404
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed


def test_a_mistyped_address_stops_start_up():
    result = manage("check", env=production_env(METRICS_ALLOWED_ADDRESSES="127.0.0.1,10.0.0.300"))

    assert result.returncode != 0
    assert "METRICS_ALLOWED_ADDRESSES must be addresses or networks (10.0.0.0/8), not '10.0.0.300'" in result.stderr


def test_prometheus_scrapes_over_plain_http_under_production_redirects(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404  # not a redirect: not there


def test_no_label_holds_a_persons_or_an_organisations_data(client, owner, action):
    client.force_login(owner)
    for url in ("/app/orgs/northside/", "/app/orgs/northside/dashboard/", f"/app/mitigations/{action.pk}/"):
        assert client.get(url).status_code == 200
    client.get("/app/no-such-page/?email=olive@example.org")
    client.logout()

    labels = {label for family in scrape(client) for sample in family.samples for label in sample.labels.values()}

    told = " ".join(labels).lower()
    for word in ("olive", "example.org", "northside", str(action.pk) + "/", "?email"):
        assert word not in told
    assert "peerplan:dashboard" in labels  # views are labelled by name


def test_several_gunicorn_workers_answer_the_same_figures(database_env, collected_static, tmp_path):
    """Each of two workers counts its own requests; whichever answers the scrape adds up both. (Logged in
    JSON, as a log collector would read it: gunicorn's own lines too.)"""
    env = production_env(
        ALLOWED_HOSTS="127.0.0.1", STATIC_ROOT=collected_static, LOG_FORMAT="json", ACCESS_LOG="", **database_env
    )
    with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
        served = 20
        for _ in range(served):
            get(f"{server.url}/healthz")
        counts = set()
        for _ in range(6):
            status, _, body = get(f"{server.url}/metrics")
            assert status == 200
            families = list(text_string_to_metric_families(body.decode()))
            counts.add(value(families, "peerplan_http_request_database_queries_count", view="healthz"))

    # /healthz also answered the start-up wait, once or more: the same total, whichever worker was asked.
    assert len(counts) == 1
    assert counts.pop() >= served + 1
    lines = [json.loads(line) for line in server.log().splitlines()]  # every line one JSON object
    assert {"gunicorn.error", "peerplan.request"} <= {line["logger"] for line in lines}
