"""Forms for people, organisations, checklists, items and mitigations.

Every error is said in plain words beside its field; the organisation always comes from the URL, never
from what was posted, and every choice of person is narrowed to the organisation's members.
"""

from datetime import date

from allauth.account.forms import LoginForm, SignupForm
from allauth.core import context
from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from evidence.models import StakeholderGroup, Theme
from peerplan.accounts import pending_invitation, signup_problem
from peerplan.models import (
    Checklist,
    ChecklistStatus,
    ImplementationPhase,
    Item,
    Mitigation,
    MitigationStatus,
    Role,
    display_name,
    no_due_date_q,
    no_owner_q,
    normalise_text,
)

DATE_ERROR = "Enter a date like 31/12/2026."
# Browsers send date inputs as 2026-12-31; people typing into a plain box write 31/12/2026.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d %b %Y", "%d %B %Y"]


def too_long(label):
    # Django fills in limit_value and show_value itself.
    return label + " must be at most %(limit_value)d characters (it has %(show_value)d)."


def is_iso_date(text):
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


class DateInput(forms.DateInput):
    """A date picker. When what a person typed is not a date it becomes a text box holding their text: a
    type="date" input cannot hold an invalid value (the browser would show it empty, the text lost)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if isinstance(value, str) and value.strip() and not is_iso_date(value.strip()):
            context["widget"]["type"] = "text"
        return context


class PlainDateField(forms.DateField):
    widget = DateInput
    default_error_messages = {"invalid": DATE_ERROR}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except (OverflowError, ValueError):
            raise forms.ValidationError(DATE_ERROR, code="invalid") from None


class CrispyMixin:
    """Crispy renders the fields; templates write the <form> tag and buttons themselves. Every text a
    person typed is normalised once here, as it is saved (one kind of line ending: normalise_text)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if name in self.fields and isinstance(self.fields[name].widget, forms.Textarea):
                cleaned[name] = normalise_text(value)
        return cleaned


def plain_messages(form):
    """Length limits and required fields in the person's words, with the field's own label."""
    for field in form.fields.values():
        label = str(field.label or "This field")
        if getattr(field, "max_length", None):
            field.error_messages["max_length"] = too_long(label)
        field.error_messages["required"] = f"{label} is required."


# Accounts -----------------------------------------------------------------------------------------


class SignInForm(CrispyMixin, LoginForm):
    """allauth's sign-in by email, labelled as before: "Email" and "Password", no placeholders (a label is
    what a screen reader and a person filling it in both need); the reset link is under the form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Email"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["login"].widget.attrs["autofocus"] = True
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""
        plain_messages(self)


class SignUpForm(CrispyMixin, SignupForm):
    """allauth's sign-up (email, password twice) with the person's name first, in PeerPlan's words, and the
    site's SIGNUP_MODE applied to the email."""

    name = forms.CharField(label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    field_order = ["name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email"
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.fields["email"].error_messages["invalid"] = "Enter an email address like name@example.org."
        self.fields["password1"].widget.attrs.pop("placeholder", None)
        self.fields["password2"].label = "Password again"
        self.fields["password2"].widget.attrs.pop("placeholder", None)
        self.fields["password2"].help_text = "The same password, to be sure it is typed as you meant."
        plain_messages(self)

    def clean_email(self):
        email = super().clean_email()
        problem = signup_problem(email, pending_invitation(context.request))
        if problem:
            raise forms.ValidationError(problem)
        return email

    def clean(self):
        cleaned = super().clean()
        # allauth's wording for a mismatch, in PeerPlan's.
        if self.errors.get("password2") and cleaned.get("password1") != cleaned.get("password2"):
            self.errors["password2"] = self.error_class(
                ["The two passwords are not the same. Type the same password twice."]
            )
        return cleaned

    def signup(self, request, user):
        user.first_name = self.cleaned_data["name"]
        user.save(update_fields=["first_name"])


# Organisations and members ------------------------------------------------------------------------


class OrganisationForm(CrispyMixin, forms.Form):
    name = forms.CharField(
        label="Name of the service or trust",
        max_length=200,
        help_text="For example: Northside Community Mental Health Team.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_messages(self)


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
        from peerplan.models import Organisation

        organisation = Organisation.objects.filter(slug=self.cleaned_data["organisation"]).first()
        if organisation is None:
            raise forms.ValidationError("No organisation has this short name. Search for it by name above.")
        return organisation


# Checklists ---------------------------------------------------------------------------------------


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


# Mitigations --------------------------------------------------------------------------------------


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        # The email beside the name tells apart two members with the same name.
        name = display_name(user)
        return f"{name} ({user.email})" if user.email and name != user.email else name


class MitigationForm(CrispyMixin, forms.ModelForm):
    """A mitigation's editable fields, plus the version it was opened at (optimistic locking)."""

    owner = MemberChoiceField(
        label="Owner (a member of this organisation)",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Nobody in the organisation",
        error_messages={"invalid_choice": "Choose a member of this organisation."},
    )
    due_date = PlainDateField(label="Due date", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Mitigation
        fields = [
            "action",
            "owner",
            "owner_name",
            "due_date",
            "status",
            "phase",
            "notes",
            "co_produced",
            "lived_experience_led",
        ]
        labels = {
            "action": "What will be done",
            "owner_name": "Or an owner outside the organisation",
            "phase": "Implementation phase",
            "co_produced": "Co-produced with people with lived experience",
            "lived_experience_led": "Owned by a peer support worker or lived-experience lead",
        }
        help_texts = {"owner_name": "A named person who is not a member, e.g. 'HR business partner, Sam Lee'."}
        widgets = {"action": forms.Textarea(attrs={"rows": 4}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__organisation=organisation).order_by("first_name", "email")
        )
        self.fields["phase"].queryset = ImplementationPhase.objects.all()
        self.fields["phase"].empty_label = "Not set"
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        plain_messages(self)
        self.fields["action"].error_messages["required"] = "Say what will be done."
        self.fields["status"].error_messages["invalid_choice"] = "Choose one of the statuses listed."
        self.fields["phase"].error_messages["invalid_choice"] = "Choose one of the phases listed."
        self.fields["version"].error_messages["required"] = "The form is missing its version. Reload the page."

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("owner") and (cleaned.get("owner_name") or "").strip():
            self.add_error("owner_name", "Choose a member as owner or name someone outside the organisation, not both.")
        return cleaned

    def changes(self):
        return {field: self.cleaned_data[field] for field in self._meta.fields}

    def differences(self, current):
        """(label, what this person typed, what is saved now) for each field someone else changed."""
        rows = []
        for name in self._meta.fields:
            theirs, now = self.cleaned_data.get(name), getattr(current, name)
            if theirs != now:
                rows.append((self.fields[name].label, _show(self.fields[name], theirs), _show(self.fields[name], now)))
        return rows


def _show(field, value):
    if value in (None, ""):
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(field, forms.ModelChoiceField):
        return field.label_from_instance(value)
    choices = dict(getattr(field, "choices", []) or [])
    if value in choices:
        return choices[value]
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


# Filters -----------------------------------------------------------------------------------------
# List pages filter with a plain Django form bound to the query string: the form cleans and reports bad
# values beside their fields, and its filter() applies what passed. (The evidence index does the same with
# evidence.forms.EvidenceFilterForm.)


class ActionFilterForm(forms.Form):
    """The organisation's action list filters; every choice narrowed to the organisation."""

    q = forms.CharField(
        label="Search the actions and their notes",
        required=False,
        max_length=200,
        error_messages={"max_length": "Search for at most 200 characters."},
    )
    no_owner = forms.BooleanField(label="No owner yet", required=False)
    no_due_date = forms.BooleanField(label="No due date yet", required=False)

    checklist = forms.ModelChoiceField(queryset=Checklist.objects.none(), required=False, empty_label="Any checklist")
    # The dashboard counts active checklists only; its figures link here with checklist_status=active so
    # the list shows exactly the actions counted.
    checklist_status = forms.MultipleChoiceField(
        label="Checklist status", choices=ChecklistStatus.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label="Anyone")
    status = forms.MultipleChoiceField(
        choices=MitigationStatus.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    theme = forms.ModelChoiceField(queryset=Theme.objects.none(), required=False, empty_label="Any theme")
    due_after = forms.DateField(label="Due on or after", required=False, widget=DateInput)
    due_before = forms.DateField(label="Due on or before", required=False, widget=DateInput)

    # Each filter as the queryset lookup it applies (search, the "not yet" boxes and theme: in filter()).
    LOOKUPS = {
        "checklist": "checklist",
        "checklist_status": "checklist__status__in",
        "owner": "owner",
        "status": "status__in",
        "due_after": "due_date__gte",
        "due_before": "due_date__lte",
    }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].queryset = Checklist.objects.filter(organisation=organisation).order_by("title")
        self.fields["checklist"].error_messages["invalid_choice"] = "Choose one of this organisation's checklists."
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(memberships__organisation=organisation).order_by("first_name", "username")
        )
        self.fields["owner"].label_from_instance = display_name
        self.fields["owner"].error_messages["invalid_choice"] = "Choose a member of this organisation."
        # Published themes and this organisation's own: another organisation's own evidence is its alone.
        self.fields["theme"].queryset = Theme.objects.visible_to(organisation).in_published_order()
        self.fields["theme"].error_messages["invalid_choice"] = "Choose one of the listed themes."
        self.fields["status"].error_messages["invalid_choice"] = "Choose statuses from the list."
        self.fields["checklist_status"].error_messages["invalid_choice"] = "Choose checklist statuses from the list."
        for name in ("due_after", "due_before"):
            self.fields[name].error_messages["invalid"] = "Enter the date as year-month-day, e.g. 2025-06-30."

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("due_after"), cleaned.get("due_before")
        if after and before and after > before:
            self.add_error("due_before", "“Due on or before” must not be earlier than “due on or after”.")
        return cleaned

    def filter(self, queryset):
        """The queryset narrowed by every filter that passed validation; an invalid one is reported beside
        its field and left out, so a mistyped date does not empty the list."""
        if not self.is_bound:
            return queryset
        self.is_valid()
        applied = {
            lookup: self.cleaned_data[name]
            for name, lookup in self.LOOKUPS.items()
            if self.cleaned_data.get(name) not in (None, "", [])
        }
        queryset = queryset.filter(**applied)
        # Every word somewhere in the action or its notes.
        for word in (self.cleaned_data.get("q") or "").split():
            queryset = queryset.filter(Q(action__icontains=word) | Q(notes__icontains=word))
        if self.cleaned_data.get("no_owner"):
            queryset = queryset.filter(no_owner_q())
        if self.cleaned_data.get("no_due_date"):
            queryset = queryset.filter(no_due_date_q())
        if self.cleaned_data.get("theme"):
            # An action addresses many challenges: each once, whatever number of them is of the theme.
            queryset = queryset.addressing_theme(self.cleaned_data["theme"])
        return queryset


class ReportSinceForm(forms.Form):
    """The report's "decisions taken since" date (the last report's)."""

    since = PlainDateField(label="Decisions taken since", required=True)


# Reviewing challenges -----------------------------------------------------------------------------


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


# Changing actions in place, one or many -----------------------------------------------------------


class QuickActionForm(forms.ModelForm):
    """Status, owner and due date of one action, changed from a list (plus the version it was shown at)."""

    owner = MemberChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        error_messages={"invalid_choice": "Choose a member of this organisation as owner."},
    )
    due_date = PlainDateField(required=False)
    version = forms.IntegerField(
        min_value=1, error_messages={"required": "The form is missing its version. Reload the page."}
    )

    class Meta:
        model = Mitigation
        fields = ["status", "owner", "due_date"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = get_user_model().objects.filter(memberships__organisation=organisation)
        self.fields["status"].error_messages["invalid_choice"] = "Choose one of the statuses listed."
        self.fields["status"].error_messages["required"] = "Choose a status."

    def changes(self, saved):
        """Only what differs from what is saved; choosing a member replaces an outside owner's name.
        (`saved` is read apart: validation writes the cleaned values onto the form's own instance.)"""
        changes = {}
        for name in self._meta.fields:
            if self.cleaned_data[name] != getattr(saved, name):
                changes[name] = self.cleaned_data[name]
        if self.cleaned_data["owner"] is not None and saved.owner_name:
            changes["owner_name"] = ""
        return changes


KEEP = ""


class BulkActionForm(forms.Form):
    """What to set on every selected action; a field left as "Leave as it is" is not touched."""

    status = forms.ChoiceField(
        label="Set status",
        required=False,
        choices=[(KEEP, "Leave as it is"), *Mitigation._meta.get_field("status").choices],
    )
    owner = forms.ChoiceField(label="Set owner", required=False)
    due_date = PlainDateField(label="Set due date", required=False)
    clear_due_date = forms.BooleanField(label="Remove the due date", required=False)

    NO_OWNER = "none"

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        members = (
            get_user_model().objects.filter(memberships__organisation=organisation).order_by("first_name", "email")
        )
        self.members = {str(user.pk): user for user in members}
        self.fields["owner"].choices = [
            (KEEP, "Leave as it is"),
            (self.NO_OWNER, "No owner"),
            *[(pk, display_name(user)) for pk, user in self.members.items()],
        ]
        self.fields["status"].error_messages["invalid_choice"] = "Choose one of the statuses listed."
        self.fields["owner"].error_messages["invalid_choice"] = "Choose a member of this organisation as owner."

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("due_date") and cleaned.get("clear_due_date"):
            self.add_error("due_date", "Set a due date or remove it, not both.")
        return cleaned

    def changes(self):
        changes = {}
        if self.cleaned_data.get("status"):
            changes["status"] = self.cleaned_data["status"]
        owner = self.cleaned_data.get("owner")
        if owner == self.NO_OWNER:
            changes |= {"owner": None, "owner_name": ""}
        elif owner:
            changes |= {"owner": self.members[owner], "owner_name": ""}
        if self.cleaned_data.get("clear_due_date"):
            changes["due_date"] = None
        elif self.cleaned_data.get("due_date"):
            changes["due_date"] = self.cleaned_data["due_date"]
        return changes


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
