"""`manage.py build_organisation_exports`: build the archives owners of large organisations asked for
(showing their progress on the export page, and telling each owner by email when theirs is ready), then
remove the archives older than ORGANISATION_EXPORT_DAYS (peerplan/pages/organisation_export.py,
peerplan/operations/organisation_exports.py). Run it from cron every few minutes; the README gives the line."""

from django.core.management.base import BaseCommand

from peerplan.operations import organisation_exports
from peerplan.operations.scheduled_jobs import recorded_run
from peerplan.pages import organisation_export


class Command(BaseCommand):
    help = "Build the organisation exports owners asked for, and remove those older than 7 days."

    def handle(self, *args, verbosity, **options):
        with recorded_run("build_organisation_exports"):
            built = organisation_export.build_waiting_exports()
            removed = organisation_exports.purge_expired_exports()
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Built {built} export(s); removed {removed} expired."))
