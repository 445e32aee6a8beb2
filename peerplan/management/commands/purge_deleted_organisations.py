"""`manage.py purge_deleted_organisations`: remove every organisation deleted 30 days ago or more, with
every row and stored file it held, and recompute the anonymous figures without it
(peerplan/operations/organisation_purge.py). Run it from cron, daily; the README gives the line."""

from django.core.management.base import BaseCommand

from peerplan.operations import organisation_purge
from peerplan.operations.scheduled_jobs import recorded_run


class Command(BaseCommand):
    help = (
        "Remove every organisation deleted 30 days ago or more (no longer restorable), with all its data and "
        "attached files, and recompute the anonymous figures without it."
    )

    def handle(self, *args, verbosity, **options):
        with recorded_run("purge_deleted_organisations"):
            purged = organisation_purge.purge_due()
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(f"Purged {len(purged)} deleted organisation{'s' if len(purged) != 1 else ''}.")
            )
