"""When each scheduled job (the commands cron runs) last succeeded and last failed: facts of the database,
so /metrics answers the same from every worker and host."""

from django.db import models

from peerplan.lib.freshness import NOT_SHOWN


class ScheduledJob(models.Model):
    """One command cron runs (send_notifications, send_reminders, ...), with its last success and failure."""

    name = models.CharField(max_length=60, unique=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    # How long the last successful run took, in seconds: a job that slowly takes longer is seen before it
    # overlaps the next run.
    last_duration = models.FloatField(null=True, blank=True)

    freshness = NOT_SHOWN  # read only by /metrics, which is never cached

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
