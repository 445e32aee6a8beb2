"""A scheduled job's run recorded: its success or its failure, for /metrics and the alerts on it."""

import time
from contextlib import contextmanager, suppress

from django.db import DatabaseError
from django.utils import timezone

from peerplan.models import ScheduledJob


@contextmanager
def recorded_run(name):
    """Run the block as the scheduled job `name`: when it ends normally its last success is now (with the
    time it took); when it raises (a CommandError for emails that could not be sent, a crash), its last
    failure is now and the exception goes on. Recorded after the job's own work, outside its transactions,
    so a record never rolls back what the job did, nor the job the record."""
    started = time.monotonic()
    try:
        yield
    except BaseException:
        # A job that failed because the database is gone cannot record it; its own error is the one to see.
        with suppress(DatabaseError):
            ScheduledJob.objects.update_or_create(name=name, defaults={"last_failure_at": timezone.now()})
        raise
    ScheduledJob.objects.update_or_create(
        name=name, defaults={"last_success_at": timezone.now(), "last_duration": time.monotonic() - started}
    )
