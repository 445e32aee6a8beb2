"""Refresh the database's query-planner statistics.

SQLite keeps none until ANALYZE runs, and without them it can pick an index that reads every
organisation's overdue actions to show one organisation's dashboard (measured: 369 ms instead of 31 ms
at 1,000 organisations). Run it after bulk loads (seed_demo and restore do) and daily from cron.
PostgreSQL's autovacuum does this by itself; running it there too is harmless.
"""

from django.core.management.base import BaseCommand
from django.db import connections

from peerplan.operations.scheduled_jobs import recorded_run


def analyze(database="default"):
    with connections[database].cursor() as cursor:
        cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = "Refresh the query planner's statistics (ANALYZE); after bulk loads and daily from cron."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database, verbosity, **options):
        with recorded_run("analyze_database"):
            analyze(database)
        if verbosity:
            self.stdout.write("Planner statistics refreshed.")
