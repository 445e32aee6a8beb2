"""Writes to attached files: added within the organisation's quota, deleted with their stored file."""

from django.conf import settings
from django.db import transaction

from peerplan.lib.errors import NotAllowed, Refused
from peerplan.lib.uploads import check_upload, human_size
from peerplan.models import Attachment, Organisation
from peerplan.models.collaboration import organisation_usage


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
                raise Refused(
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
        raise NotAllowed("Only the person who added a file, or a manager, can remove it.")
    with transaction.atomic():
        attachment.delete()


def remove_stored_file(attachment):
    """Delete the stored file after the transaction that removed its row commits (a rolled-back removal
    keeps its file). Called for every deleted attachment, including those an organisation, a checklist or
    an item takes with it (see apps.py)."""
    name, storage = attachment.file.name, attachment.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
