"""`manage.py compute_shared_learning`: recompute the anonymous figures "what services like yours did"
from the organisations that share anonymously (see peerplan/figures/shared_learning.py). Run it from cron, nightly;
pages read only the figures it writes."""

from django.core.management.base import BaseCommand

from peerplan.figures import shared_learning
from peerplan.operations.scheduled_jobs import recorded_run


class Command(BaseCommand):
    help = (
        "Recompute the anonymous figures (how many services found each challenge applies, which suggestions "
        "they adopted, how many are done and how long that took) from the organisations that share "
        "anonymously, replacing the previous figures."
    )

    def handle(self, *args, **options):
        with recorded_run("compute_shared_learning"):
            self.compute(**options)

    def compute(self, *, verbosity, **options):
        log = self.stdout.write if verbosity else None
        run = shared_learning.compute(log=log)
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Figures computed from {run.organisations} organisation{'s' if run.organisations != 1 else ''} "
                    f"that share anonymously in {run.seconds:.1f} s."
                )
            )
