"""An organisation's archive for its owners (peerplan-organisation/1, peerplan/organisation_archive.md): the
request for one, built in the background when the organisation is large and kept ORGANISATION_EXPORT_DAYS;
and the archive's shape shared by the export (pages/organisation_export.py) and the import
(operations/organisation_import.py): which models' rows and history it carries, which of their fields, and
how a finding is named so another PeerPlan finds it."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from peerplan.lib.freshness import NOT_SHOWN
from peerplan.models.collaboration import Attachment, Comment, storage_folder
from peerplan.models.organisations import Organisation
from peerplan.models.planning import Checklist, Item, Mitigation

# The rows whose history the archive carries, by the name the document gives each model.
HISTORY = {"checklist": Checklist, "item": Item, "action": Mitigation, "comment": Comment, "attachment": Attachment}

# The organisation is the document's own; simple-history's bookkeeping is given in words of its own.
SKIPPED_FIELDS = {"organisation", "history_id", "history_change_reason", "history_type", "history_date", "history_user"}


def exported_fields(model):
    """The fields the document gives for a row of `model` (or of a history model): all its own but those
    above, in the model's order."""
    return [field for field in model._meta.concrete_fields if field.name not in SKIPPED_FIELDS]


def finding_key(finding):
    """How a finding is found on another PeerPlan: its source (slug, whether it is the organisation's own,
    and its version), and the finding's place in it: its heading and theme by name, its kind and position
    (what an evidence release itself matches findings by). Needs its theme, category and source loaded."""
    theme = finding.theme
    source = theme.category.source
    return {
        "source": source.slug,
        "own": source.organisation_id is not None,
        "version": source.version,
        "category": theme.category.name,
        "theme": theme.name,
        "kind": finding.valence or None,
        "position": finding.position,
    }


def archive_name(instance, filename):
    """Kept in the organisation's folder, so purging the organisation removes it with its files."""
    return f"{storage_folder(instance.organisation_id)}/exports/{uuid.uuid4().hex}.zip"


class OrganisationExportQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(finished_at__isnull=True, failed_at__isnull=True)

    def expired(self, now=None):
        return self.filter(
            requested_at__lte=(now or timezone.now()) - timedelta(days=settings.ORGANISATION_EXPORT_DAYS)
        )

    def current(self, now=None):
        """Requests from the last ORGANISATION_EXPORT_DAYS, newest first: what the export page lists."""
        since = (now or timezone.now()) - timedelta(days=settings.ORGANISATION_EXPORT_DAYS)
        return self.filter(requested_at__gt=since).order_by("-requested_at", "-pk")


class OrganisationExport(models.Model):
    """One archive of an organisation an owner asked for: waiting, being built (rows done of rows), ready to
    download until it expires, or failed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to=archive_name, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)

    # No cached page shows it: the export page, the only one that does, is rendered fresh on every visit
    # (its progress changes while the scheduled command builds the archive).
    freshness = NOT_SHOWN

    objects = OrganisationExportQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"Export of {self.organisation} requested {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def is_ready(self):
        return self.finished_at is not None and bool(self.file)

    @property
    def is_failed(self):
        return self.failed_at is not None

    @property
    def expires_at(self):
        return self.requested_at + timedelta(days=settings.ORGANISATION_EXPORT_DAYS)

    def download_name(self):
        return f"{self.organisation.slug}-{timezone.localdate(self.requested_at):%Y-%m-%d}.zip"
