"""An owner's request for their organisation's archive when it is too large to build while they wait: the
scheduled `build_organisation_exports` builds it (pages/organisation_export.py writes it), records its
progress for the export page, keeps the file ORGANISATION_EXPORT_DAYS, tells the owner by email (through
the notifications, like every email) and removes it once expired."""

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from peerplan.lib.errors import NotAllowed
from peerplan.models import Membership, OrganisationExport
from peerplan.models.notifications import Kind
from peerplan.notify import events


@transaction.atomic
def request_export(*, organisation, by, rows_total, now=None):
    """Queue an archive of the organisation for the next run (or give back the one already waiting)."""
    if not Membership.objects.live().filter(organisation=organisation, user=by, role="owner").exists():
        raise NotAllowed("Only an owner of the organisation can export its data.")
    waiting = OrganisationExport.objects.waiting().filter(organisation=organisation).first()
    if waiting is not None:
        return waiting
    return OrganisationExport.objects.create(
        organisation=organisation, requested_by=by, requested_at=now or timezone.now(), rows_total=rows_total
    )


def record_progress(*, export, rows_done):
    """How far the build is (and when it started): a single update, committed at once so the export page
    shows it while the build goes on."""
    OrganisationExport.objects.filter(pk=export.pk).update(rows_done=rows_done, started_at=export.started_at)


@transaction.atomic
def finish_export(*, export, archive, now=None):
    """Keep the archive built in `archive` (an open binary file), and tell whoever asked for it."""
    now = now or timezone.now()
    export.file.save(export.download_name(), File(archive), save=False)
    export.size = export.file.size
    export.finished_at = now
    export.rows_done = export.rows_total
    export.save()
    if export.requested_by_id:
        events.record(recipient=export.requested_by, kind=Kind.EXPORT, organisation=export.organisation, now=now)
    return export


def fail_export(*, export, now=None):
    OrganisationExport.objects.filter(pk=export.pk).update(failed_at=now or timezone.now())


def purge_expired_exports(*, now=None):
    """Remove every archive older than ORGANISATION_EXPORT_DAYS: its file, then its row. Returns how many."""
    expired = list(OrganisationExport.objects.expired(now))
    for export in expired:
        if export.file:
            export.file.delete(save=False)
        export.delete()
    return len(expired)
