"""Email each owner a digest of their overdue actions and those due soon, and each manager the
checklists past their review date. At most one of each per person per day: safe to run every hour."""

import sys
from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.urls import reverse

from peerplan.figures import tracking
from peerplan.models import Reminder, notifications
from peerplan.notify import deliver, scan


def _day(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}") from None


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


class Command(BaseCommand):
    help = (
        "Email each person who owns open actions a digest of those overdue or due within --days, and each "
        "organisation's managers and owners the checklists past their review date. Once a day at most per "
        "person, however often it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="Include actions due within this many days (7).")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent; send and record nothing.")
        parser.add_argument("--today", type=_day, help="Treat this date (YYYY-MM-DD) as today.")

    def handle(self, *args, days, dry_run, today, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        today = today or tracking.today()
        self.sent = self.skipped = self.failed = 0
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
            self._deliver(
                digest.recipient,
                Reminder.Kind.ACTIONS,
                today,
                "PeerPlan: " + " and ".join(subject_parts),
                body,
                dry_run,
            )

        for digest in scan.review_digests(today):
            body = render_to_string(
                "peerplan/tracking/email_reviews.txt", {"digest": digest, "today": today, "site": site}
            )
            subject = f"PeerPlan: {_plural(len(digest.checklists), 'checklist')} past the review date"
            self._deliver(digest.recipient, Reminder.Kind.REVIEWS, today, subject, body, dry_run)

        verb = "Would send" if dry_run else "Sent"
        self.stdout.write(f"{verb} {self.sent}, skipped {self.skipped}, failed {self.failed}.")
        if self.failed:
            raise CommandError(f"{self.failed} reminder(s) could not be sent; they will be tried on the next run.")

    def _deliver(self, recipient, kind, today, subject, body, dry_run):
        label = Reminder.Kind(kind).label.lower()
        if not recipient.email:
            self.stdout.write(f"Skipped {label} for {recipient.username}: no email address.")
            self.skipped += 1
            return
        # The person's choice on their notification settings (or an unsubscribe link) turns digests off.
        if notifications.channel_for(recipient, notifications.Kind.DIGEST) == notifications.Channel.OFF:
            self.stdout.write(f"Skipped {label} for {recipient.email}: they turned daily digests off.")
            self.skipped += 1
            return
        body += f"\n\nStop these daily emails: {deliver.unsubscribe_url(recipient, notifications.Kind.DIGEST)}\n"
        if dry_run:
            already = scan.already_sent(recipient, kind, today)
            self.stdout.write(
                f"--- {label} to {recipient.email}"
                + (" (already sent today: would be skipped)" if already else "")
                + f"\nSubject: {subject}\n\n{body}"
            )
            self.skipped += already
            self.sent += not already
            return
        message = deliver.with_unsubscribe_headers(
            EmailMessage(subject, body, to=[recipient.email]), recipient, notifications.Kind.DIGEST
        )
        try:
            sent = deliver.send_once(recipient, kind, today, message)
        except Exception as error:  # one bad address or a mail server hiccup must not stop the others
            self.failed += 1
            print(f"Could not send {label} to {recipient.email}: {error}", file=sys.stderr)
            return
        if sent:
            self.sent += 1
            self.stdout.write(f"Sent {label} to {recipient.email}: {subject}")
        else:
            self.skipped += 1
            self.stdout.write(f"Skipped {label} to {recipient.email}: already sent today.")
