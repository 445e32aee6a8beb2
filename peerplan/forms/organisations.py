"""Forms for an organisation, its members and its networks."""

from django import forms

from peerplan.forms.common import CrispyMixin, plain_messages
from peerplan.models import Organisation, Role


class OrganisationForm(CrispyMixin, forms.Form):
    name = forms.CharField(
        label="Name of the service or trust",
        max_length=200,
        help_text="For example: Northside Community Mental Health Team.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_messages(self)


class DeleteOrganisationForm(CrispyMixin, forms.Form):
    """The name typed to confirm a deletion (GOV.UK's pattern for an action that is hard to undo)."""

    name = forms.CharField(label="Type the organisation's name to confirm", max_length=200)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        plain_messages(self)
        self.fields["name"].help_text = f"Type {organisation.name} exactly as it is written here."
        self.fields["name"].widget.attrs["autocomplete"] = "off"


class InvitationForm(CrispyMixin, forms.Form):
    email = forms.EmailField(
        label="Their email", error_messages={"invalid": "Enter an email address like name@example.org."}
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.PLANNER)

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        plain_messages(self)
        self.fields["role"].choices = membership.grantable_roles()
        self.fields["role"].error_messages["invalid_choice"] = "Choose one of the roles listed."


class SharingForm(CrispyMixin, forms.Form):
    share_anonymously = forms.BooleanField(
        label="Share our figures anonymously with other services",
        required=False,
        help_text="Which challenges apply to you, which suggested actions you adopted and whether they are done "
        "are counted with other services' figures. Never your actions' text, notes, comments, files or "
        "anyone's name.",
    )


class NetworkInviteForm(forms.Form):
    """The organisation a coordinator invites, by the short name in its address (/app/orgs/<short name>/)."""

    organisation = forms.SlugField(
        label="Organisation's short name",
        max_length=220,
        error_messages={
            "required": "Choose an organisation to invite.",
            "invalid": "A short name has only letters, numbers and hyphens, like riverside-demo.",
        },
    )

    def clean_organisation(self):
        organisation = Organisation.objects.live().filter(slug=self.cleaned_data["organisation"]).first()
        if organisation is None:
            raise forms.ValidationError("No organisation has this short name. Search for it by name above.")
        return organisation


class ImportOrganisationForm(CrispyMixin, forms.Form):
    """The archive of an organisation exported from a PeerPlan (a .zip)."""

    archive = forms.FileField(
        label="Organisation archive",
        help_text="The .zip file an owner downloaded from “Export this organisation’s data” on another PeerPlan.",
    )
    name = forms.CharField(
        label="Name (optional)",
        max_length=200,
        required=False,
        help_text="Leave empty to keep the name the archive gives.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_messages(self)
        self.fields["archive"].widget.attrs["accept"] = ".zip,application/zip"
