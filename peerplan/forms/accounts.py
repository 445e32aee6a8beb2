"""Sign-in and sign-up forms (allauth's, in PeerPlan's words)."""

from allauth.account.forms import LoginForm, SignupForm
from allauth.core import context
from django import forms

from peerplan.accounts.signup import pending_invitation, signup_problem
from peerplan.forms.common import CrispyMixin, plain_messages


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
    """allauth's sign-up (email, password once: settings.ACCOUNT_SIGNUP_FIELDS) with the person's name
    first, in PeerPlan's words, and the site's SIGNUP_MODE applied to the email."""

    name = forms.CharField(label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    field_order = ["name", "email", "password1"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email"
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.fields["email"].error_messages["invalid"] = "Enter an email address like name@example.org."
        self.fields["password1"].widget.attrs.pop("placeholder", None)
        plain_messages(self)

    def clean_email(self):
        email = super().clean_email()
        problem = signup_problem(email, pending_invitation(context.request))
        if problem:
            raise forms.ValidationError(problem)
        return email

    def signup(self, request, user):
        user.first_name = self.cleaned_data["name"]
        user.save(update_fields=["first_name"])


class DeleteAccountForm(CrispyMixin, forms.Form):
    """Deleting an account is confirmed by typing its email address (allauth's re-authentication, password or
    two-factor, comes first, on the view)."""

    email = forms.CharField(
        label="Type your email address to confirm",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "email"}),
    )
