"""Email each owner a digest of their overdue actions and those due soon, and each manager the
checklists past their review date. At most one of each per person per day: safe to run every hour."""

import sys
from contextlib import nullcontext
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from peerplan.figures import tracking
from peerplan.notify import deliver
from peerplan.operations.scheduled_jobs import recorded_run


def _day(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Email each person who owns open actions a digest of those overdue or due within --days, and each "
        "organisation's managers and owners the checklists past their review date. Once a day at most per "
        "person, however often it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="Include actions due within this many days (7).")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent; send and record nothing.")
        parser.add_argument("--today", type=_day, help="Treat this date (YYYY-MM-DD) as today.")

    def handle(self, *args, dry_run, **options):
        # A dry run sends nothing, so it is no run of the job.
        with nullcontext() if dry_run else recorded_run("send_reminders"):
            self.send(dry_run=dry_run, **options)

    def send(self, *, days, dry_run, today, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        run = deliver.send_reminders(
            today=today or tracking.today(), days=days, dry_run=dry_run, stdout=self.stdout, stderr=sys.stderr
        )
        verb = "Would send" if dry_run else "Sent"
        self.stdout.write(f"{verb} {run.sent}, skipped {run.skipped}, failed {run.failed}.")
        if run.failed:
            raise CommandError(f"{run.failed} reminder(s) could not be sent; they will be tried on the next run.")
