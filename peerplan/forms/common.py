"""What every form shares: dates as people type them, crispy layout, plain messages."""

from datetime import date

from crispy_forms.helper import FormHelper
from django import forms

from peerplan.lib.text import normalise_text

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
