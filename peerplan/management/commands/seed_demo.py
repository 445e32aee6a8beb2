"""`manage.py seed_demo`: a living demo organisation, or many for a benchmark (see peerplan/operations/demo.py)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from peerplan.lib.progress import Progress
from peerplan.management.commands.analyze_database import analyze
from peerplan.operations.demo import DEMO_PASSWORD, DemoSize, demo_accounts, seed_demo


def positive(value):
    number = int(value)
    if number < 1:
        raise ValueError
    return number


def not_negative(value):
    number = int(value)
    if number < 0:
        raise ValueError
    return number


class Command(BaseCommand):
    help = (
        "Create the demo organisation (Riverside Community Mental Health Service) with an account per role, "
        "checklists and actions; with --orgs, also generated organisations of the same shape for benchmarks. "
        "Organisations that already exist are left as they are, so running it twice creates nothing new. "
        "For local use only: every demo account has the same published password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orgs", type=positive, default=1, help="Organisations in all (default 1).")
        parser.add_argument("--checklists-per-org", type=not_negative, default=3, help="Default 3.")
        parser.add_argument(
            "--actions-per-item", type=not_negative, default=2, help="Per item that applies (default 2)."
        )
        parser.add_argument("--batch", type=positive, default=50, help="Organisations per transaction.")

    def handle(self, *args, orgs, checklists_per_org, actions_per_item, batch, verbosity, **options):
        size = DemoSize(orgs, checklists_per_org, actions_per_item)
        started = time.monotonic()
        progress = Progress(self.stdout, "Creating organisations", total=0)  # the total: those missing
        try:
            result = seed_demo(size, batch_orgs=batch, progress=progress.update if verbosity else None)
        except ValueError as error:
            raise CommandError(str(error)) from error
        except IntegrityError as error:
            raise CommandError(
                "A demo account (…@demo.peerplan.test) already exists without its demo organisation, so the "
                "demo cannot be created here; nothing was changed in that batch. Use an empty database."
            ) from error
        if result.created and verbosity:
            progress.finish()
        if result.created:
            analyze()  # bulk inserts leave the planner's statistics behind (see analyze_database)
        elapsed = time.monotonic() - started
        if result.created == 0:
            self.stdout.write(
                self.style.WARNING(
                    f"The demo data is already here ({result.skipped} demo organisations): nothing created. "
                    "To change its size, start from an empty database."
                )
            )
        else:
            if result.skipped:
                self.stdout.write(f"{result.skipped} demo organisations already existed and were left as they were.")
            self.stdout.write(self.style.SUCCESS(f"Created {result.created} demo organisations in {elapsed:.1f} s."))
        counts = ", ".join(f"{number} {name}" for name, number in result.counts.items())
        self.stdout.write(f"Demo data now: {counts}.")
        self.stdout.write("Demo accounts (local use only), all with the password " + DEMO_PASSWORD + ":")
        for email, role in demo_accounts():
            self.stdout.write(f"  {email:<32} {role}")
