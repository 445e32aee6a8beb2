"""The discussion of an item or an action: its comments and attached files, and what the forms to add
them need to say."""

from django.conf import settings

from peerplan.lib import uploads
from peerplan.models import collaboration


def discussion(*, membership, item=None, mitigation=None):
    """What the comments and attachments sections of an item or an action page show, in a fixed number of
    queries: comments with their authors (1) and mentions (1), attachments (1), removed attachments (1),
    the members one can mention (1)."""
    target = {"item": item} if item is not None else {"mitigation": mitigation}
    organisation = (item or mitigation).checklist.organisation
    removed = (
        # Of this organisation only: the id may have named another organisation's item before (issue 12).
        collaboration.Attachment.history.filter(
            history_type="-",
            organisation_id=organisation.pk,
            **{f"{key}_id": value.pk for key, value in target.items()},
        )
        .select_related("history_user")
        .order_by("-history_date")
    )
    return {
        "comments": list(collaboration.Comment.objects.filter(**target).for_listing()),
        "attachments": list(collaboration.Attachment.objects.filter(**target).for_listing()),
        "removed_attachments": list(removed),
        "mention_suggestions": collaboration.mention_suggestions(organisation),
        "comment_max_length": collaboration.BODY_MAX_LENGTH,
        "attachment_limit": uploads.human_size(settings.ATTACHMENT_MAX_BYTES),
        "attachment_types": uploads.ALLOWED_IN_WORDS,
        "attachment_accept": ",".join(uploads.ALLOWED),
        "collaboration_membership": membership,
    }
