"""Writes to comments: posted, edited, deleted and hidden."""

from django.db import transaction
from django.utils import timezone

from peerplan.lib.errors import Refused
from peerplan.models import Comment
from peerplan.models.collaboration import BODY_MAX_LENGTH, HIDE_REASON_MAX_LENGTH, find_mentions
from peerplan.notify import events


def _clean_body(body):
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Refused("Write your comment before posting it.")
    if len(body) > BODY_MAX_LENGTH:
        raise Refused(f"A comment can be at most {BODY_MAX_LENGTH:,} characters; this one has {len(body):,}.")
    return body


def post_comment(*, body, by, organisation, item=None, mitigation=None):
    """A new comment, its mentions, and the notifications it causes, in one transaction."""
    body = _clean_body(body)
    with transaction.atomic():
        comment = Comment.objects.create(
            organisation=organisation, item=item, mitigation=mitigation, author=by, body=body
        )
        mentioned = find_mentions(body, organisation)
        comment.mentions.set(mentioned)
        events.comment_posted(comment, mentioned=mentioned)
    return comment


def edit_comment(*, comment, body, by):
    """The author changes their comment; the earlier text stays in its history. Newly mentioned members
    are told; those already mentioned are not told again."""
    if refused := comment.change_refused(by):
        raise Refused(refused)
    body = _clean_body(body)
    with transaction.atomic():
        before = set(comment.mentions.values_list("pk", flat=True))
        comment.body = body
        comment.edited_at = timezone.now()
        comment.save()
        mentioned = find_mentions(body, comment.organisation)
        comment.mentions.set(mentioned)
        events.comment_posted(comment, mentioned=[u for u in mentioned if u.pk not in before], edited=True)
    return comment


def delete_comment(*, comment, by):
    if refused := comment.change_refused(by):
        raise Refused(refused)
    with transaction.atomic():
        comment.delete()


def hide_comment(*, comment, by, reason):
    """A manager hides a comment from everyone, saying why; its text stays in the history."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Say why you are hiding this comment; the reason is shown in its place.")
    if len(reason) > HIDE_REASON_MAX_LENGTH:
        raise Refused(f"The reason can be at most {HIDE_REASON_MAX_LENGTH} characters.")
    with transaction.atomic():
        comment.hidden_at = timezone.now()
        comment.hidden_by = by
        comment.hidden_reason = reason
        comment.save()
    return comment
