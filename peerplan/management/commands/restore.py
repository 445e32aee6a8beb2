"""`python manage.py restore FILE`: replace everything in the database with a `backup` file.

All or nothing: the database is emptied and the file loaded in one transaction, so a file that does not
load (truncated, from another version, wrong format) leaves the database exactly as it was."""

import bz2
import gzip
import lzma
import re
import zipfile

from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import override_settings

from peerplan.lib.progress import Progress
from peerplan.management.commands.analyze_database import analyze

# Where each object of a dumpdata file starts: Django's serializer writes "model" first. (Inside a string
# a quote is escaped, so this cannot match a text someone typed.)
OBJECT_START = re.compile(rb'\{\s*"model"\s*:')
OPENERS = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open, "lzma": lzma.open}


def count_objects(path):
    """How many objects a backup file holds (read once through, in pieces, decompressed as loaddata does),
    so restoring can say how far it is. 0 when the file cannot be read: loaddata then says why."""
    extension = str(path).rsplit(".", 1)[-1]
    count, rest = 0, b""
    try:
        if extension == "zip":
            with zipfile.ZipFile(path) as archive:
                stream = archive.open(archive.namelist()[0])
        else:
            stream = OPENERS.get(extension, open)(path, "rb")
        with stream:
            while chunk := stream.read(1 << 20):
                buffer = rest + chunk
                matches = list(OBJECT_START.finditer(buffer))
                count += len(matches)
                # Keep the end of this piece, in case an object's start is split across two pieces.
                rest = buffer[max(len(buffer) - 64, matches[-1].end() if matches else 0) :]
    except (OSError, EOFError, IndexError, zipfile.BadZipFile, lzma.LZMAError):
        return 0
    return count


class _LoaddataCount:
    """Stands in for stdout to Django's loaddata at verbosity 3, which then writes "\\rProcessed N object(s)."
    after each object it saves (its other lines are not for the person restoring): N moves `progress`."""

    PROCESSED = re.compile(r"Processed (\d+) object")

    def __init__(self, progress):
        self.progress = progress

    def write(self, text):
        if found := self.PROCESSED.search(text):
            self.progress.update(int(found.group(1)))
        return len(text)

    def flush(self):
        pass


class Command(BaseCommand):
    help = (
        "Replace ALL data in the database with the contents of a file written by `manage.py backup`. Run "
        "`manage.py migrate` on the target first. Asks for confirmation unless --noinput is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A file written by `manage.py backup` (.json, optionally compressed).")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Which database to restore into.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, file, database, interactive, verbosity, **options):
        name = connections[database].settings_dict["NAME"]
        if interactive:
            try:
                answer = input(
                    f"This replaces ALL data in database {name!r} with the contents of {file}.\n"
                    "Type 'yes' to continue, or anything else to cancel: "
                )
            except EOFError:  # no one to ask (cron, a pipe)
                raise CommandError("Nothing was changed: confirm with --noinput when running unattended.") from None
            if answer.strip() != "yes":
                raise CommandError("Restore cancelled; nothing was changed.")
        progress = Progress(self.stdout, "Restoring objects", total=count_objects(file))
        try:
            with transaction.atomic(using=database):
                postgres = connections[database].vendor == "postgresql"
                if postgres:  # PostgreSQL refuses to TRUNCATE a table with foreign-key checks still pending
                    connections[database].cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
                # Empties every table, then re-creates content types and permissions (post_migrate).
                call_command("flush", database=database, interactive=False, verbosity=0)
                if postgres:  # ... and loaddata relies on checks deferred to the commit (forward references)
                    connections[database].cursor().execute("SET CONSTRAINTS ALL DEFERRED")
                # The file holds the history as it was; loading must not add entries of its own
                # (simple-history records many-to-many changes even for raw fixture loads).
                with override_settings(SIMPLE_HISTORY_ENABLED=False):
                    loaded = _LoaddataCount(progress) if verbosity and progress.total else None
                    call_command("loaddata", file, database=database, verbosity=3 if loaded else 0, stdout=loaded)
                # (PeerPlan's loaddata also moves every id sequence past the ids history records name.)
        except Exception as error:
            progress.stop()
            raise CommandError(f"Restore failed, nothing was changed: {error}") from error
        if verbosity and progress.total:
            progress.finish()
        # Cached pages and figures describe the old data. (A new database may not have the cache table yet.)
        call_command("createcachetable", database=database, verbosity=0)
        # The planner's statistics, as analyze_database refreshes them; not a run of that scheduled job.
        analyze(database)
        for alias in caches:
            caches[alias].clear()
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Restored database {name!r} from {file}"))
