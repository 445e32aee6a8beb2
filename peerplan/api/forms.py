"""The form that makes a personal access token (the API app's own, beside the model it makes)."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from peerplan.api.models import Access
from peerplan.forms.common import CrispyMixin, PlainDateField, plain_messages
from peerplan.models import Organisation


class TokenForm(CrispyMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.none(),
        empty_label=None,
        help_text="A token reads (and changes) one organisation's plans only.",
        error_messages={"invalid_choice": "Choose one of your organisations."},
    )
    name = forms.CharField(label="Name", max_length=100, help_text="What it is for, e.g. 'Power BI dashboard'.")
    access = forms.ChoiceField(
        label="Access",
        choices=Access.choices,
        initial=Access.READ,
        widget=forms.RadioSelect,
        help_text="It never does more than your role allows, even if your role changes later.",
        error_messages={"invalid_choice": "Choose read only, or read and write."},
    )
    expires_on = PlainDateField(
        label="Expires on (optional)", required=False, help_text="It works until the end of that day."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            Organisation.objects.live().filter(memberships__user=user).order_by("name")
        )
        plain_messages(self)

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError("The expiry date must be today or later.")
        return day

    def expires_at(self):
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
