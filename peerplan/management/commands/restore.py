"""`python manage.py restore FILE`: replace everything in the database with a `backup` file.

All or nothing: the database is emptied and the file loaded in one transaction, so a file that does not
load (truncated, from another version, wrong format) leaves the database exactly as it was."""

from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import override_settings


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
                    call_command("loaddata", file, database=database, verbosity=0)
                # (PeerPlan's loaddata also moves every id sequence past the ids history records name.)
        except Exception as error:
            raise CommandError(f"Restore failed, nothing was changed: {error}") from error
        # Cached pages and figures describe the old data. (A new database may not have the cache table yet.)
        call_command("createcachetable", database=database, verbosity=0)
        call_command("analyze_database", database=database, verbosity=0)
        for alias in caches:
            caches[alias].clear()
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"Restored database {name!r} from {file}"))
