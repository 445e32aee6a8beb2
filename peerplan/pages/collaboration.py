"""The discussion of an item or an action: its comments and attached files, and what the forms to add
them need to say."""

import copy

from django.conf import settings

from peerplan.lib import uploads
from peerplan.lib.kept_parts import kept
from peerplan.lib.prepared import PreparedQuery, as_prefetched
from peerplan.models import MEMBER_NAME_FIELDS, MemberName, collaboration
from peerplan.pages.dashboard import MEMBERS


def _removed(organisation_id, target, target_id):
    # Of this organisation only: the id may have named another organisation's item before (issue 12).
    return (
        collaboration.Attachment.history.filter(
            history_type="-", organisation_id=organisation_id, **{f"{target}_id": target_id}
        )
        .select_related("history_user")
        .order_by("-history_date")
    )


def _queries(target):
    """discussion's queries for an item's or an action's (`target`) discussion, compiled once per process
    (peerplan/lib/prepared.py): building and compiling them cost the item page more than running them. The
    comments' mentions are read as prefetching them would (a prepared query cannot prefetch), and the members
    with only what their handles need (collaboration.member_handles). None reads an action (an action's comments
    and files are rows of their own, written apart from it), so a change to an action leaves them kept."""
    return {
        "comments": PreparedQuery(
            lambda target_id: (
                collaboration.Comment.objects.filter(**{f"{target}_id": target_id}).for_listing().prefetch_related(None)
            ),
            without_actions=True,
        ),
        "mentions": PreparedQuery(
            lambda target_id: collaboration.Comment.mentions.through.objects.filter(
                **{f"comment__{target}_id": target_id}
            ).select_related("user"),
            without_actions=True,
        ),
        "attachments": PreparedQuery(
            lambda target_id: collaboration.Attachment.objects.filter(**{f"{target}_id": target_id}).for_listing(),
            without_actions=True,
        ),
        "removed": PreparedQuery(
            lambda organisation_id, target_id: _removed(organisation_id, target, target_id), without_actions=True
        ),
    }


QUERIES = {"item": _queries("item"), "mitigation": _queries("mitigation")}


# One organisation's members a list: a few hundred organisations' per worker.
MENTION_SUGGESTIONS_KEPT = 256


@kept(maxsize=MENTION_SUGGESTIONS_KEPT)
def mention_suggestions(members):
    """collaboration.mention_suggestions for `members` (rows of MEMBER_NAME_FIELDS, in the order
    collaboration.members_of reads them), kept by this process for them: worked out from nothing else, so they
    are its whole key (a large organisation's hundred members' handles took a third of its discussion's time on
    every miss). Shared by the pages of those members, so read, never changed."""
    return tuple(collaboration.mention_suggestions(None, [MemberName(*row) for row in members]))


def _with_mentions(comments, links):
    """Copies of `comments` with the people each mentions (from `links`, the mentions' through rows with their
    users) where prefetch_related("mentions") puts them: comment.mentions.all() reads them. Copies, since the
    comments read may be kept for other requests (page_cache), which are read, never changed."""
    mentioned = {}
    for link in links:
        mentioned.setdefault(link.comment_id, []).append(link.user)
    return as_prefetched([copy.copy(comment) for comment in comments], "mentions", mentioned)


def discussion(*, membership, item=None, mitigation=None, members=None):
    """What the comments and attachments sections of an item or an action page show, in a fixed number of
    queries: comments with their authors (1) and mentions (1, none without comments), attachments (1),
    removed attachments (1), the members one can mention (1; none when the page passes `members`, the
    organisation's dashboard.MEMBERS rows, which it reads for the actions' owners too)."""
    target, target_id = ("item", item.pk) if item is not None else ("mitigation", mitigation.pk)
    queries = QUERIES[target]
    organisation = (item or mitigation).checklist.organisation
    if members is None:
        members = MEMBERS(organisation_id=organisation.pk)
    comments = queries["comments"](target_id=target_id)
    if comments:
        comments = _with_mentions(comments, queries["mentions"](target_id=target_id))
    return {
        "comments": comments,
        "attachments": queries["attachments"](target_id=target_id),
        "removed_attachments": queries["removed"](organisation_id=organisation.pk, target_id=target_id),
        "mention_suggestions": mention_suggestions(tuple(row[: len(MEMBER_NAME_FIELDS)] for row in members)),
        "comment_max_length": collaboration.BODY_MAX_LENGTH,
        "attachment_limit": uploads.human_size(settings.ATTACHMENT_MAX_BYTES),
        "attachment_types": uploads.ALLOWED_IN_WORDS,
        "attachment_accept": ",".join(uploads.ALLOWED),
        "collaboration_membership": membership,
    }
