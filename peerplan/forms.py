"""Forms for people, organisations, checklists, items and mitigations.

Every error is said in plain words beside its field; the organisation always comes from the URL, never
from what was posted, and every choice of person is narrowed to the organisation's members.
"""

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm

from peerplan.models import Checklist, ImplementationPhase, Item, Mitigation, Role

DATE_ERROR = "Enter a date like 31/12/2026."
# Browsers send date inputs as 2026-12-31; people typing into a plain box write 31/12/2026.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d %b %Y", "%d %B %Y"]


def too_long(label):
    # Django fills in limit_value and show_value itself.
    return label + " must be at most %(limit_value)d characters (it has %(show_value)d)."


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


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
    """Crispy renders the fields; templates write the <form> tag and buttons themselves."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


def plain_messages(form):
    """Length limits and required fields in the person's words, with the field's own label."""
    for field in form.fields.values():
        label = str(field.label or "This field")
        if getattr(field, "max_length", None):
            field.error_messages["max_length"] = too_long(label)
        field.error_messages["required"] = f"{label} is required."


# Accounts -----------------------------------------------------------------------------------------


class EmailAuthenticationForm(CrispyMixin, AuthenticationForm):
    """Sign in with an email address; accounts made by an administrator sign in by username too."""

    username = forms.CharField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autofocus": True}))
    error_messages = {
        "invalid_login": "That email and password do not match an account. Check both and try again.",
        "inactive": "This account is switched off. Ask the site administrator.",
    }

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(email__iexact=value).order_by("pk").first()
        if user is not None:
            return user.username
        return value.lower()


class SignUpForm(CrispyMixin, forms.Form):
    name = forms.CharField(label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label="Email",
        max_length=150,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Enter an email address like name@example.org."},
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="The same password, to be sure it is typed as you meant.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_messages(self)

    def clean_email(self):
        # Whether the address already has an account is not said here (see views/accounts.py): that
        # person is told by email instead.
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords are not the same. Type the same password twice.")
        elif password1 and cleaned.get("email"):
            user = get_user_model()(
                username=cleaned["email"], email=cleaned["email"], first_name=cleaned.get("name", "")
            )
            try:
                password_validation.validate_password(password1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def save(self, is_active=True):
        return get_user_model().objects.create_user(
            username=self.cleaned_data["email"],
            email=self.cleaned_data["email"],
            password=self.cleaned_data["password1"],
            first_name=self.cleaned_data["name"].strip(),
            is_active=is_active,
        )


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

    def __init__(self, *args, can_invite_owner=False, **kwargs):
        super().__init__(*args, **kwargs)
        plain_messages(self)
        if not can_invite_owner:
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]
        self.fields["role"].error_messages["invalid_choice"] = "Choose one of the roles listed."


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


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
        if not self.is_bound:
            self.initial["applies"] = "yes" if self.instance.applies else "no"
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


class OutcomeForm(forms.Form):
    applies = forms.BooleanField(required=False)


# Mitigations --------------------------------------------------------------------------------------


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name() or user.first_name
        return f"{name} ({user.email})" if name and user.email else (name or user.email or user.username)


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
