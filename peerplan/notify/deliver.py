"""Delivery: the only module that sends email. Notifications waiting for a person are claimed and sent
as one email; digests once a day; unsubscribe links signed."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from peerplan.lib.links import site_link
from peerplan.models import CheckInRecipient, Notification, Reminder
from peerplan.models.notifications import Channel, EmailStatus, Kind, channel_for
from peerplan.notify import scan

log = logging.getLogger(__name__)


# The salt of links already sent: it keeps the name of the module that first signed them, so they still work.
UNSUBSCRIBE_SALT = "peerplan.notifications.unsubscribe"


def unsubscribe_token(user, kind):
    return signing.dumps({"u": user.pk, "k": str(kind)}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token):
    """(user, kind) from a token, or None when it is forged, expired, or its person is gone."""
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
    return site_link(reverse("unsubscribe", args=[unsubscribe_token(user, kind)]))


def with_unsubscribe_headers(message, user, kind):
    """RFC 8058 one-click unsubscribe, so mail programs offer it too."""
    url = unsubscribe_url(user, kind)
    message.extra_headers["List-Unsubscribe"] = f"<{url}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


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


def already_sent(recipient, kind, day):
    return Reminder.objects.filter(recipient=recipient, kind=kind, sent_on=day).exists()


def send_once(recipient, kind, day, message):
    """Send `message` unless this person already had this kind of reminder on `day`.

    The Reminder row and the send share one transaction: the row is only kept when the send succeeded,
    and a second run at the same time waits on the unique constraint and then finds the row, so two
    overlapping cron runs still send one email. Returns False when it was already sent.
    """
    if already_sent(recipient, kind, day):
        return False
    try:
        with transaction.atomic():
            Reminder.objects.create(recipient=recipient, kind=kind, sent_on=day)
            message.send()
    except IntegrityError:
        return False
    return True


# Daily reminders: digests of one's actions, and of checklists past their review date -------------------


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass
class ReminderRun:
    """What one run of the reminders did (or, with dry_run, would do)."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0


def send_reminders(*, today, days, dry_run=False, stdout, stderr):
    """Email each owner of open actions a digest of those overdue or due within `days`, and each
    organisation's managers and owners the checklists past their review date: once a day at most per
    person and kind, however often it runs (see send_once). Writes what it does to `stdout`."""
    run = ReminderRun()
    site = settings.SITE_URL
    for digest in scan.action_digests(today, days):
        subject_parts = []
        if digest.overdue:
            subject_parts.append(f"{_plural(len(digest.overdue), 'overdue action')}")
        if digest.due_soon:
            subject_parts.append(f"{len(digest.due_soon)} due in the next {_plural(days, 'day')}")
        body = render_to_string(
            "peerplan/tracking/email_actions.txt",
            {
                "digest": digest,
                "days": days,
                "today": today,
                "site": site,
                "my_actions": site + reverse("peerplan:my_actions"),
            },
        )
        subject = "PeerPlan: " + " and ".join(subject_parts)
        _remind(run, digest.recipient, Reminder.Kind.ACTIONS, today, subject, body, dry_run, stdout, stderr)
    for digest in scan.review_digests(today):
        body = render_to_string("peerplan/tracking/email_reviews.txt", {"digest": digest, "today": today, "site": site})
        subject = f"PeerPlan: {_plural(len(digest.checklists), 'checklist')} past the review date"
        _remind(run, digest.recipient, Reminder.Kind.REVIEWS, today, subject, body, dry_run, stdout, stderr)
    return run


def _remind(run, recipient, kind, today, subject, body, dry_run, stdout, stderr):
    label = Reminder.Kind(kind).label.lower()
    if not recipient.email:
        stdout.write(f"Skipped {label} for {recipient.username}: no email address.")
        run.skipped += 1
        return
    # The person's choice on their notification settings (or an unsubscribe link) turns digests off.
    if channel_for(recipient, Kind.DIGEST) == Channel.OFF:
        stdout.write(f"Skipped {label} for {recipient.email}: they turned daily digests off.")
        run.skipped += 1
        return
    body += f"\n\nStop these daily emails: {unsubscribe_url(recipient, Kind.DIGEST)}\n"
    if dry_run:
        already = already_sent(recipient, kind, today)
        stdout.write(
            f"--- {label} to {recipient.email}"
            + (" (already sent today: would be skipped)" if already else "")
            + f"\nSubject: {subject}\n\n{body}"
        )
        run.skipped += already
        run.sent += not already
        return
    message = with_unsubscribe_headers(EmailMessage(subject, body, to=[recipient.email]), recipient, Kind.DIGEST)
    try:
        sent = send_once(recipient, kind, today, message)
    except Exception as error:  # one bad address or a mail server hiccup must not stop the others
        run.failed += 1
        print(f"Could not send {label} to {recipient.email}: {error}", file=stderr)
        return
    if sent:
        run.sent += 1
        stdout.write(f"Sent {label} to {recipient.email}: {subject}")
    else:
        run.skipped += 1
        stdout.write(f"Skipped {label} to {recipient.email}: already sent today.")


# Invitations -------------------------------------------------------------------------------------------


def invitation_url(invitation):
    return site_link(reverse("peerplan:invitation_accept", args=[invitation.token]))


def send_invitation(invitation, *, inviter_name):
    """The invitation's email, sent at once: the person invited may have no account yet, so there is no
    one to queue a notification for; a mail server that refuses fails the request, which says so."""
    send_mail(
        subject=f"You are invited to join {invitation.organisation.name} on PeerPlan",
        message=render_to_string(
            "peerplan/invitation_email.txt",
            {"invitation": invitation, "link": invitation_url(invitation), "inviter": inviter_name},
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


# Check-in invitations ------------------------------------------------------------------------------------

CHECK_IN_UNSUBSCRIBE_SALT = "peerplan.check_ins.unsubscribe"


def check_in_unsubscribe_token(recipient):
    """A link for one person asked by a check-in to stop its invitations (they have no account to sign in to)."""
    return signing.dumps({"r": recipient.pk}, salt=CHECK_IN_UNSUBSCRIBE_SALT, compress=True)


def read_check_in_unsubscribe_token(token):
    """The recipient a check-in unsubscribe token names, or None when it is forged or they were removed.
    It does not expire: a link in an invitation works as long as the invitations come."""
    try:
        data = signing.loads(token, salt=CHECK_IN_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return CheckInRecipient.objects.select_related("check_in__checklist__organisation").filter(pk=data.get("r")).first()


def check_in_invitation(round_, recipient, token):
    """The email inviting one person to answer a round, with their single-use link and their unsubscribe link."""
    check_in = round_.check_in
    unsubscribe = site_link(reverse("check_in_stop", args=[check_in_unsubscribe_token(recipient)]))
    body = render_to_string(
        "peerplan/check_ins/email_invitation.txt",
        {
            "round": round_,
            "check_in": check_in,
            "organisation": check_in.checklist.organisation,
            "link": site_link(reverse("check_in_answer", args=[token])),
            "about": site_link(reverse("check_ins_about")),
            "unsubscribe": unsubscribe,
        },
    )
    subject = f"{check_in.checklist.organisation.name}: an anonymous check-in for peer workers"
    message = EmailMessage(" ".join(subject.split())[:200], body, to=[recipient.email])
    message.extra_headers["List-Unsubscribe"] = f"<{unsubscribe}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def send_check_in_invitation(round_, recipient, token, connection=None):
    """Send one person their invitation to a round now; raises when the mail server refuses."""
    message = check_in_invitation(round_, recipient, token)
    message.connection = connection or get_connection()
    message.send()
