"""Minor or major, in the curators' admin: every save that changes what a published finding says asks the
curator which it is (a major one with a change note), refuses the save beside the choice when it is missing,
and afterwards records what the save did (evidence/curation.py) and says how many checklists will be asked
to look again. Used by the Finding, Perspective and Theme admins (evidence/admin.py)."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.forms.models import BaseInlineFormSet

from evidence.admin_forms import FindingForm
from evidence.curation import (
    CHANGE_KINDS,
    FINDING_CONTENT,
    MAJOR,
    PERSPECTIVE_CONTENT,
    change_reason,
    changes_content,
    outcome_message,
    record_change,
)
from evidence.models import Finding

NO_CHOICE = (
    "Choose whether this is a minor or a major change: it changes what the finding says, and services are "
    "asked to look again only after a major one. Nothing was saved."
)
NO_NOTE = (
    "Write a change note for a major change: what changed and why it matters to a service, in plain words. "
    "Planners read it beside the highlighted difference. Nothing was saved."
)


class ChangeKindFields(forms.Form):
    """The choice of minor or major, and the change note, on a form that can change a finding's content.
    A subclass says which findings a save changes (`findings_changed`)."""

    change_kind = forms.ChoiceField(
        label="Minor or major change",
        choices=CHANGE_KINDS,
        widget=forms.RadioSelect,
        required=False,
        help_text=(
            "Needed when you change what the finding publishes: its kind, its references, or a sample's text, "
            "group, references or stakeholders."
        ),
    )
    change_note = forms.CharField(
        label="Change note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=(
            "For a major change: what changed and why it matters to a service, in plain words. Planners read it "
            "on the flag, beside the highlighted difference."
        ),
    )

    def findings_changed(self):
        """The ids of the published findings whose content this save changes (none when it changes none)."""
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        # Read before anything is written, so what the save did can be compared afterwards.
        self.content_before = {}
        changed = [pk for pk in self.findings_changed() if pk]
        if not changed:
            return cleaned
        kind, note = cleaned.get("change_kind"), (cleaned.get("change_note") or "").strip()
        if not kind:
            self.add_error("change_kind", NO_CHOICE)
        elif kind == MAJOR and not note:
            self.add_error("change_note", NO_NOTE)
        else:
            self.content_before = {pk: Finding(pk=pk).content() for pk in dict.fromkeys(changed)}
        return cleaned

    @property
    def kind_reason(self):
        """What the history says of the kind of this save (minor, or major with its note), if it changes content."""
        if not getattr(self, "content_before", None):
            return None
        return change_reason(self.cleaned_data.get("change_kind"), self.cleaned_data.get("change_note") or "")


def record_changes(request, forms_saved):
    """After the save: record what each form's save did to its findings, and say so in one message."""
    outcomes = []
    for form in forms_saved:
        kind, note = form.cleaned_data.get("change_kind"), form.cleaned_data.get("change_note") or ""
        for pk, before in getattr(form, "content_before", {}).items():
            finding = Finding.objects.filter(pk=pk).first()
            if finding is not None:
                outcomes.append(record_change(finding, before, kind=kind, note=note, by=request.user))
        form.content_before = {}
    message = outcome_message(outcomes)
    if message:
        messages.info(request, message)


def perspectives_change(formset):
    """Whether a finding's perspective inline adds, removes or edits what a sample publishes."""
    if formset is None:
        return False
    if not formset.is_valid():
        return any(form.has_changed() for form in formset.forms)
    deleted = formset.deleted_forms
    for form in formset.forms:
        if form.instance.pk is not None and form in deleted:
            return True
        if form.instance.pk is None and form.has_changed() and form not in deleted:
            return True
        if form.instance.pk is not None and PERSPECTIVE_CONTENT & set(form.changed_data):
            return True
    return False


class PerspectiveFormSet(BaseInlineFormSet):
    """A finding's perspectives: the finding's own form asks them whether the save changes its samples
    (Django builds the inlines before it validates the form, so they are there to ask)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance._perspective_formset = self


class FindingChangeForm(ChangeKindFields, FindingForm):
    """The Finding admin's form: its kind and references, and its perspectives below it."""

    def findings_changed(self):
        formset = getattr(self.instance, "_perspective_formset", None)
        if changes_content(self, FINDING_CONTENT) or perspectives_change(formset):
            return [self.instance.pk]
        return []


class FindingInlineForm(ChangeKindFields, FindingForm):
    """One finding of the Theme admin: its own choice, beside its own fields."""

    def findings_changed(self):
        return [self.instance.pk] if changes_content(self, FINDING_CONTENT) else []


class RecordsChanges:
    """For an admin whose own form is a ChangeKindFields: the history names the kind of each save, and the
    save is recorded once everything (references, inlines) is written, on the change page and on the
    history page's revert alike."""

    # The history's reason on each row (the kind, and the curator's own reason) is set by ReasonForChange.

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        request._evidence_changes_pending = form

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        record_changes(request, [request.__dict__.pop("_evidence_changes_pending", form)])

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history's revert saves the row and its many-to-many fields but calls no save_related.
        with transaction.atomic():
            response = super().history_form_view(request, object_id, version_id, extra_context)
            pending = request.__dict__.pop("_evidence_changes_pending", None)
            if pending is not None:
                record_changes(request, [pending])
        return response
