"""Reminders: who gets which digest today, and sending each at most once a day per person.

`manage.py send_reminders` (run from cron, hourly is safe) writes and sends the emails; this module decides
what goes in them and records what was sent.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from peerplan.models import Checklist, Membership, Mitigation, Reminder, addressed_items


@dataclass
class ActionDigest:
    """One person's overdue actions and those due soon, across their organisations."""

    recipient: object
    overdue: list = field(default_factory=list)
    due_soon: list = field(default_factory=list)


def action_digests(today, days):
    """[ActionDigest] for everyone who owns open actions that are overdue or due within `days`, on
    checklists not archived, in organisations whose data they may read now (one query)."""
    readable = Membership.objects.readable().filter(
        user_id=OuterRef("owner_id"), organisation_id=OuterRef("checklist__organisation_id")
    )
    actions = (
        Mitigation.objects.open()
        .on_current_checklists()
        .filter(Exists(readable), due_date__lte=today + timedelta(days=days))
        .select_related("owner", "checklist__organisation")
        .prefetch_related(addressed_items())
        .order_by("owner_id", "due_date", "pk")
    )
    digests = {}
    for action in actions:
        digest = digests.setdefault(action.owner_id, ActionDigest(action.owner))
        action.days_late = (today - action.due_date).days
        (digest.overdue if action.is_overdue(today) else digest.due_soon).append(action)
    return list(digests.values())


@dataclass
class ReviewDigest:
    """Checklists past their review date, for one manager or owner, across their organisations."""

    recipient: object
    checklists: list = field(default_factory=list)


def review_digests(today):
    checklists = list(
        Checklist.objects.past_review(today)
        .select_related("organisation")
        .order_by("organisation__name", "review_date")
    )
    by_organisation = {}
    for checklist in checklists:
        by_organisation.setdefault(checklist.organisation_id, []).append(checklist)
    digests = {}
    memberships = (
        Membership.objects.managers()
        .readable()
        .filter(organisation_id__in=by_organisation)
        .select_related("user")
        .order_by("user_id", "organisation__name")
    )
    for membership in memberships:
        digest = digests.setdefault(membership.user_id, ReviewDigest(membership.user))
        digest.checklists.extend(by_organisation[membership.organisation_id])
    return list(digests.values())


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
