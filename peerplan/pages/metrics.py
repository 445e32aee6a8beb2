"""What /metrics shows (README "Running it"): the figures every worker counts as it answers (requests,
latencies, database queries, the page cache's hits and misses), added up across gunicorn's workers, and the
figures that are facts of the database (the email queue, each scheduled job's last success), read from it
at scrape time so every worker and host answers the same. No label ever holds a person's data: labels are
views, methods, statuses, pages (body templates) and job names."""

import os

from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from peerplan.models import Notification, ScheduledJob


class DatabaseFigures:
    """The email queue and the scheduled jobs' last runs, in two queries per scrape."""

    def collect(self):
        now = timezone.now()
        queue = Notification.objects.email_queue(now)
        yield GaugeMetricFamily(
            "peerplan_notification_emails_queued",
            "Notifications waiting for their email (sent by send_notifications once their delay is over).",
            value=queue["queued"],
        )
        yield GaugeMetricFamily(
            "peerplan_notification_emails_due",
            "Queued notification emails whose delay is over: the next send_notifications run sends them.",
            value=queue["due"],
        )
        yield GaugeMetricFamily(
            "peerplan_notification_emails_retrying",
            "Queued notification emails that failed to send at least once (the mail server refused or was down).",
            value=queue["retrying"],
        )
        oldest_due = (now - queue["oldest_due"]).total_seconds() if queue["oldest_due"] else 0
        yield GaugeMetricFamily(
            "peerplan_notification_email_oldest_due_seconds",
            "How long the longest-waiting due notification email has been due (0 when none is).",
            value=max(oldest_due, 0),
        )
        success = GaugeMetricFamily(
            "peerplan_scheduled_job_last_success_timestamp_seconds",
            "When each scheduled job last finished without an error (Unix time).",
            labels=["job"],
        )
        failure = GaugeMetricFamily(
            "peerplan_scheduled_job_last_failure_timestamp_seconds",
            "When each scheduled job last ended with an error (Unix time).",
            labels=["job"],
        )
        duration = GaugeMetricFamily(
            "peerplan_scheduled_job_last_duration_seconds",
            "How long each scheduled job's last successful run took.",
            labels=["job"],
        )
        for job in ScheduledJob.objects.all():
            if job.last_success_at:
                success.add_metric([job.name], job.last_success_at.timestamp())
                duration.add_metric([job.name], job.last_duration or 0)
            if job.last_failure_at:
                failure.add_metric([job.name], job.last_failure_at.timestamp())
        yield from (success, failure, duration)


def multiprocess():
    """Under gunicorn with several workers each counts in its own files in PROMETHEUS_MULTIPROC_DIR
    (gunicorn.conf.py sets it up), and a scrape, answered by any one worker, adds them all up."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def registry():
    """A registry for one scrape: every worker's counts (or this process's alone) and the database's figures."""
    scrape = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(scrape)
    else:
        scrape.register(REGISTRY)
    scrape.register(DatabaseFigures())
    return scrape
