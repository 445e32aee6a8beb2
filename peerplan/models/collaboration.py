"""Colleagues' comments (with @mentions) and attached files on items and actions."""

import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from simple_history.models import HistoricalRecords

from peerplan.lib.freshness import OrganisationData
from peerplan.lib.text import shorten
from peerplan.models.organisations import Membership, Organisation
from peerplan.models.planning import Item, Mitigation

BODY_MAX_LENGTH = 5000


HIDE_REASON_MAX_LENGTH = 500


class CommentQuerySet(models.QuerySet):
    def for_listing(self):
        """What a list of comments shows beside each one, in the same query: the author and who hid it.
        The mentions come in one more query (prefetch)."""
        return self.select_related("author", "hidden_by").prefetch_related("mentions").order_by("created_at", "pk")


class Comment(models.Model):
    """What a member wrote about an item or an action (exactly one of the two), kept with its edits."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="comments")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, null=True, blank=True, related_name="comments")
    mitigation = models.ForeignKey(Mitigation, on_delete=models.CASCADE, null=True, blank=True, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.CharField(max_length=HIDE_REASON_MAX_LENGTH, blank=True)
    history = HistoricalRecords()

    freshness = OrganisationData("organisation")

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(item__isnull=False, mitigation__isnull=True)
                | models.Q(item__isnull=True, mitigation__isnull=False),
                name="comment_on_item_or_action",
            )
        ]
        indexes = [models.Index(fields=["mitigation", "created_at"]), models.Index(fields=["item", "created_at"])]

    def __str__(self):
        return shorten(self.body, 80)

    def earlier_versions(self):
        """Its earlier texts, newest first (one query): its own history records only, those of its
        organisation since it was written. History outlives the rows it describes, so this id may have
        named another organisation's comment before (issue 12)."""
        return list(
            self.history.filter(organisation_id=self.organisation_id, history_date__gte=self.created_at)
            .select_related("history_user")
            .order_by("-history_date")[1:]
        )

    @property
    def is_hidden(self):
        return self.hidden_at is not None

    def anchor(self):
        return f"comment-{self.pk}"

    def target_url(self):
        if self.mitigation_id:
            return reverse("peerplan:mitigation_discussion", args=[self.mitigation_id]) + f"#{self.anchor()}"
        return reverse("peerplan:item", args=[self.item_id]) + f"#{self.anchor()}"

    def change_refused(self, user):
        """Why this person may not edit or delete the comment, or None. Only its author may, and not once a
        manager has hidden it: the hiding notice and its reason stay in the comment's place."""
        if not self.is_by(user):
            return "Only the person who wrote a comment can change or delete it."
        if self.is_hidden:
            return "A manager hid this comment, so it stays as it is, with the reason shown in its place."
        return None

    def can_change(self, user):
        return self.change_refused(user) is None

    def is_by(self, user):
        return user.is_authenticated and self.author_id == user.pk

    def as_html(self):
        return render_comment(self.body, self.mentions.all())


def member_handles(organisation, members=None):
    """{lower-cased handle: user} for every member: their full name, their first name when no other member
    shares it, and their email address. Longest first, so "@Maya Smith" wins over "@Maya". One query, none
    given `members` (the organisation's members' users, as members_of reads them)."""
    if members is None:
        members = [m.user for m in members_of(organisation)]
    first_names = {}
    for user in members:
        if user.first_name:
            first_names.setdefault(user.first_name.strip().lower(), []).append(user)
    handles = {}
    for user in members:
        full = user.get_full_name().strip().lower()
        if full:
            handles.setdefault(full, user)
        first = user.first_name.strip().lower()
        if first and len(first_names[first]) == 1:
            handles.setdefault(first, user)
        if user.email:
            handles.setdefault(user.email.lower(), user)
    return dict(sorted(handles.items(), key=lambda pair: -len(pair[0])))


def members_of(organisation):
    """The organisation's memberships with their users, as member_handles reads them: in the order the pages
    offer them (pages.dashboard.MEMBERS), so a handle two members share names the same one when a comment is
    posted as when it is suggested."""
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__first_name", "user__email", "user__pk")
    )


def mention_suggestions(organisation, members=None):
    """[{name, handle}] for the as-you-type suggestions: the handle a person would type for each member
    (`members`: as member_handles takes them)."""
    handles = member_handles(organisation, members)
    suggestions = {}
    for handle, user in handles.items():
        if "@" in handle:
            continue
        current = suggestions.get(user.pk)
        # The shortest unambiguous name reads best ("@Maya"); the full name when first names clash.
        if current is None or len(handle) < len(current["handle"]):
            as_typed = (
                user.first_name.strip() if handle == user.first_name.strip().lower() else user.get_full_name().strip()
            )
            suggestions[user.pk] = {"name": user.get_full_name() or user.first_name, "handle": as_typed}
    for user in handles.values():
        if user.pk not in suggestions:
            suggestions[user.pk] = {"name": user.email, "handle": user.email}
    return sorted(suggestions.values(), key=lambda s: s["name"].lower())


def _mention_spans(body, handles):
    """[(start, end, user)] of every @mention of a member in the text, left to right."""
    spans = []
    lowered = body.lower()
    for match in re.finditer(r"(?<![\w@.])@", body):
        start = match.end()
        for handle, user in handles.items():
            end = start + len(handle)
            if lowered.startswith(handle, start) and (
                end == len(body) or not (body[end].isalnum() or body[end] == "_")
            ):
                spans.append((match.start(), end, user))
                break
    return spans


def find_mentions(body, organisation):
    """The members mentioned in the text (each once); a mention of anyone else is plain text."""
    seen = {}
    for _, _, user in _mention_spans(body, member_handles(organisation)):
        seen.setdefault(user.pk, user)
    return list(seen.values())


URL_PATTERN = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


# Punctuation that ends a sentence is not part of the link it follows.
TRAILING = ".,;:!?)]}'\""


def _linkify(text):
    """Escape the text and make its http(s) addresses links; nothing else becomes markup."""
    out, position = [], 0
    for match in URL_PATTERN.finditer(text):
        url = match.group(0)
        stripped = url.rstrip(TRAILING)
        out.append(escape(text[position : match.start()]))
        out.append(f'<a href="{escape(stripped)}" rel="nofollow noopener noreferrer">{escape(stripped)}</a>')
        out.append(escape(url[len(stripped) :]))
        position = match.end()
    out.append(escape(text[position:]))
    return "".join(out)


def _with_mentions(text, mentioned):
    """Escaped, linked text with the mentions of `mentioned` members marked up (the rest stays text)."""
    if not mentioned:
        return _linkify(text)
    handles = {}
    for user in mentioned:
        for handle in {
            user.get_full_name().strip().lower(),
            user.first_name.strip().lower(),
            (user.email or "").lower(),
        }:
            if handle:
                handles.setdefault(handle, user)
    handles = dict(sorted(handles.items(), key=lambda pair: -len(pair[0])))
    out, position = [], 0
    for start, end, _user in _mention_spans(text, handles):
        out.append(_linkify(text[position:start]))
        out.append(f'<strong class="mention">{escape(text[start:end])}</strong>')
        position = end
    out.append(_linkify(text[position:]))
    return "".join(out)


def render_comment(body, mentioned=()):
    """Plain text as HTML: paragraphs at blank lines, line breaks within them, links and mentions."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body.replace("\r\n", "\n").strip()) if p.strip()]
    html = "".join(
        "<p>" + "<br>".join(_with_mentions(line, list(mentioned)) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
    )
    return mark_safe(html)  # noqa: S308 - every piece of the person's text went through escape() above


def storage_name(instance, filename):
    """Where a file is stored: by organisation, under a random name that says nothing of the original
    (the original name lives in the database and is only given back by the download view)."""
    return f"{storage_folder(instance.organisation_id)}/{uuid.uuid4().hex}"


def storage_folder(organisation_id):
    """The folder of the organisation's stored files (emptied when it is purged)."""
    return f"attachments/{organisation_id}"


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

    freshness = OrganisationData("organisation")

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


def organisation_usage(organisation):
    return Attachment.objects.filter(organisation=organisation).aggregate(total=Sum("size"))["total"] or 0
