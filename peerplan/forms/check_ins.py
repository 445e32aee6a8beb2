"""Forms for check-ins: setting one up (or changing it), and a PSW's answers to a round."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from evidence.models import Theme
from peerplan.forms.common import CrispyMixin, plain_messages
from peerplan.models import Answer, Frequency
from peerplan.models.check_ins import validate_threshold

MAX_RECIPIENTS = 200
SEPARATORS = re.compile(r"[\s,;]+")


class CheckInForm(CrispyMixin, forms.Form):
    """Which challenges, whom to ask, how often, how long each round stays open, and the comments."""

    items = forms.ModelMultipleChoiceField(
        label="Challenges to ask about",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each brings its statements. Every challenge that applies is ticked to start with.",
        error_messages={"required": "Choose at least one challenge to ask about."},
    )
    emails = forms.CharField(
        label="Whom to ask",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Email addresses of the peer workers to ask, one a line (or separated by commas). They need no account.",
        error_messages={"required": "Give the email addresses of the people to ask."},
    )
    every_weeks = forms.TypedChoiceField(label="How often", choices=Frequency.choices, coerce=int, initial=8)
    open_days = forms.IntegerField(
        label="Days each round stays open",
        min_value=1,
        max_value=28,
        initial=14,
        error_messages={
            "min_value": "A round stays open for at least 1 day.",
            "max_value": "A round stays open for at most 28 days.",
        },
    )
    comments_on = forms.BooleanField(
        label="Ask for one optional comment, and read the comments",
        required=False,
        help_text="Comments show only from rounds that enough people answered, shuffled and without dates.",
    )
    comments_read_by = forms.CharField(
        label="Who will read the comments",
        max_length=200,
        required=False,
        help_text="Everyone invited is told, e.g. “the service manager and the peer support lead”.",
    )
    threshold = forms.IntegerField(
        label="Fewest answers before figures show",
        validators=[validate_threshold],
        help_text=f"At least {settings.CHECK_IN_THRESHOLD}. Raise it for more privacy; it cannot be lowered.",
    )

    def __init__(self, *args, checklist, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = (
            checklist.items.challenges().select_related("finding__theme").in_published_order()
        )
        self.fields["items"].label_from_instance = lambda item: item.finding.theme.name
        self.fields["threshold"].initial = settings.CHECK_IN_THRESHOLD
        plain_messages(self)

    def clean_emails(self):
        emails = [email.lower() for email in SEPARATORS.split(self.cleaned_data["emails"]) if email]
        wrong = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                wrong.append(email)
        if wrong:
            raise ValidationError(f"These are not email addresses: {', '.join(wrong[:10])}.")
        emails = sorted(set(emails))
        if len(emails) > MAX_RECIPIENTS:
            raise ValidationError(f"Ask at most {MAX_RECIPIENTS} people in one check-in.")
        return emails

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("comments_on") and not cleaned.get("comments_read_by", "").strip():
            self.add_error("comments_read_by", "Say who will read the comments: everyone invited is told.")
        every, days = cleaned.get("every_weeks"), cleaned.get("open_days")
        if every and days and days >= every * 7:
            self.add_error("open_days", "A round must close before the next one opens.")
        return cleaned

    @property
    def too_few_to_show(self):
        """Fewer people asked than the threshold: no figure will ever show."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        emails, threshold = data.get("emails") or [], data.get("threshold") or settings.CHECK_IN_THRESHOLD
        return bool(emails) and len(emails) < threshold


class CheckInEditForm(CheckInForm):
    paused = forms.BooleanField(label="Pause: open no new rounds", required=False)


class AnswersForm(forms.Form):
    """One radio group per statement (five points and "does not apply"), all optional, and one comment."""

    def __init__(self, *args, statements, comments_on, **kwargs):
        super().__init__(*args, **kwargs)
        self.statements = statements
        choices = [(a.value, a.label) for a in [*Answer][1:]] + [
            (Answer.DOES_NOT_APPLY.value, Answer.DOES_NOT_APPLY.label)
        ]
        for asked in statements:
            self.fields[f"s{asked.statement_id}"] = forms.TypedChoiceField(
                label=asked.text, choices=choices, coerce=int, required=False, widget=forms.RadioSelect
            )
        if comments_on:
            self.fields["comment"] = forms.CharField(
                label="Anything you want to add (optional)",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def answers(self):
        """{statement id: Answer} for the statements answered."""
        return {
            asked.statement_id: Answer(self.cleaned_data[f"s{asked.statement_id}"])
            for asked in self.statements
            if self.cleaned_data.get(f"s{asked.statement_id}") not in (None, "")
        }

    def fields_with_statements(self):
        return [(asked, self[f"s{asked.statement_id}"]) for asked in self.statements]


class OwnStatementForm(CrispyMixin, forms.Form):
    """A statement of the service's own, for one of the challenge themes it can see."""

    theme = forms.ModelChoiceField(
        label="Challenge", queryset=None, error_messages={"required": "Choose the challenge it is about."}
    )
    text = forms.CharField(
        label="Statement",
        max_length=200,
        help_text="In the first person, to agree or disagree with, e.g. “I get time to meet other peer workers”.",
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.visible_to(organisation).challenges().in_published_order()
        plain_messages(self)
