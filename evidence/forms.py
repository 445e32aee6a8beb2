"""The evidence index's filters as a Django form bound to the query string, the same idiom as the planning
list filters (peerplan.forms.ActionFilterForm): the form cleans and reports each bad value beside its field,
and only the values that passed are applied (evidence/filters.py matches them against the evidence tree)."""

from django import forms
from django.core.validators import RegexValidator

from evidence.filters import MAX_REF_DIGITS, MAX_SEARCH, VALENCE_CHOICES, EvidenceFilter
from evidence.models import StakeholderGroup

NOT_APPLIED = "This filter was not applied."
NOT_A_REFERENCE = "“%(value)s” is not a reference number: use a whole number such as 23. " + NOT_APPLIED


class EvidenceFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=MAX_SEARCH,
        error_messages={
            "max_length": f"Search text can be at most {MAX_SEARCH} characters; this search was not applied."
        },
    )
    valence = forms.ChoiceField(
        required=False,
        choices=VALENCE_CHOICES,
        error_messages={
            "invalid_choice": (
                "“%(value)s” is not a kind of finding: choose benefit, challenge, facilitator, barrier or none given. "
                + NOT_APPLIED
            )
        },
    )
    group = forms.ChoiceField(
        required=False,
        choices=StakeholderGroup.choices,
        error_messages={
            "invalid_choice": (
                f"“%(value)s” is not a stakeholder group in the evidence ({', '.join(StakeholderGroup.values)}). "
                + NOT_APPLIED
            )
        },
    )
    # Digits only, and a bounded number of them: int() refuses a string of more than 4,300 digits.
    ref = forms.CharField(
        required=False,
        validators=[RegexValidator(rf"^[0-9]{{1,{MAX_REF_DIGITS}}}$", code="not_a_reference")],
        error_messages={"not_a_reference": NOT_A_REFERENCE},
    )

    # Checked against the published sources once they are loaded (EvidenceFilter.check_source).
    source = forms.CharField(required=False, max_length=100)

    def clean_ref(self):
        value = self.cleaned_data["ref"]
        if not value:
            return None
        if int(value) < 1:
            raise forms.ValidationError(NOT_A_REFERENCE, code="not_a_reference", params={"value": value})
        return int(value)

    def evidence_filter(self):
        """What the reader asked for, cleaned: the valid filters, each error in words, and what was typed."""
        self.is_valid()
        cleaned = self.cleaned_data
        return EvidenceFilter(
            q=cleaned.get("q", ""),
            valence=cleaned.get("valence", ""),
            group=cleaned.get("group", ""),
            ref=cleaned.get("ref"),
            raw={name: self.data.get(name, "").strip() for name in self.fields},
            errors={name: " ".join(messages) for name, messages in self.errors.items()},
        )


def evidence_filter(query):
    """What the reader asked for in `query` (a QueryDict). Without a query string the answer is known
    without a form: the unfiltered index is most of its requests, and binding and cleaning a form cost as
    much as serving the cached page itself."""
    if not query:
        return EvidenceFilter(raw=dict.fromkeys(EvidenceFilterForm.base_fields, ""))
    return EvidenceFilterForm(query).evidence_filter()
