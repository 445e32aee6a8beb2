"""Notifications to one person, their choices of channel, and the reminder emails already sent."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from peerplan.lib.freshness import NOT_SHOWN
from peerplan.models.organisations import Membership, Organisation, display_name, readable_organisations
from peerplan.models.planning import Item, Mitigation


class Kind(models.TextChoices):
    ASSIGNED = "assigned", "An action is assigned to you"
    MENTIONED = "mentioned", "You are mentioned in a comment"
    COMMENTED = "commented", "A comment on an action you own"
    OVERDUE = "overdue", "An action you own is overdue"
    REREVIEW = "rereview", "A decision you made is due for re-review"
    MEMBERSHIP = "membership", "You are invited to an organisation or your role changes"
    NETWORK = "network", "A network invites an organisation you own"
    DIGEST = "digest", "Daily digest of your overdue actions and those due soon"
    EXPORT = "export", "An export of your organisation's data is ready"


class Channel(models.TextChoices):
    EMAIL = "email", "In PeerPlan and by email"
    IN_APP = "in_app", "In PeerPlan only"
    OFF = "off", "Off"


# What a person gets before they choose: email for what asks something of them now (an assignment, a
# mention, an invitation or a new role) and the daily digest; the rest is shown in PeerPlan only.
DEFAULTS = {
    Kind.ASSIGNED: Channel.EMAIL,
    Kind.MENTIONED: Channel.EMAIL,
    Kind.COMMENTED: Channel.IN_APP,
    Kind.OVERDUE: Channel.IN_APP,
    Kind.REREVIEW: Channel.IN_APP,
    Kind.MEMBERSHIP: Channel.EMAIL,
    Kind.NETWORK: Channel.EMAIL,
    Kind.DIGEST: Channel.EMAIL,
    Kind.EXPORT: Channel.EMAIL,
}


# The digest is an email or nothing: there is nothing to show in PeerPlan that My actions does not.
CHANNELS = {kind: list(Channel) for kind in Kind} | {Kind.DIGEST: [Channel.EMAIL, Channel.OFF]}


class EmailStatus(models.TextChoices):
    NONE = "none", "Not to be emailed"
    PENDING = "pending", "Waiting to be emailed"
    SENT = "sent", "Emailed"
    SKIPPED = "skipped", "Not emailed (no address, or no longer a member)"


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """What a person sees of their notifications now. Each line is rendered from the live action,
        comment or item, so it is re-checked here, at display: only organisations whose data the person may
        read now (still a member, past its two-factor rule). An invitation is the exception: it is about an
        organisation they are not in yet, and says only who invited them, where and as what."""
        return self.filter(recipient=user).filter(
            models.Q(organisation__in=readable_organisations(user)) | ~models.Q(invitation_token="")
        )

    def hidden_by_two_factor(self, user):
        """The person's notifications of organisations they belong to but may not read until they set up
        two-factor: counted on the notifications page, so nothing is silently missing."""
        waiting = Membership.objects.live().filter(user=user).exclude(organisation__in=readable_organisations(user))
        return self.filter(recipient=user, organisation__in=waiting.values("organisation_id"))

    def unread(self):
        return self.filter(read_at__isnull=True)

    def email_queue(self, now):
        """The email queue's figures in one query: notifications waiting for their email (`queued`), those
        of them whose batching delay is over, so the next send_notifications run sends them (`due`), those
        a failed send put back (`retrying`), and when the longest-waiting due one fell due (`oldest_due`,
        None when none is due). A `due` that only grows means emails are not going out."""
        is_due = models.Q(email_after__lte=now)
        return self.filter(email_status=EmailStatus.PENDING).aggregate(
            queued=models.Count("pk"),
            due=models.Count("pk", filter=is_due),
            retrying=models.Count("pk", filter=models.Q(attempts__gt=0)),
            oldest_due=models.Min("email_after", filter=is_due),
        )

    def for_listing(self):
        """Everything a notification's line shows and links to, in the same query."""
        return self.select_related(
            "actor",
            "organisation",
            "mitigation",
            "item__finding__theme",
            "comment",
            "membership",
            "network_membership__network",
        ).order_by("-created_at", "-pk")


def email_fields(channel, now):
    """How a new notification waits for its email: by email, pending until NOTIFICATION_EMAIL_DELAY has
    passed (so several within it make one email); in PeerPlan only, never emailed."""
    if channel == Channel.EMAIL:
        return {
            "email_status": EmailStatus.PENDING,
            "email_after": now + timedelta(seconds=settings.NOTIFICATION_EMAIL_DELAY),
        }
    return {"email_status": EmailStatus.NONE, "email_after": None}


class Notification(models.Model):
    """Something that happened to one person, shown in PeerPlan until read, and emailed if they chose so."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # What it is about: deleting the object takes its notifications with it, so no link ever leads nowhere.
    mitigation = models.ForeignKey(Mitigation, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    comment = models.ForeignKey("peerplan.Comment", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    network_membership = models.ForeignKey(
        "peerplan.NetworkMembership", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    invitation_token = models.CharField(max_length=64, blank=True)
    role = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Email delivery: pending ones are sent from email_after; a run claims them until claimed_until.
    email_status = models.CharField(max_length=8, choices=EmailStatus.choices, default=EmailStatus.NONE)
    email_after = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    freshness = NOT_SHOWN  # per person, shown only in the navigation's count (never cached)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # For notifications made by a scheduled run (overdue, re-review): one per action and due date.
    dedupe_key = models.CharField(max_length=100, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_status", "email_after"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="one_scheduled_notification_per_event",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient}"

    @property
    def is_unread(self):
        return self.read_at is None

    def target_url(self):
        """Where the notification leads: the comment, the action, the item, or the organisation."""
        if self.comment_id:
            return self.comment.target_url()
        if self.mitigation_id:
            return reverse("peerplan:mitigation_discussion", args=[self.mitigation_id])
        if self.item_id:
            return reverse("peerplan:item", args=[self.item_id])
        if self.invitation_token:
            return reverse("peerplan:invitation_accept", args=[self.invitation_token])
        if self.network_membership_id:
            return reverse("peerplan:organisation_network", args=[self.organisation.slug, self.network_membership_id])
        if self.kind == Kind.EXPORT:
            return reverse("peerplan:organisation_export", args=[self.organisation.slug])
        return reverse("peerplan:organisation", args=[self.organisation.slug])

    def subject_line(self):
        """One line saying what happened, in plain words (the template escapes it)."""
        # No actor: PeerPlan itself (a scheduled command); a deleted person's is the former members' account.
        who = capfirst(display_name(self.actor)) if self.actor else "PeerPlan"
        action = _quote(self.mitigation.action) if self.mitigation_id else ""
        if self.kind == Kind.ASSIGNED:
            return f"{who} assigned you an action: {action}"
        if self.kind == Kind.MENTIONED:
            return f"{who} mentioned you in a comment on {self._about()}"
        if self.kind == Kind.COMMENTED:
            return f"{who} commented on your action {action}"
        if self.kind == Kind.OVERDUE:
            return f"Your action is overdue: {action}"
        if self.kind == Kind.REREVIEW:
            return f"A decision you made is due for re-review: “{self.item.finding.theme.name}” does not apply"
        if self.kind == Kind.MEMBERSHIP:
            role = self.role.capitalize() if self.role else ""
            if self.invitation_token:
                return f"{who} invited you to join {self.organisation.name} as {role.lower() or 'a member'}"
            return f"{who} made you {role.lower()} in {self.organisation.name}"
        if self.kind == Kind.NETWORK:
            network = self.network_membership.network.name
            return f"{who} invited {self.organisation.name} to share its progress with {network}: an owner answers"
        if self.kind == Kind.EXPORT:
            days = settings.ORGANISATION_EXPORT_DAYS
            return f"The export of {self.organisation.name}'s data is ready: you can download it for {days} days"
        return self.get_kind_display()

    def _about(self):
        if self.mitigation_id:
            return f"the action {_quote(self.mitigation.action)}"
        if self.item_id:
            return f"“{self.item.finding.theme.name}”"
        return self.organisation.name


class NotificationPreference(models.Model):
    """How one person wants to hear about one kind of notification (the default when there is no row)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)

    freshness = NOT_SHOWN  # a person's own settings, on a page that is not cached

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self):
        return f"{self.user}: {self.kind} {self.channel}"


def _quote(text, limit=80):
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def preferences(user):
    """{kind: channel} for every kind, the defaults filled in (one query)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return {kind: chosen.get(kind, DEFAULTS[kind]) for kind in Kind}


def channel_for(user, kind):
    chosen = NotificationPreference.objects.filter(user=user, kind=kind).values_list("channel", flat=True).first()
    return chosen or DEFAULTS[kind]


class Reminder(models.Model):
    """A reminder email sent to one person on one day, so a cron run every hour sends at most one a day."""

    class Kind(models.TextChoices):
        ACTIONS = "actions", "Actions digest"
        REVIEWS = "reviews", "Checklists past review date"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    freshness = NOT_SHOWN  # a record of emails sent, shown on no page

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "sent_on"], name="one_reminder_per_kind_per_day")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient} on {self.sent_on}"
