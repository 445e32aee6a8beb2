"""The evidence admin's history, for people: a reason may be given with every save and is kept in the history
beside it; the history shows each change of a text in full, word by word; and a name links to its user page
only for someone who may open it."""

from datetime import datetime

from django import forms
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_permission_codename, get_user_model
from django.db.models import ManyToManyField
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape
from simple_history.template_utils import HistoricalRecordContextHelper

from peerplan.lib.text import DATETIME_FORMAT, word_diff

# The form field's name, and simple-history's limit on a change reason.
REASON = "change_reason"
REASON_LENGTH = 100


class ReasonForChange:
    """Every evidence form has an optional "Reason for this change", kept as simple-history's change reason on
    each row the save writes (the row, its inlines' rows and its references). It is shown just above the save
    buttons (`change_form_template`), after the inlines, where the curator has finished the edit."""

    change_form_template = "admin/evidence/change_form_with_reason.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.get("form", self.form)
        field = forms.CharField(
            label="Reason for this change",
            required=False,
            max_length=REASON_LENGTH,
            help_text=(
                "Optional. Kept in the history beside this change, e.g. “Typo: missing full stop”. "
                f"At most {REASON_LENGTH} characters."
            ),
        )
        kwargs["form"] = type(base.__name__, (base,), {REASON: field})
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        # Drawn by the template after the inlines, not among the fieldsets (a form's declared field is in the
        # form whatever the fieldsets say).
        fieldsets = super().get_fieldsets(request, obj)
        if REASON not in flatten_fieldsets(fieldsets):
            return fieldsets
        return [(name, {**options, "fields": _without_reason(options["fields"])}) for name, options in fieldsets]

    def save_model(self, request, obj, form, change):
        obj._change_reason = history_reason(getattr(form, "kind_reason", None), self._own_reason(request, form))
        super().save_model(request, obj, form, change)

    def _own_reason(self, request, form):
        return form.cleaned_data.get(REASON) or self._reverted_to(request)

    def _reverted_to(self, request):
        """A save from simple-history's revert page says which version it went back to."""
        match = request.resolver_match
        if match is None or not (match.url_name or "").endswith("_simple_history"):
            return None
        record = self.model.history.filter(history_id=match.args[-1]).first()
        if record is None:
            return None
        return (
            f"Reverted to the version of {dateformat.format(timezone.localtime(record.history_date), DATETIME_FORMAT)}"
        )

    def save_formset(self, request, form, formset, change):
        # An inline row's kind is its own (a theme's findings each choose) or else its parent form's (a
        # finding's perspectives follow the finding's choice).
        own = self._own_reason(request, form)
        for inline_form in formset.forms:
            kind = getattr(inline_form, "kind_reason", None) or getattr(form, "kind_reason", None)
            inline_form.instance._change_reason = history_reason(kind, own)
        super().save_formset(request, form, formset, change)


def history_reason(*parts):
    """A history row's reason: the kind of change (minor, or major with its note) and the curator's own
    reason, whichever were given, within simple-history's column."""
    return "; ".join(part for part in parts if part)[:REASON_LENGTH] or None


def _without_reason(fields):
    return [
        field if not isinstance(field, list | tuple) else type(field)(f for f in field if f != REASON)
        for field in fields
        if field != REASON
    ]


class HistoryForPeople:
    """The history list with full texts word by word, the reason given, and names as plain text for anyone
    who may not open the user pages (a curator: the link would be a 403)."""

    object_history_list_template = "admin/evidence/history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return WordByWord(self.model, historical_record)

    def render_history_view(self, request, template, context, **kwargs):
        user_model = get_user_model()._meta
        codename = get_permission_codename("change", user_model)
        context["may_open_users"] = request.user.has_perm(f"{user_model.app_label}.{codename}")
        return super().render_history_view(request, template, context, **kwargs)


class WordByWord(HistoricalRecordContextHelper):
    """Each change of a history record: a text as its words, removed and added ones marked (`diff`), never
    cut short; any other value (a number, a list of references) whole, before and after."""

    def context_for_delta_changes(self, delta):
        shown = super().context_for_delta_changes(delta)
        for entry, change in zip(shown, delta.changes, strict=True):
            texts = all(isinstance(value, str | None) for value in (change.old, change.new))
            if texts and not isinstance(self.model._meta.get_field(change.field), ManyToManyField):
                entry["diff"] = word_diff(change.old or "", change.new or "")
        return shown

    def stringify_delta_change_values(self, change, old, new):
        def whole(value):
            if value is None or value == "":
                return "empty"
            if isinstance(value, datetime):
                return dateformat.format(timezone.localtime(value), DATETIME_FORMAT)
            if isinstance(value, list):
                return ", ".join(str(item) for item in value) or "none"
            return str(value)

        return conditional_escape(whole(old)), conditional_escape(whole(new))
