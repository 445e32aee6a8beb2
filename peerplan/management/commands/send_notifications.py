"""Email the notifications that are due, batched per person; run it from cron every minute.

Safe to run twice at once: each person's pending notifications are claimed by one run (see
peerplan/notify/deliver.py). A mail server that refuses leaves them queued for a later run."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from peerplan.figures import tracking
from peerplan.notify import deliver, scan
from peerplan.operations import check_ins
from peerplan.operations.scheduled_jobs import recorded_run


class Command(BaseCommand):
    help = (
        "Record notifications for actions that became overdue and decisions due for re-review, then email "
        "every person their pending notifications (several within NOTIFICATION_EMAIL_DELAY make one email)."
    )

    def handle(self, *args, **options):
        with recorded_run("send_notifications"):
            self.send(**options)

    def send(self, *, verbosity, **options):
        today = tracking.today()
        made = scan.record_scheduled(today)
        sent, emailed, failed = deliver.send_due(now=timezone.now(), stdout=self.stdout if verbosity > 1 else None)
        # Check-ins: rounds closed and opened, and their invitations (each a single-use link).
        closed, opened, invited, not_invited = check_ins.run_schedule(today=today, now=timezone.now())
        if verbosity:
            self.stdout.write(
                f"Recorded {made} scheduled notification(s). Sent {sent} email(s) for {emailed} notification(s); "
                f"{failed} could not be sent."
            )
            self.stdout.write(
                f"Check-ins: closed {closed} round(s), opened {opened}; sent {invited} invitation(s), "
                f"{not_invited} could not be sent."
            )
        if not_invited:
            raise CommandError(
                f"{not_invited} check-in invitation(s) could not be sent; the next run sends them again."
            )
        if failed:
            raise CommandError(
                f"{failed} email(s) could not be sent; their notifications stay queued for the next run."
            )
