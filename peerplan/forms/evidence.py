"""Forms for an organisation's own evidence and for evidence release files."""

from django import forms

from evidence.models import StakeholderGroup
from peerplan.forms.common import CrispyMixin


class OwnSourceForm(CrispyMixin, forms.Form):
    """A new source of the organisation's own evidence."""

    name = forms.CharField(max_length=200, help_text="A short name, e.g. “Staff survey 2026”.")
    title = forms.CharField(max_length=500, help_text="What it is, in full.")
    year = forms.IntegerField(min_value=1900, max_value=2100)
    authors = forms.CharField(max_length=500, required=False, label="Who produced it")
    provenance = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label="How it was gathered",
        help_text="E.g. an anonymous survey of 40 staff in March 2026.",
    )
    heading = forms.CharField(max_length=60, initial="Topic", label="What its groups of themes are called")


class OwnFindingForm(CrispyMixin, forms.Form):
    """What one group reported, under a theme of the organisation's own evidence."""

    heading = forms.CharField(max_length=200, label="Group of themes", help_text="New or existing, e.g. “Support”.")
    theme = forms.CharField(max_length=200, help_text="New or existing, e.g. “Supervision”.")
    kind = forms.ChoiceField(
        choices=[
            ("challenge", "Challenge (to mitigate)"),
            ("barrier", "Barrier (to mitigate)"),
            ("benefit", "Benefit (to realise)"),
            ("facilitator", "Facilitator (to build on)"),
        ]
    )
    group = forms.ChoiceField(label="Who reported it", choices=[(g, g) for g in StakeholderGroup.values])
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=4000, label="What they reported")

    def clean(self):
        cleaned = super().clean()
        for name in ("heading", "theme", "summary"):
            if name in cleaned and not cleaned[name].strip():
                self.add_error(name, "This cannot be blank.")
        return cleaned


class ReleaseFileForm(CrispyMixin, forms.Form):
    release = forms.FileField(
        label="Evidence file",
        help_text='A "peerplan-evidence/2" JSON file, at most 5 MB, for example one a partner exported.',
    )
