"""Check-ins: PSWs answer short statements about the challenges of a checklist every few weeks, anonymously.

Anonymity is kept by what is stored, not by who may read it. Answers keep no row per person: a round keeps
only tallies (how many chose each answer to each statement) and its comments, with no time, token or link
between them. An invitation is a random token whose sha256 alone is stored, and a used token's row is
deleted in the same transaction that adds its answers to the tallies; the deliveries say who was asked,
never which token. A round's figures show only once it is closed, and only where enough people answered.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from evidence.models import Statement
from peerplan.lib.freshness import NOT_SHOWN, OrganisationData
from peerplan.models.planning import Checklist, ChecklistStatus, Item

ORGANISATION = "check_in__checklist__organisation"


def default_threshold():
    return settings.CHECK_IN_THRESHOLD


def validate_threshold(value):
    """A check-in's threshold can be raised above the site's, never lowered below it."""
    if value < settings.CHECK_IN_THRESHOLD:
        raise ValidationError(
            f"At least {settings.CHECK_IN_THRESHOLD} people must answer before figures show; it cannot be lower."
        )


def token_hash(token):
    """What is stored of an invitation's token: its sha256, so the database alone cannot make a link."""
    return hashlib.sha256(token.encode()).hexdigest()


class Frequency(models.IntegerChoices):
    EVERY_4_WEEKS = 4, "Every 4 weeks"
    EVERY_6_WEEKS = 6, "Every 6 weeks"
    EVERY_8_WEEKS = 8, "Every 8 weeks"
    EVERY_12_WEEKS = 12, "Every 12 weeks"


class Answer(models.IntegerChoices):
    """One answer to a statement. "Does not apply" is counted but is not on the scale."""

    DOES_NOT_APPLY = 0, "Does not apply to me"
    STRONGLY_DISAGREE = 1, "Strongly disagree"
    DISAGREE = 2, "Disagree"
    NEITHER = 3, "Neither agree nor disagree"
    AGREE = 4, "Agree"
    STRONGLY_AGREE = 5, "Strongly agree"


SCALE = [Answer.STRONGLY_DISAGREE, Answer.DISAGREE, Answer.NEITHER, Answer.AGREE, Answer.STRONGLY_AGREE]
AGREEING = [Answer.AGREE, Answer.STRONGLY_AGREE]


class CheckInQuerySet(models.QuerySet):
    def of_organisation(self, organisation):
        return self.filter(checklist__organisation=organisation)

    def running(self):
        """Check-ins that open rounds: not paused, on an active checklist."""
        return self.filter(paused=False, checklist__status=ChecklistStatus.ACTIVE)


class CheckIn(models.Model):
    """A checklist's regular anonymous check-in: which challenges it asks about, whom, and how often."""

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="check_ins")
    items = models.ManyToManyField(Item, related_name="check_ins", help_text="The challenges it asks about.")
    every_weeks = models.PositiveSmallIntegerField(
        "how often", choices=Frequency.choices, default=Frequency.EVERY_8_WEEKS
    )
    open_days = models.PositiveSmallIntegerField(
        "days each round stays open",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    comments_on = models.BooleanField(
        "read comments", default=False, help_text="Whether people may add a comment, and someone will read them."
    )
    comments_read_by = models.CharField(
        "who reads the comments",
        max_length=200,
        blank=True,
        help_text="Told to everyone invited, e.g. “the service manager and the peer support lead”.",
    )
    threshold = models.PositiveSmallIntegerField(
        "fewest answers for figures", default=default_threshold, validators=[validate_threshold]
    )
    paused = models.BooleanField(default=False, help_text="A paused check-in opens no new rounds.")
    next_round_on = models.DateField(
        null=True, blank=True, help_text="When the next round opens (the scheduled run on or after that day)."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    freshness = OrganisationData("checklist__organisation")

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["checklist"], name="one_check_in_per_checklist")]

    def __str__(self):
        return f"Check-in for {self.checklist}"

    def round_length(self):
        return timedelta(days=self.open_days)


class CheckInRecipient(models.Model):
    """A person a check-in asks, by email address alone (no account needed)."""

    check_in = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="recipients")
    email = models.EmailField(max_length=254)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    freshness = OrganisationData(ORGANISATION)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["check_in", "email"], name="one_recipient_per_email")]

    def __str__(self):
        return self.email


class RoundQuerySet(models.QuerySet):
    def open_on(self, today):
        return self.filter(closed_at__isnull=True, opens_on__lte=today)

    def closed(self):
        return self.filter(closed_at__isnull=False)

    def due_to_close(self, today):
        """Open rounds whose last day has passed."""
        return self.filter(closed_at__isnull=True, closes_on__lt=today)


class Round(models.Model):
    """One round of a check-in: open from `opens_on` to `closes_on` inclusive, then closed and frozen. It keeps
    the statements it asked as worded then, how many were asked and how many answered, and nothing else
    about the people."""

    check_in = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveIntegerField()
    opens_on = models.DateField()
    closes_on = models.DateField(help_text="The last day it can be answered.")
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Once set, nothing of the round changes.")
    statements = models.ManyToManyField(Statement, through="RoundStatement", related_name="rounds")
    asked_count = models.PositiveIntegerField(default=0)
    answered_count = models.PositiveIntegerField(default=0)
    # The check-in's threshold when the round opened, which its invitation promised: changing the check-in's
    # later never shows more of a round than its people were told.
    threshold = models.PositiveSmallIntegerField(default=default_threshold, validators=[validate_threshold])

    # Answers (answered_count, the tallies) change no page while the round is open: no figure shows until
    # it closes, and closing it is a save of closed_at.
    freshness = OrganisationData(ORGANISATION, hidden_fields=frozenset({"answered_count"}))

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["check_in", "number"]
        constraints = [models.UniqueConstraint(fields=["check_in", "number"], name="one_round_number_per_check_in")]

    def __str__(self):
        return f"Round {self.number}"

    @property
    def is_closed(self):
        return self.closed_at is not None

    def is_open(self, today):
        return not self.is_closed and self.opens_on <= today <= self.closes_on


class RoundStatement(models.Model):
    """A statement as a round asked it: its text then, so a later edit in the bank rewrites no history."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="asked")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=200)
    position = models.PositiveIntegerField()

    freshness = OrganisationData("round__" + ORGANISATION)

    class Meta:
        ordering = ["round", "position"]
        constraints = [models.UniqueConstraint(fields=["round", "statement"], name="one_statement_per_round")]

    def __str__(self):
        return self.text


class RoundTally(models.Model):
    """How many people gave one answer to one statement in one round. Every row of a round is made, at zero,
    when the round opens, so answering only adds to counts (no new row whose order could tell answers apart)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="tallies")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="+")
    answer = models.PositiveSmallIntegerField(choices=Answer.choices)
    count = models.PositiveIntegerField(default=0)

    # Made with its round, added to only while the round is open (when no page shows it), by QuerySet.update().
    freshness = NOT_SHOWN

    class Meta:
        ordering = ["round", "statement", "answer"]
        constraints = [
            models.UniqueConstraint(fields=["round", "statement", "answer"], name="one_tally_per_answer"),
        ]

    def __str__(self):
        return f"{self.get_answer_display()}: {self.count}"


class RoundComment(models.Model):
    """One optional comment given in a round. A random id and no time: nothing orders comments by when they
    came or ties one to a person or to answers."""

    id = models.UUIDField(primary_key=True)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField(max_length=2000)

    # Written only while its round is open, when no page shows it.
    freshness = NOT_SHOWN

    class Meta:
        # By the random id: a shuffle, the same on every reading.
        ordering = ["id"]

    def __str__(self):
        return self.text[:60]


class RoundToken(models.Model):
    """One unused invitation to answer a round: the sha256 of the token in its link, and nothing else. Deleted
    when used and when the round closes."""

    hash = models.CharField(max_length=64, primary_key=True)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")

    freshness = NOT_SHOWN  # never shown

    class Meta:
        ordering = ["hash"]

    def __str__(self):
        return "An unused invitation"


class RoundDelivery(models.Model):
    """That a recipient was sent a round's invitation (so the next run does not send another). It never says
    which token; a failed email leaves none, so the next run sends a fresh one."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(CheckInRecipient, on_delete=models.CASCADE, related_name="deliveries")

    freshness = NOT_SHOWN  # never shown; the round's asked_count is

    class Meta:
        ordering = ["round", "recipient"]
        constraints = [models.UniqueConstraint(fields=["round", "recipient"], name="one_delivery_per_round")]

    def __str__(self):
        return "An invitation sent"
