"""Forms for checklists and their items: create, edit, decide, review, report."""

from django import forms

from peerplan.forms.common import CrispyMixin, PlainDateField, plain_messages, too_long
from peerplan.models import Checklist, Item


class ChecklistForm(CrispyMixin, forms.ModelForm):
    review_date = PlainDateField(
        label="Review date", required=False, help_text="When the checklist as a whole is looked at again."
    )

    class Meta:
        model = Checklist
        fields = ["title", "service", "description", "status", "review_date"]
        labels = {"service": "Service or setting"}
        help_texts = {
            "title": "For example: Peer support workers in the community team, 2026.",
            "service": "The team, ward or service the peer support workers will join.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_messages(self)
        self.fields["status"].error_messages["invalid_choice"] = "Choose draft, active or archived."


class ChecklistCreateForm(ChecklistForm):
    """A new checklist's details, and what it starts from: the evidence, or a copy of another checklist."""

    copy_from = forms.ModelChoiceField(
        label="Start from",
        queryset=Checklist.objects.none(),
        required=False,
        empty_label="The evidence: every challenge, none reviewed yet",
        help_text="Or copy one of your checklists: its decisions, and its actions reset to planned without due dates.",
        error_messages={"invalid_choice": "Choose one of this organisation's checklists to copy."},
    )

    class Meta(ChecklistForm.Meta):
        fields = ["copy_from", *ChecklistForm.Meta.fields]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].queryset = Checklist.objects.filter(organisation=organisation).order_by("title")
        self.fields["copy_from"].label_from_instance = lambda checklist: f"A copy of “{checklist.title}”"


class ItemDecisionForm(CrispyMixin, forms.ModelForm):
    """Whether a challenge applies (a reason when it does not) or whether a benefit is a chosen outcome."""

    applies = forms.TypedChoiceField(
        label="Does this apply to your service?",
        coerce=lambda value: value == "yes",
        choices=[("yes", "Applies"), ("no", "Does not apply")],
        widget=forms.RadioSelect,
    )
    not_applicable_reason = forms.CharField(
        label="Why it does not apply",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when it does not apply, so the decision can be checked later.",
    )
    rereview_on = PlainDateField(
        label="Look at this decision again on",
        required=False,
        help_text="Leave empty for a year from today.",
    )

    class Meta:
        model = Item
        fields = ["applies", "not_applicable_reason", "rereview_on", "priority", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and (self.instance.is_decided or self.instance.is_benefit):
            self.initial["applies"] = "yes" if self.instance.applies else "no"
        elif not self.is_bound:
            # Not reviewed yet: nothing is chosen for the person, so saving is a decision they took.
            self.initial["applies"] = None
        if self.instance.is_benefit:
            self.fields["applies"].label = "Is this an outcome your service means to realise?"
            self.fields["applies"].choices = [
                ("yes", "Chosen as an outcome"),
                ("no", "Not chosen as an outcome yet"),
            ]
            del self.fields["not_applicable_reason"]
            del self.fields["rereview_on"]
        plain_messages(self)
        self.fields["applies"].error_messages["required"] = "Choose whether this applies."
        self.fields["priority"].error_messages["invalid_choice"] = "Choose high, medium or low."

    def clean(self):
        cleaned = super().clean()
        if self.instance.is_challenge and cleaned.get("applies") is False:
            if not (cleaned.get("not_applicable_reason") or "").strip() and "not_applicable_reason" not in self.errors:
                self.add_error("not_applicable_reason", "Say why this does not apply to your service.")
        return cleaned


class ReportSinceForm(forms.Form):
    """The report's "decisions taken since" date (the last report's)."""

    since = PlainDateField(label="Decisions taken since", required=True)


class ItemReviewForm(forms.Form):
    """The step-through review's one question: does this challenge apply, and if not, why not.

    Nothing is chosen until a person chooses: an item not reviewed yet must not look decided. The reason
    is one line, so Enter in it saves and moves on (the full item page keeps a longer box)."""

    applies = forms.TypedChoiceField(
        label="Does this apply to your service?",
        coerce=lambda value: value == "yes",
        choices=[("yes", "Applies"), ("no", "Does not apply")],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether this applies to your service.",
            "invalid_choice": "Choose whether this applies to your service.",
        },
    )
    not_applicable_reason = forms.CharField(
        label="Why it does not apply",
        required=False,
        max_length=2000,
        help_text="Needed when it does not apply, so the decision can be checked later.",
        error_messages={"max_length": too_long("Why it does not apply")},
    )

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        if not self.is_bound and item.is_decided:
            self.initial = {
                "applies": "yes" if item.applies else "no",
                "not_applicable_reason": item.not_applicable_reason,
            }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("applies") is False and "not_applicable_reason" not in self.errors:
            if not (cleaned.get("not_applicable_reason") or "").strip():
                self.add_error("not_applicable_reason", "Say why this does not apply to your service.")
        return cleaned

    def has_input(self):
        """Whether the person chose or typed anything (moving away without saving then loses nothing)."""
        return bool(self.data.get("applies") or (self.data.get("not_applicable_reason") or "").strip())
