"""Notifications: what happened to a person (assigned an action, mentioned, a comment on an action they own,
an action of theirs overdue, a decision of theirs due for re-review, invited or their role changed), shown
in PeerPlan and, when they chose so, emailed.

A page records a notification inside its own transaction and never sends email: `send_notifications`
(cron, every minute) sends what is due. Emails are batched per person: a notification waits
NOTIFICATION_EMAIL_DELAY seconds, and everything pending for that person then goes in one email. A run
claims a person's pending notifications in a short transaction (row locks skipped by a concurrent run on
PostgreSQL; SQLite's write lock serialises the claim) and marks them sent only once the mail server took
the email; a refusal releases the claim, so they are tried again on a later run and never sent twice.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from peerplan.models import Item, Membership, Mitigation, Organisation, Role, readable_organisations

log = logging.getLogger(__name__)


class Kind(models.TextChoices):
    ASSIGNED = "assigned", "An action is assigned to you"
    MENTIONED = "mentioned", "You are mentioned in a comment"
    COMMENTED = "commented", "A comment on an action you own"
    OVERDUE = "overdue", "An action you own is overdue"
    REREVIEW = "rereview", "A decision you made is due for re-review"
    MEMBERSHIP = "membership", "You are invited to an organisation or your role changes"
    NETWORK = "network", "A network invites an organisation you own"
    DIGEST = "digest", "Daily digest of your overdue actions and those due soon"


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
        waiting = Membership.objects.filter(user=user).exclude(organisation__in=readable_organisations(user))
        return self.filter(recipient=user, organisation__in=waiting.values("organisation_id"))

    def unread(self):
        return self.filter(read_at__isnull=True)

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
        return reverse("peerplan:organisation", args=[self.organisation.slug])

    def subject_line(self):
        """One line saying what happened, in plain words (the template escapes it)."""
        who = person_name(self.actor) if self.actor else "Someone"
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

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self):
        return f"{self.user}: {self.kind} {self.channel}"


def person_name(user):
    return user.get_full_name() or user.first_name or user.email or user.username


def _quote(text, limit=80):
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


# Preferences -------------------------------------------------------------------------------------


def preferences(user):
    """{kind: channel} for every kind, the defaults filled in (one query)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return {kind: chosen.get(kind, DEFAULTS[kind]) for kind in Kind}


def channel_for(user, kind):
    chosen = NotificationPreference.objects.filter(user=user, kind=kind).values_list("channel", flat=True).first()
    return chosen or DEFAULTS[kind]


def set_preferences(*, user, choices):
    """Save {kind: channel}; a channel a kind does not offer is refused before anything is saved."""
    for kind, channel in choices.items():
        if kind not in Kind.values or channel not in CHANNELS[kind]:
            raise ValueError(f"{channel!r} is not a choice for {kind!r}")
    with transaction.atomic():
        for kind, channel in choices.items():
            NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})


# Recording (inside the caller's transaction) --------------------------------------------------------


def email_delay():
    return timedelta(seconds=settings.NOTIFICATION_EMAIL_DELAY)


def record(*, recipient, kind, organisation, actor=None, now=None, **about):
    """One notification for `recipient` as they chose (none when they turned the kind off). Nobody is
    told about what they did themselves."""
    if recipient is None or (actor is not None and recipient.pk == actor.pk):
        return None
    channel = channel_for(recipient, kind)
    if channel == Channel.OFF:
        return None
    now = now or timezone.now()
    emailed = channel == Channel.EMAIL
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        organisation=organisation,
        actor=actor,
        created_at=now,
        email_status=EmailStatus.PENDING if emailed else EmailStatus.NONE,
        email_after=now + email_delay() if emailed else None,
        **about,
    )


def assigned(*, mitigation, previous_owner_id, by=None):
    """Called by every operation that sets an action's owner: the new owner hears of it once."""
    if mitigation.owner_id is None or mitigation.owner_id == previous_owner_id:
        return None
    organisation = mitigation.checklist.organisation
    # The owner drop-down lists members only, but an API or a restore may name anyone: a non-member is not told.
    if not Membership.objects.filter(organisation=organisation, user_id=mitigation.owner_id).exists():
        return None
    return record(
        recipient=mitigation.owner, kind=Kind.ASSIGNED, organisation=organisation, actor=by, mitigation=mitigation
    )


def comment_posted(comment, *, mentioned, edited=False):
    """Mentioned members hear of the comment; the action's owner hears of a new comment on it (once,
    as a mention if they were mentioned)."""
    about = {"comment": comment, "mitigation": comment.mitigation, "item": comment.item}
    told = set()
    for user in mentioned:
        record(recipient=user, kind=Kind.MENTIONED, organisation=comment.organisation, actor=comment.author, **about)
        told.add(user.pk)
    mitigation = comment.mitigation
    if not edited and mitigation is not None and mitigation.owner_id and mitigation.owner_id not in told:
        if Membership.objects.filter(organisation=comment.organisation, user_id=mitigation.owner_id).exists():
            record(
                recipient=mitigation.owner,
                kind=Kind.COMMENTED,
                organisation=comment.organisation,
                actor=comment.author,
                **about,
            )


def invited(*, invitation, by=None):
    """Someone who already has an account hears of an invitation to their email address."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(email__iexact=invitation.email).order_by("pk").first()
    if user is None:
        return None
    return record(
        recipient=user,
        kind=Kind.MEMBERSHIP,
        organisation=invitation.organisation,
        actor=by,
        invitation_token=invitation.token,
        role=invitation.role,
    )


def network_invited(*, network_membership, by=None):
    """Every owner of the invited organisation hears of a network's invitation: only an owner can answer it."""
    owners = Membership.objects.filter(organisation_id=network_membership.organisation_id, role=Role.OWNER)
    for owner in owners.select_related("user"):
        record(
            recipient=owner.user,
            kind=Kind.NETWORK,
            organisation=network_membership.organisation,
            actor=by,
            network_membership=network_membership,
        )


def role_changed(*, membership, by=None):
    return record(
        recipient=membership.user,
        kind=Kind.MEMBERSHIP,
        organisation=membership.organisation,
        actor=by,
        membership=membership,
        role=membership.role,
    )


# Made by the scheduled run: an action became overdue, a decision is due for re-review ----------------


def record_scheduled(today, now=None):
    """Notifications for actions that became overdue and "does not apply" decisions due for re-review,
    once per action and due date (or item and re-review date), however often it runs. Returns how many."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce

    now = now or timezone.now()
    made = 0
    overdue = (
        Mitigation.objects.overdue(today)
        .on_current_checklists()
        .filter(owner__isnull=False, checklist__organisation__memberships__user=models.F("owner"))
        .select_related("checklist", "owner")
    )
    candidates = [
        (m.owner, f"overdue:{m.pk}:{m.due_date}", {"mitigation": m}, m.checklist.organisation_id) for m in overdue
    ]
    # Its organisation's records only: the id may have named another organisation's item before (issue 12).
    last_changed_by = (
        Item.history.filter(id=OuterRef("pk"), organisation_id=OuterRef("checklist__organisation_id"))
        .order_by("-history_date")
        .values("history_user")[:1]
    )
    rereview = (
        Item.objects.rereview_due(today)
        .exclude(checklist__status="archived")
        # Who decided: the item records it since the review state (planning); earlier decisions only in
        # its history.
        .annotate(decider=Coalesce("decided_by", Subquery(last_changed_by), output_field=models.IntegerField()))
        .filter(decider__isnull=False, checklist__organisation__memberships__user=models.F("decider"))
        .select_related("checklist")
    )
    users = {}
    rereview_candidates = list(rereview)
    if rereview_candidates:
        from django.contrib.auth import get_user_model

        ids = {item.decider for item in rereview_candidates}
        users = get_user_model().objects.in_bulk(ids)
    candidates += [
        (users[i.decider], f"rereview:{i.pk}:{i.rereview_on}", {"item": i}, i.checklist.organisation_id)
        for i in rereview_candidates
        if i.decider in users
    ]
    if not candidates:
        return 0
    keys = {key for _, key, _, _ in candidates}
    done = set(Notification.objects.filter(dedupe_key__in=keys).values_list("recipient_id", "dedupe_key"))
    chosen = {}
    for row in NotificationPreference.objects.filter(
        user_id__in={user.pk for user, *_ in candidates}, kind__in=[Kind.OVERDUE, Kind.REREVIEW]
    ).values_list("user_id", "kind", "channel"):
        chosen[row[0], row[1]] = row[2]
    rows = []
    for user, key, about, organisation_id in candidates:
        if (user.pk, key) in done:
            continue
        kind = Kind.OVERDUE if key.startswith("overdue") else Kind.REREVIEW
        channel = chosen.get((user.pk, kind), DEFAULTS[kind])
        if channel == Channel.OFF:
            continue
        emailed = channel == Channel.EMAIL
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                organisation_id=organisation_id,
                dedupe_key=key,
                created_at=now,
                email_status=EmailStatus.PENDING if emailed else EmailStatus.NONE,
                email_after=now + email_delay() if emailed else None,
                **about,
            )
        )
        made += 1
    # Two runs at once may both make the same row: the unique constraint keeps one, the other is ignored.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return made


# Reading and marking ------------------------------------------------------------------------------


def unread_count(user):
    return Notification.objects.visible_to(user).unread().count()


def context(request):
    """The bell's unread count for the navigation: one query, only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counted = []

    def unread_notifications():
        if not counted:
            counted.append(unread_count(user))
        return counted[0]

    return {"unread_notifications": unread_notifications}


def mark_read(*, user, pk=None, now=None):
    """Mark one of the person's notifications read (or all of them when pk is None); returns how many."""
    queryset = Notification.objects.visible_to(user).unread()
    if pk is not None:
        queryset = queryset.filter(pk=pk)
    return queryset.update(read_at=now or timezone.now())


# Unsubscribe links: signed, expiring, usable without signing in --------------------------------------

UNSUBSCRIBE_SALT = "peerplan.notifications.unsubscribe"


def unsubscribe_token(user, kind):
    return signing.dumps({"u": user.pk, "k": str(kind)}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token):
    """(user, kind) from a token, or None when it is forged, expired, or its person is gone."""
    from django.contrib.auth import get_user_model

    max_age = timedelta(days=settings.UNSUBSCRIBE_LINK_DAYS)
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in Kind.values:
        return None
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    return (user, Kind(data["k"])) if user else None


def unsubscribe_url(user, kind):
    return settings.SITE_URL + reverse("unsubscribe", args=[unsubscribe_token(user, kind)])


def with_unsubscribe_headers(message, user, kind):
    """RFC 8058 one-click unsubscribe, so mail programs offer it too."""
    url = unsubscribe_url(user, kind)
    message.extra_headers["List-Unsubscribe"] = f"<{url}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


# Sending (send_notifications) ----------------------------------------------------------------------

# A run that dies between sending and recording would leave its claim; after this long another run may
# take the notifications again (the only way one could be sent twice is that crash, inside this window).
CLAIM_LEASE = timedelta(minutes=10)
RETRY_AFTER = timedelta(minutes=5)
MAX_RECIPIENTS_PER_RUN = 500


def _claimable(now):
    return Notification.objects.filter(email_status=EmailStatus.PENDING).filter(
        models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now)
    )


def due_recipients(now):
    """People with at least one pending notification whose batching delay is over."""
    return list(
        _claimable(now)
        .filter(email_after__lte=now)
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")[:MAX_RECIPIENTS_PER_RUN]
    )


def claim(recipient_id, now):
    """Take every pending notification of one person for this run, or none if another run holds them.
    Returns (claim token, notifications)."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        # PostgreSQL: rows a concurrent run is claiming are skipped, not waited for. SQLite has no row
        # locks; its IMMEDIATE transactions (settings) make this whole claim one writer at a time.
        ids = list(
            _claimable(now)
            .filter(recipient_id=recipient_id)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return token, []
        # The condition again: a row another run claimed between our read and this write is not taken.
        taken = _claimable(now).filter(pk__in=ids).update(claim=token, claimed_until=now + CLAIM_LEASE)
    if not taken:
        return token, []
    return token, list(Notification.objects.filter(claim=token).for_listing().order_by("created_at", "pk"))


def render_email(recipient, notifications):
    """One email for everything pending for a person, each line linking to its object."""
    site = settings.SITE_URL
    kinds = sorted({n.kind for n in notifications})
    count = len(notifications)
    subject = (
        f"PeerPlan: {notifications[0].subject_line()}"
        if count == 1
        else f"PeerPlan: {count} things need your attention"
    )
    subject = " ".join(subject.split())[:200]
    body = render_to_string(
        "peerplan/collaboration/email_notifications.txt",
        {
            "recipient": recipient,
            "notifications": notifications,
            "site": site,
            "list_url": site + reverse("peerplan:notifications"),
            "preferences_url": site + reverse("peerplan:notification_preferences"),
            "unsubscribe": [(Kind(kind).label, unsubscribe_url(recipient, kind)) for kind in kinds],
        },
    )
    message = EmailMessage(subject, body, to=[recipient.email])
    if len(kinds) == 1:
        with_unsubscribe_headers(message, recipient, kinds[0])
    return message


def send_due(now=None, connection=None, stdout=None):
    """Send what is due. Returns (emails sent, notifications emailed, failures)."""
    now = now or timezone.now()
    sent = emailed = failed = 0
    connection = connection or get_connection()
    for recipient_id in due_recipients(now):
        token, notifications = claim(recipient_id, now)
        if not notifications:
            continue
        recipient = notifications[0].recipient
        # Never more than the person may see now, by the rule the notifications page uses (still a member,
        # past the organisation's two-factor rule; invitations apart). What is refused is not emailed later
        # either: it stays in PeerPlan, shown once the person may read it.
        visible = set(Notification.objects.visible_to(recipient).filter(claim=token).values_list("pk", flat=True))
        allowed = [n for n in notifications if n.pk in visible]
        refused = [n.pk for n in notifications if n not in allowed]
        if not recipient.email or not recipient.is_active:
            refused, allowed = [n.pk for n in notifications], []
        if refused:
            Notification.objects.filter(pk__in=refused, claim=token).update(
                email_status=EmailStatus.SKIPPED, claim="", claimed_until=None
            )
        if not allowed:
            continue
        message = render_email(recipient, allowed)
        message.connection = connection
        try:
            message.send()
        except Exception as error:  # the mail server refused or is down: keep them queued for a later run
            failed += 1
            log.warning("Could not email %s notification(s) to %s: %s", len(allowed), recipient.email, error)
            Notification.objects.filter(pk__in=[n.pk for n in allowed], claim=token).update(
                claim="",
                claimed_until=None,
                attempts=models.F("attempts") + 1,
                last_error=str(error)[:500],
                email_after=timezone.now() + RETRY_AFTER,
            )
            if stdout:
                stdout.write(f"Could not email {recipient.email}: {error}")
            continue
        Notification.objects.filter(pk__in=[n.pk for n in allowed], claim=token).update(
            email_status=EmailStatus.SENT, emailed_at=timezone.now(), claim="", claimed_until=None
        )
        sent += 1
        emailed += len(allowed)
        if stdout:
            stdout.write(f"Emailed {recipient.email}: {message.subject}")
    return sent, emailed, failed
