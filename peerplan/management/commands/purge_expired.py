"""Delete what is past its retention period; run it from cron daily (README, "How long data is kept")."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from peerplan.operations import retention
from peerplan.operations.scheduled_jobs import recorded_run


class Command(BaseCommand):
    help = (
        "Delete sign-in records older than SIGN_IN_RECORD_DAYS, notifications older than READ_NOTIFICATION_DAYS "
        "(read) or UNREAD_NOTIFICATION_DAYS (unread), and expired sessions."
    )

    def handle(self, *args, verbosity, **options):
        with recorded_run("purge_expired"):
            counts = retention.purge_expired(now=timezone.now())
        if verbosity:
            self.stdout.write("Deleted " + ", ".join(f"{count} {what}" for what, count in counts.items()) + ".")
