"""Attachments on items and actions: the job description, the supervision policy, the minutes that show an
action is done.

Files go through Django's storage API (the filesystem under MEDIA_ROOT by default, S3-compatible storage
when configured) under names nobody can guess or choose, and are only ever served by the download view,
which checks the person's organisation. What a file is, is decided by its content, never by its name or
the browser's word: only the types on the allow-list below are kept.
"""

import os
import re
import unicodedata
import uuid
import zipfile

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Sum
from django.utils import timezone
from simple_history.models import HistoricalRecords

from peerplan.models import Item, Mitigation, Organisation


class AttachmentRefused(Exception):
    """An upload that is not kept; the message is written for the person who tried."""


def storage_name(instance, filename):
    """Where a file is stored: by organisation, under a random name that says nothing of the original
    (the original name lives in the database and is only given back by the download view)."""
    return f"attachments/{instance.organisation_id}/{uuid.uuid4().hex}"


class AttachmentQuerySet(models.QuerySet):
    def for_listing(self):
        return self.select_related("added_by").order_by("added_at", "pk")


class Attachment(models.Model):
    """A file kept on an item or an action (exactly one of the two) as evidence of the work."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="attachments")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    mitigation = models.ForeignKey(
        Mitigation, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=storage_name, max_length=200)
    name = models.CharField("file name", max_length=200)
    content_type = models.CharField(max_length=100)
    type_label = models.CharField(max_length=60)
    size = models.PositiveBigIntegerField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(item__isnull=False, mitigation__isnull=True)
                | models.Q(item__isnull=True, mitigation__isnull=False),
                name="attachment_on_item_or_action",
            )
        ]

    def __str__(self):
        return self.name

    def can_delete(self, user, membership):
        """The person who added it, or a manager or owner."""
        return membership.can_manage or (membership.can_edit and self.added_by_id == user.pk)


# What is allowed, by content ----------------------------------------------------------------------

PDF, IMAGE, WORD, EXCEL, POWERPOINT, OPENDOC, TEXT, CSV = (
    "PDF",
    "Image",
    "Word document",
    "Excel workbook",
    "PowerPoint presentation",
    "OpenDocument file",
    "Text",
    "CSV",
)

# extension: (label, content type it is served as)
ALLOWED = {
    ".pdf": (PDF, "application/pdf"),
    ".png": (IMAGE, "image/png"),
    ".jpg": (IMAGE, "image/jpeg"),
    ".jpeg": (IMAGE, "image/jpeg"),
    ".gif": (IMAGE, "image/gif"),
    ".webp": (IMAGE, "image/webp"),
    ".docx": (WORD, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": (EXCEL, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pptx": (POWERPOINT, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ".doc": (WORD, "application/msword"),
    ".xls": (EXCEL, "application/vnd.ms-excel"),
    ".ppt": (POWERPOINT, "application/vnd.ms-powerpoint"),
    ".odt": (OPENDOC, "application/vnd.oasis.opendocument.text"),
    ".ods": (OPENDOC, "application/vnd.oasis.opendocument.spreadsheet"),
    ".odp": (OPENDOC, "application/vnd.oasis.opendocument.presentation"),
    ".txt": (TEXT, "text/plain; charset=utf-8"),
    ".md": (TEXT, "text/plain; charset=utf-8"),
    ".csv": (CSV, "text/csv; charset=utf-8"),
}
ALLOWED_IN_WORDS = (
    "PDF, Word, Excel, PowerPoint or OpenDocument files, images (PNG, JPEG, GIF, WebP), plain text or CSV"
)

OOXML_PARTS = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
ODF_TYPES = {
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Text that a browser would treat as a page or a drawing if it were ever opened in place.
MARKUP = re.compile(rb"^\s*<(\?xml|!doctype|html|svg|script|head|body|iframe|object)\b", re.IGNORECASE)


def _content_is(extension, upload):
    """True when the file's content is what its extension says."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if extension == ".pdf":
        return head.startswith(b"%PDF-")
    if extension == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension == ".gif":
        return head[:6] in (b"GIF87a", b"GIF89a")
    if extension == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension in (".doc", ".xls", ".ppt"):
        return head.startswith(OLE2)
    if extension in OOXML_PARTS or extension in ODF_TYPES:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
                if extension in ODF_TYPES:
                    return "mimetype" in names and archive.read("mimetype").strip() == ODF_TYPES[extension].encode()
                # Macros are code: a macro-enabled document renamed to .docx is refused.
                if any(name.lower().endswith("vbaproject.bin") for name in names):
                    return False
                return "[Content_Types].xml" in names and any(n.startswith(OOXML_PARTS[extension]) for n in names)
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
            return False
        finally:
            upload.seek(0)
    if extension in (".txt", ".md", ".csv"):
        sample = head.removeprefix(b"\xef\xbb\xbf")
        if b"\x00" in sample or MARKUP.match(sample):
            return False
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as error:
            # The sample may end inside a character; only a fault before its last 3 bytes counts.
            if error.start < len(sample) - 3:
                return False
        return True
    return False


def safe_file_name(name):
    """The name the file is offered under: no directories, no control characters or quotes, at most 150
    characters, and never empty."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*;')
    name = " ".join(name.split()).strip(". ")
    stem, extension = os.path.splitext(name)
    if len(name) > 150:
        name = stem[: 150 - len(extension)] + extension
    return name or "attachment"


def check_upload(upload):
    """(safe name, label, content type) for a file that may be kept, or AttachmentRefused saying why."""
    name = safe_file_name(upload.name)
    extension = os.path.splitext(name)[1].lower()
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise AttachmentRefused(
            f"“{name}” is {human_size(upload.size)}; files can be at most {human_size(limit)}. "
            "Make it smaller (for example, save a PDF at a lower quality) or attach a link to it in a comment."
        )
    if upload.size == 0:
        raise AttachmentRefused(f"“{name}” is empty.")
    if extension not in ALLOWED:
        raise AttachmentRefused(f"“{name}” is not a type PeerPlan keeps. Attach {ALLOWED_IN_WORDS}.")
    if not _content_is(extension, upload):
        raise AttachmentRefused(
            f"“{name}” is called a {extension} file, but its content is not one. Attach {ALLOWED_IN_WORDS}, "
            "saved in that format."
        )
    label, content_type = ALLOWED[extension]
    return name, label, content_type


def human_size(size):
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1024
    return f"{size} bytes"


def organisation_usage(organisation):
    return Attachment.objects.filter(organisation=organisation).aggregate(total=Sum("size"))["total"] or 0


# Operations -------------------------------------------------------------------------------------


def add_attachment(*, upload, by, organisation, item=None, mitigation=None):
    """Keep a file on an item or an action, or refuse it with a reason. Either the file and its row are
    both kept, or neither: a failure after the file is stored removes it again."""
    name, label, content_type = check_upload(upload)
    stored = None
    try:
        with transaction.atomic():
            # One upload at a time per organisation, so two at once cannot both squeeze under the limit.
            Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
            used = organisation_usage(organisation)
            quota = settings.ATTACHMENT_ORGANISATION_MAX_BYTES
            if used + upload.size > quota:
                raise AttachmentRefused(
                    f"“{name}” would take {organisation.name} over its {human_size(quota)} of attachments "
                    f"({human_size(used)} are used). Ask a manager to remove files that are no longer needed."
                )
            attachment = Attachment(
                organisation=organisation,
                item=item,
                mitigation=mitigation,
                name=name,
                content_type=content_type,
                type_label=label,
                size=upload.size,
                added_by=by,
            )
            upload.seek(0)
            attachment.file.save(name, upload, save=False)
            stored = attachment.file.name
            attachment.save()
    except BaseException:
        if stored:
            attachment.file.storage.delete(stored)
        raise
    return attachment


def delete_attachment(*, attachment, by, membership):
    """Remove a file: its row (the history keeps the removal, with who and when) and the stored file once
    the removal is committed."""
    if not attachment.can_delete(by, membership):
        raise AttachmentRefused("Only the person who added a file, or a manager, can remove it.")
    with transaction.atomic():
        attachment.delete()


def remove_stored_file(attachment):
    """Delete the stored file after the transaction that removed its row commits (a rolled-back removal
    keeps its file). Called for every deleted attachment, including those an organisation, a checklist or
    an item takes with it (see apps.py)."""
    name, storage = attachment.file.name, attachment.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def stored_names(organisation_id):
    """Every stored file of an organisation, for checks and clean-up."""
    return list(Attachment.objects.filter(organisation_id=organisation_id).values_list("file", flat=True))


__all__ = ["Attachment", "AttachmentRefused", "add_attachment", "default_storage"]
