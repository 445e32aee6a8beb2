"""Writes to check-ins: setting one up, opening and closing rounds, issuing invitations and taking answers.

Each verb is one transaction. What the anonymity rests on is here, so read the models' docstring
(peerplan/models/check_ins.py) before changing any of it: answers only add to tallies, a token is stored as
its hash and deleted in the transaction that uses it, and nothing of a closed round is written again.
"""

import logging
import random
import secrets
import uuid
from datetime import timedelta

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Case, F, Q, When

from evidence.models import Statement
from peerplan.lib.errors import Refused
from peerplan.models import (
    Answer,
    CheckIn,
    CheckInRecipient,
    Round,
    RoundComment,
    RoundDelivery,
    RoundStatement,
    RoundTally,
    RoundToken,
)
from peerplan.models.check_ins import token_hash
from peerplan.models.organisation_generations import organisation_changed
from peerplan.notify import deliver

log = logging.getLogger(__name__)


def _set_recipients(check_in, emails):
    """Keep the addresses still listed (with their unsubscribe), add the new ones, remove the rest."""
    emails = sorted({email.strip().lower() for email in emails if email.strip()})
    check_in.recipients.exclude(email__in=emails).delete()
    have = set(check_in.recipients.values_list("email", flat=True))
    CheckInRecipient.objects.bulk_create(
        [CheckInRecipient(check_in=check_in, email=email) for email in emails if email not in have]
    )
    organisation_changed(check_in.checklist.organisation_id)


@transaction.atomic
def set_up_check_in(
    *, checklist, items, emails, every_weeks, open_days, comments_on, comments_read_by="", threshold, by, today
):
    """A new check-in for an active checklist. Its first round opens on the next scheduled run."""
    if not checklist.is_active:
        raise Refused("Check-ins can be set up only for an active checklist.")
    check_in = CheckIn.objects.create(
        checklist=checklist,
        every_weeks=every_weeks,
        open_days=open_days,
        comments_on=comments_on,
        comments_read_by=comments_read_by,
        threshold=threshold,
        created_by=by,
        next_round_on=today,
    )
    check_in.items.set(items)
    _set_recipients(check_in, emails)
    return check_in


@transaction.atomic
def update_check_in(
    *, check_in, items, emails, every_weeks, open_days, comments_on, comments_read_by="", threshold, paused
):
    """New settings for the rounds to come; a round already open keeps the statements and rules it opened with
    (except that turning comments off hides the comments of every round)."""
    check_in.every_weeks, check_in.open_days, check_in.threshold = every_weeks, open_days, threshold
    check_in.comments_on, check_in.comments_read_by, check_in.paused = comments_on, comments_read_by, paused
    check_in.save()
    check_in.items.set(items)
    _set_recipients(check_in, emails)
    return check_in


@transaction.atomic
def add_own_statement(*, organisation, theme, text):
    """A statement of the organisation's own for a theme it can see, after the theme's other statements of its
    own; seen only inside the organisation, like its own evidence."""
    last = Statement.objects.filter(theme=theme, organisation=organisation).order_by("-position").first()
    return Statement.objects.create(
        theme=theme, organisation=organisation, text=text, position=(last.position + 1) if last else 1
    )


@transaction.atomic
def retire_own_statement(*, statement):
    """Stop asking one of the organisation's own statements in new rounds (rounds that asked it keep it)."""
    statement.retired = True
    statement.save(update_fields=["retired"])
    return statement


def statements_for(check_in):
    """The current statements a new round of the check-in asks, in the published order of its challenges:
    the published bank's and the organisation's own, for the themes of the items it asks about."""
    organisation = check_in.checklist.organisation_id
    theme_ids = list(check_in.items.values_list("finding__theme_id", flat=True))
    return list(
        Statement.objects.current()
        .visible_to(organisation)
        .filter(theme_id__in=theme_ids)
        .order_by("theme__category__source", "theme__category__position", "theme__position", "position", "pk")
    )


@transaction.atomic
def open_round(*, check_in, today):
    """The check-in's next round, open from today for its `open_days`, asking its statements as worded now.
    Every tally of the round is made at zero here, so answering only ever adds to counts."""
    last = check_in.rounds.order_by("-number").values_list("number", flat=True).first() or 0
    round_ = Round.objects.create(
        check_in=check_in,
        number=last + 1,
        opens_on=today,
        closes_on=today + timedelta(days=check_in.open_days - 1),
        threshold=check_in.threshold,
    )
    statements = statements_for(check_in)
    RoundStatement.objects.bulk_create(
        RoundStatement(round=round_, statement=statement, text=statement.text, position=n)
        for n, statement in enumerate(statements, 1)
    )
    RoundTally.objects.bulk_create(
        RoundTally(round=round_, statement=statement, answer=answer)
        for statement in statements
        for answer in Answer.values
    )
    CheckIn.objects.filter(pk=check_in.pk).update(next_round_on=today + timedelta(weeks=check_in.every_weeks))
    organisation_changed(check_in.checklist.organisation_id)
    return round_


@transaction.atomic
def close_round(*, round_, now):
    """Close a round: its unused links stop working (their rows are deleted) and its figures freeze."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.is_closed:
        return round_
    RoundToken.objects.filter(round=round_).delete()
    round_.closed_at = now
    round_.save(update_fields=["closed_at"])
    return round_


def issue_tokens(*, round_, count):
    """`count` new single-use tokens for the round, returned in plain text (they are never stored so) and
    stored as hashes inserted in a shuffled order, so the order of the rows says nothing of whom each went to."""
    tokens = [secrets.token_urlsafe(32) for _ in range(count)]
    rows = [RoundToken(hash=token_hash(token), round=round_) for token in tokens]
    random.SystemRandom().shuffle(rows)
    RoundToken.objects.bulk_create(rows)
    return tokens


@transaction.atomic
def record_delivery(*, round_, recipient):
    """The recipient was sent this round's invitation (which token is not recorded)."""
    RoundDelivery.objects.create(round=round_, recipient=recipient)
    Round.objects.filter(pk=round_.pk).update(asked_count=F("asked_count") + 1)
    organisation_changed(round_.check_in.checklist.organisation_id)


def withdraw_token(token):
    """A token whose email could not be sent: nobody holds it, so it goes (the next run sends a fresh one)."""
    RoundToken.objects.filter(hash=token_hash(token)).delete()


def round_for_token(token, today):
    """The open round a token invites to answer, or None when it was used, the round closed, or it is no token."""
    row = (
        RoundToken.objects.select_related("round__check_in__checklist__organisation")
        .filter(hash=token_hash(token))
        .first()
    )
    if row is None or not row.round.is_open(today):
        return None
    return row.round


@transaction.atomic
def answer_round(*, token, answers, comment, today):
    """Add one person's answers ({statement id: Answer}) and comment to their round's tallies and spend the
    token, in one transaction; the token's row is deleted so nothing ties the answers to the invitation.
    Returns the round, or None when the link was used already or the round is closed."""
    hashed = token_hash(token)
    row = RoundToken.objects.select_for_update().filter(hash=hashed).first()
    if row is None:
        return None
    round_ = Round.objects.select_for_update().select_related("check_in").get(pk=row.round_id)
    if not round_.is_open(today):
        return None
    asked = set(round_.asked.values_list("statement_id", flat=True))
    chosen = Q(pk__in=[])  # nothing, until answers are added to it
    for statement_id, answer in answers.items():
        if statement_id in asked and answer in Answer.values:
            chosen |= Q(statement_id=statement_id, answer=answer)
    # Every tally of the round is written, +1 where chosen and +0 elsewhere: a database keeps which transaction
    # last wrote each row (PostgreSQL's xmin), and writing only the chosen ones would let that tell the last
    # person's answers apart.
    RoundTally.objects.filter(round=round_).update(count=F("count") + Case(When(chosen, then=1), default=0))
    Round.objects.filter(pk=round_.pk).update(answered_count=F("answered_count") + 1)
    comment = (comment or "").strip()
    if comment and round_.check_in.comments_on:
        RoundComment.objects.create(id=uuid.uuid4(), round=round_, text=comment[:2000])
    RoundToken.objects.filter(hash=hashed).delete()
    return round_


@transaction.atomic
def unsubscribe_recipient(*, recipient, now):
    """The person asked not to be sent this check-in's invitations again."""
    if recipient.unsubscribed_at is None:
        recipient.unsubscribed_at = now
        recipient.save(update_fields=["unsubscribed_at"])
    return recipient


def close_due_rounds(*, today, now):
    """Close every open round whose last day has passed. Returns how many."""
    due = list(Round.objects.due_to_close(today))
    for round_ in due:
        close_round(round_=round_, now=now)
    return len(due)


def open_due_rounds(*, today):
    """Open a round of every running check-in whose next round is due and that has none open. Returns them."""
    opened = []
    for pk in CheckIn.objects.running().filter(next_round_on__lte=today).values_list("pk", flat=True):
        with transaction.atomic():
            # Locked and asked again: an overlapping run that opened it first is seen, so a round opens once.
            check_in = (
                CheckIn.objects.running()
                .select_for_update()
                .filter(pk=pk, next_round_on__lte=today)
                .select_related("checklist")
                .first()
            )
            if check_in is not None and not check_in.rounds.filter(closed_at__isnull=True).exists():
                opened.append(open_round(check_in=check_in, today=today))
    return opened


def send_invitations(*, today, connection=None):
    """Invite everyone a round open today has not invited yet (unsubscribed people never): one fresh
    single-use link each, by peerplan/notify/deliver.py. No reminders are sent: they would need to know who
    answered. A refused email withdraws its link and records no delivery, so the next run sends a fresh one.
    Returns (sent, failed)."""
    connection = connection or get_connection()
    sent = failed = 0
    rounds = (
        Round.objects.open_on(today).filter(closes_on__gte=today).select_related("check_in__checklist__organisation")
    )
    for round_ in rounds:
        round_sent, round_failed = _invite(round_, connection)
        sent, failed = sent + round_sent, failed + round_failed
    return sent, failed


@transaction.atomic
def _invite(round_, connection):
    # One run at a time per check-in (the check-in's row is locked, not the round's, so answers are never kept
    # waiting): an overlapping run waits here, then finds everyone invited, so nobody gets two links. If the
    # process dies mid-way the links already emailed roll back with the rest: they then say "already used or
    # closed", and the next run sends fresh ones.
    CheckIn.objects.select_for_update().filter(pk=round_.check_in_id).first()
    pending = list(round_.check_in.recipients.filter(unsubscribed_at__isnull=True).exclude(deliveries__round=round_))
    tokens = issue_tokens(round_=round_, count=len(pending))
    sent = failed = 0
    for recipient, token in zip(pending, tokens, strict=True):
        try:
            deliver.send_check_in_invitation(round_, recipient, token, connection)
        except Exception as error:  # the mail server refused or is down: a fresh link on the next run
            withdraw_token(token)
            failed += 1
            # Neither the address nor the link: a log line must not tie a person to a round's link.
            log.warning("Could not email a check-in invitation for round %s: %s", round_.pk, type(error).__name__)
            continue
        record_delivery(round_=round_, recipient=recipient)
        sent += 1
    return sent, failed


def run_schedule(*, today, now, connection=None):
    """What the scheduled run does for check-ins: close the rounds whose last day has passed, open the rounds
    that are due, and send their invitations. Returns (closed, opened, sent, failed)."""
    closed = close_due_rounds(today=today, now=now)
    opened = len(open_due_rounds(today=today))
    sent, failed = send_invitations(today=today, connection=connection)
    return closed, opened, sent, failed
