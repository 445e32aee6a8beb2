"""`python manage.py backup -o FILE`: everything PeerPlan holds, in one file that `restore` (or plain
`loaddata`) reads back into any supported database, SQLite or PostgreSQL.

It is `dumpdata` with the right choices made once: natural keys for content types and permissions
(their ids differ between databases), times to the microsecond (peerplan/lib/backup_format.py), and without what
is rebuilt or worthless after a restore."""

from django.core import serializers
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.serializers.base import ProgressBar

from peerplan.lib import backup_format
from peerplan.lib.progress import Progress

# Rebuilt by `migrate` (content types, permissions) or not worth restoring: sessions (everyone signs
# in again), the admin's change log, sign-in failure records (axes) and the cache table (not a model).
EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "admin.logentry",
    "axes",
]


class Command(BaseCommand):
    help = (
        "Write all of PeerPlan's data (organisations, people, checklists, actions, their history, the "
        "evidence) to one JSON file. A name ending in .gz, .bz2, .xz or .lzma is compressed. Restore with "
        "`manage.py restore FILE`."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="The file to write, e.g. peerplan-2026-11-25.json.gz")
        parser.add_argument("--database", default="default", help="Which database to back up (default: default).")

    def handle(self, *args, output, database, verbosity, **options):
        serializers.register_serializer(backup_format.FORMAT, backup_format.__name__)
        progress = Progress(self.stdout, "Backing up", total=ProgressBar.progress_width, counted=False)
        try:
            call_command(
                "dumpdata",
                format=backup_format.FORMAT,
                exclude=EXCLUDED,
                natural_foreign=True,
                output=output,
                database=database,
                indent=None,
                verbosity=1 if verbosity else 0,
                stdout=_DumpdataBar(progress),
            )
        except BaseException:
            progress.stop()
            raise
        if verbosity:
            progress.finish()
            self.stdout.write(self.style.SUCCESS(f"Backed up database '{database}' to {output}"))


class _DumpdataBar:
    """Stands in for a terminal to Django's dumpdata, which then counts the objects before writing them and
    draws a bar of ProgressBar.progress_width dots as it goes ("\\r[.....     ]"): each bar it draws moves
    `progress` (shown on a terminal or as plain lines, whatever the real stdout is) to that many dots."""

    def __init__(self, progress):
        self.progress = progress

    def isatty(self):
        return True

    def write(self, text):
        if "[" in text:
            self.progress.update(text.count("."))
        return len(text)

    def flush(self):
        pass
