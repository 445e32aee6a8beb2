"""Forms for actions: one action, quick and bulk edits, and the action list's filters."""

import functools
import re
from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.core import validators
from django.db.models import Q
from django.db.models.query import MAX_GET_RESULTS

from evidence.models import Theme
from peerplan.figures.tracking import QUICK_VIEW_LABELS, QUICK_VIEWS, quick_view
from peerplan.forms.common import CrispyMixin, DateInput, PlainDateField, plain_messages
from peerplan.lib.prepared import PreparedQuery
from peerplan.models import (
    MEMBER_NAME_FIELDS,
    Checklist,
    ChecklistStatus,
    ImplementationPhase,
    Item,
    MemberName,
    Mitigation,
    MitigationStatus,
    display_name,
    no_due_date_q,
    no_owner_q,
)

# A choice as a browser sends it that a prepared query can look up: a whole number within 32 bits.
_CHOSEN_ID = re.compile(r"[0-9]{1,9}")


class PreparedChoiceMixin:
    """A ModelChoiceField whose choice can be read by a PreparedQuery of its queryset narrowed to one pk (as
    queryset.get(pk=...) narrows it): the same row without building and compiling the query on every request.
    Anything else (no lookup given, a value that is not a plain id, an id that is not offered) is left to
    ModelChoiceField, so what is refused and how is unchanged."""

    lookup = None
    lookup_values = None

    def read_choice_with(self, lookup, **values):
        """Read a chosen id by `lookup`, called with pk= and `values`."""
        self.lookup, self.lookup_values = lookup, values

    def to_python(self, value):
        if self.lookup is not None and isinstance(value, str) and _CHOSEN_ID.fullmatch(value):
            found = self.lookup(pk=int(value), **self.lookup_values)
            if len(found) == 1:
                return found[0]
        return super().to_python(value)


def _one_of(queryset, pk):
    """`queryset` narrowed to one pk, as QuerySet.get narrows it (no ordering, at most MAX_GET_RESULTS rows)."""
    return queryset.filter(pk=pk).order_by()[:MAX_GET_RESULTS]


def _members_as_owners(organisation_id):
    return get_user_model().objects.filter(memberships__organisation=organisation_id).order_by("first_name", "email")


MEMBER_AS_OWNER = PreparedQuery(lambda organisation_id, pk: _one_of(_members_as_owners(organisation_id), pk))
PHASE = PreparedQuery(lambda pk: _one_of(ImplementationPhase.objects.all(), pk))


class MemberChoiceField(PreparedChoiceMixin, forms.ModelChoiceField):
    def label_from_instance(self, user):
        # The email beside the name tells apart two members with the same name.
        name = display_name(user)
        return f"{name} ({user.email})" if user.email and name != user.email else name


class PhaseChoiceField(PreparedChoiceMixin, forms.ModelChoiceField):
    pass


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
            "details",
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
            "action": "Title",
            "details": "Details (optional)",
            "owner_name": "Or an owner outside the organisation",
            "phase": "Implementation phase",
            "co_produced": "Co-produced with people with lived experience",
            "lived_experience_led": "Owned by a peer support worker or lived-experience lead",
        }
        help_texts = {
            "action": f"What will be done, in a few words (at most {Mitigation.TITLE_MAX_LENGTH} characters).",
            "details": "How, with whom, and anything else someone picking it up needs to know.",
            "owner_name": "A named person who is not a member, e.g. 'HR business partner, Sam Lee'.",
        }
        field_classes = {"phase": PhaseChoiceField}
        widgets = {
            "action": forms.TextInput(),
            "details": forms.Textarea(attrs={"rows": 5}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _members_as_owners(organisation.pk)
        self.fields["owner"].read_choice_with(MEMBER_AS_OWNER, organisation_id=organisation.pk)
        self.fields["phase"].queryset = ImplementationPhase.objects.all()
        self.fields["phase"].read_choice_with(PHASE)
        self.fields["phase"].empty_label = "Not set"
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        self._limit_title()
        plain_messages(self)
        self.fields["action"].error_messages["required"] = "Give the action a title: say what will be done."
        self.fields["action"].error_messages["max_length"] = (
            "Keep the title to at most %(limit_value)d characters (it has %(show_value)d): put the rest in the details."
        )
        if "\n" in (self.instance.action or ""):
            # A title from before titles were short may run over several lines: a one-line box would
            # join them and change the title without anyone meaning to.
            self.fields["action"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["status"].error_messages["invalid_choice"] = "Choose one of the statuses listed."
        self.fields["phase"].error_messages["invalid_choice"] = "Choose one of the phases listed."
        self.fields["version"].error_messages["required"] = "The form is missing its version. Reload the page."

    def _limit_title(self):
        """New titles are short; one typed before the limit keeps its length until someone shortens it."""
        field = self.fields["action"]
        field.max_length = max(Mitigation.TITLE_MAX_LENGTH, len(self.instance.action or "") if self.instance.pk else 0)
        field.validators = [v for v in field.validators if not isinstance(v, validators.MaxLengthValidator)]
        field.validators.append(validators.MaxLengthValidator(field.max_length))
        # No maxlength in the page: a browser would cut a pasted title without a word; the message says what to do.
        field.widget.attrs.pop("maxlength", None)

    def _get_validation_exclusions(self):
        # The owner and phase fields read their choice from their querysets (a member of the organisation, a
        # phase): the model's own check of each (that such a row exists) would read it again on every save.
        return {*super()._get_validation_exclusions(), "owner", "phase"}

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


class ItemChoiceField(forms.ModelMultipleChoiceField):
    # {str(pk): item} of the items the action addresses, read with it (in published order, each with what its
    # name needs): the field's queryset offers every one of them, so ticking only these needs no query.
    known = None

    def label_from_instance(self, item):
        return item.finding.theme.name

    def _check_values(self, value):
        # The rows the queryset would return for them (as a list), in its order; anything else is checked by it.
        if self.known and all(isinstance(pk, str) and pk in self.known for pk in value):
            ticked = set(value)
            return [item for pk, item in self.known.items() if pk in ticked]
        return super()._check_values(value)


class ActionForm(MitigationForm):
    """The action's own form on its pages: its fields and, ticked in the same form, the challenges it
    addresses (the API takes its items separately, so they are not part of MitigationForm)."""

    challenges = ItemChoiceField(
        label="Challenges this action addresses",
        queryset=Item.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Tick at least one challenge for this action to address.",
            "invalid_choice": "Tick only challenges listed here.",
            "invalid_pk_value": "Tick only challenges listed here.",
        },
    )

    def __init__(self, *args, checklist, addressed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["challenges"].error_messages["required"] = "Tick at least one challenge for this action to address."
        self.fields["challenges"].queryset = (
            Item.objects.filter(checklist=checklist)
            .offered_to_actions(keep=[item.pk for item in addressed])
            .select_related("finding__theme__category")
            .in_published_order()
        )
        if not self.is_bound:
            self.initial["challenges"] = [item.pk for item in addressed]
        self.fields["challenges"].known = {
            str(item.pk): item for item in addressed if item.checklist_id == checklist.pk
        }

    def offered(self):
        """(item, ticked) for each item offered, in published order; what was ticked survives an error."""
        field = self["challenges"]
        ticked = {str(value) for value in (field.value() or [])}
        return [(item, str(item.pk) in ticked) for item in self.fields["challenges"].queryset]

    def differences(self, current):
        rows = super().differences(current)
        theirs = sorted(item.finding.theme.name for item in self.cleaned_data.get("challenges") or [])
        now = sorted(item.finding.theme.name for item in current.items.select_related("finding__theme"))
        if theirs != now:
            rows.append(("Challenges", "; ".join(theirs), "; ".join(now)))
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


def _checklists(organisation_id):
    return Checklist.objects.filter(organisation_id=organisation_id).order_by("title")


def _members(organisation_id):
    return (
        get_user_model().objects.filter(memberships__organisation_id=organisation_id).order_by("first_name", "username")
    )


def _themes(organisation_id):
    return Theme.objects.visible_to(organisation_id).in_published_order()


# What the action list's filter shows of its choices, compiled once per process (peerplan/lib/prepared.py):
# building and compiling the three queries was a millisecond of every miss of the list, the same for every
# organisation. The same querysets as the fields', so what is shown is what may be chosen.
SHOWN_CHECKLISTS = PreparedQuery(
    lambda organisation_id: _checklists(organisation_id).values_list("pk", "title"), without_actions=True
)
SHOWN_MEMBERS = PreparedQuery(
    lambda organisation_id: _members(organisation_id).values_list(*MEMBER_NAME_FIELDS), without_actions=True
)
SHOWN_THEMES = PreparedQuery(
    lambda organisation_id: _themes(organisation_id).values_list("pk", "name"), without_actions=True
)


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
    # One of the dashboard's figures (or "mine"), combined with the other filters; its links set only this.
    view = forms.ChoiceField(
        label="Quick view",
        required=False,
        choices=[("", "All actions"), *QUICK_VIEW_LABELS.items()],
        error_messages={"invalid_choice": f"Choose one of {', '.join(QUICK_VIEWS)}."},
    )

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

    # The rows each choice field's choices are made from (`shown_rows`: the value first), and its label of a row.
    SHOWN = {
        "checklist": (SHOWN_CHECKLISTS, lambda row: row[1]),
        "owner": (SHOWN_MEMBERS, lambda row: display_name(MemberName(*row))),
        "theme": (SHOWN_THEMES, lambda row: row[1]),
    }

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
        if self.is_bound:
            # What may be chosen, asked only of values sent: a form with none (the list as everyone first opens
            # it) is only shown, from the rows below, and building the three querysets was a third of making it.
            self.fields["checklist"].queryset = _checklists(organisation.pk)
            self.fields["owner"].queryset = _members(organisation.pk)
            # Published themes and this organisation's own: another organisation's own evidence is its alone.
            self.fields["theme"].queryset = _themes(organisation.pk)
        self.fields["checklist"].error_messages["invalid_choice"] = "Choose one of this organisation's checklists."
        self.fields["owner"].label_from_instance = display_name
        self.fields["owner"].error_messages["invalid_choice"] = "Choose a member of this organisation."
        self.fields["theme"].error_messages["invalid_choice"] = "Choose one of the listed themes."
        self.fields["status"].error_messages["invalid_choice"] = "Choose statuses from the list."
        self.fields["checklist_status"].error_messages["invalid_choice"] = "Choose checklist statuses from the list."
        for name in ("due_after", "due_before"):
            self.fields[name].error_messages["invalid"] = "Enter the date as year-month-day, e.g. 2025-06-30."
        # Shown from rows, one light query each, rather than from a model instance per option (a large
        # organisation's 200 options were a fifth of its action list's time); the querysets above still decide
        # what may be chosen. Read when first shown: a page from the cache shows no form.
        self.shown_rows = self.rows_shown(organisation.pk)
        for name, (_query, label) in self.SHOWN.items():
            field = self.fields[name]
            field.choices = functools.cache(
                lambda field=field, rows=self.shown_rows[name], label=label: [
                    ("", field.empty_label),
                    *((r[0], label(r)) for r in rows()),
                ]
            )

    @classmethod
    def rows_shown(cls, organisation_id):
        """{name of a field of SHOWN: its rows, read when first asked for}."""
        return {
            name: functools.cache(lambda query=query: tuple(query(organisation_id=organisation_id)))
            for name, (query, _label) in cls.SHOWN.items()
        }

    @staticmethod
    def themes_offered(organisation_id):
        """The themes `theme` takes (the API lists them)."""
        return _themes(organisation_id)

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
        # Every word somewhere in the action (title or details) or its notes.
        for word in (self.cleaned_data.get("q") or "").split():
            queryset = queryset.filter(
                Q(action__icontains=word) | Q(details__icontains=word) | Q(notes__icontains=word)
            )
        if self.cleaned_data.get("no_owner"):
            queryset = queryset.filter(no_owner_q())
        if self.cleaned_data.get("no_due_date"):
            queryset = queryset.filter(no_due_date_q())
        if self.cleaned_data.get("theme"):
            # An action addresses many challenges: each once, whatever number of them is of the theme.
            queryset = queryset.addressing_theme(self.cleaned_data["theme"])
        return queryset

    def in_view(self, queryset, *, today, user):
        """The queryset narrowed to the quick view asked for, by the dashboard's own rule (none: as it is)."""
        if not self.is_bound:
            return queryset
        self.is_valid()  # an invalid filter beside it is left out, as in filter()
        view = self.cleaned_data.get("view")
        return quick_view(queryset, view, today=today, user=user) if view else queryset

    def showing(self):
        """What the list is narrowed to, in words, for the bar above it: ["Overdue", "Owner: Sam", …]."""
        if not self.is_bound:
            return []
        self.is_valid()
        data, shown = self.cleaned_data, []
        if data.get("view"):
            shown.append(QUICK_VIEW_LABELS[data["view"]])
        if data.get("q"):
            shown.append(f"Search: “{data['q']}”")
        if data.get("checklist"):
            shown.append(f"Checklist: {data['checklist'].title}")
        if data.get("theme"):
            shown.append(f"Theme: {data['theme'].name}")
        if data.get("owner"):
            shown.append(f"Owner: {display_name(data['owner'])}")
        for name, label in (("status", "Status"), ("checklist_status", "Checklist status")):
            if data.get(name):
                labels = dict(self.fields[name].choices)
                shown.append(f"{label}: {', '.join(str(labels[value]) for value in data[name])}")
        if data.get("due_after"):
            shown.append(f"Due on or after {data['due_after']:%-d %b %Y}")
        if data.get("due_before"):
            shown.append(f"Due on or before {data['due_before']:%-d %b %Y}")
        if data.get("no_owner"):
            shown.append("No owner yet")
        if data.get("no_due_date"):
            shown.append("No due date yet")
        return shown


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
    # Sent only by Undo, to give back an outside owner's name that choosing a member replaced.
    owner_name = forms.CharField(required=False, max_length=Mitigation._meta.get_field("owner_name").max_length)

    class Meta:
        model = Mitigation
        fields = ["status", "owner", "due_date"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = get_user_model().objects.filter(memberships__organisation=organisation)
        self.fields["status"].error_messages["invalid_choice"] = "Choose one of the statuses listed."
        self.fields["status"].error_messages["required"] = "Choose a status."

    def _get_validation_exclusions(self):
        # The owner field read its choice as a member of the organisation: the model's own check of the
        # owner (that such a person exists) would read them again, on every in-place change.
        return {*super()._get_validation_exclusions(), "owner"}

    def changes(self, saved):
        """Only what differs from what is saved; choosing a member replaces an outside owner's name.
        (`saved` is read apart: validation writes the cleaned values onto the form's own instance.)"""
        changes = {}
        for name in self._meta.fields:
            if self.cleaned_data[name] != getattr(saved, name):
                changes[name] = self.cleaned_data[name]
        if self.cleaned_data["owner"] is not None and saved.owner_name:
            changes["owner_name"] = ""
        # A form without the field (every one but Undo's) leaves an outside owner's name as it is.
        if "owner_name" in self.data and self.cleaned_data["owner"] is None:
            if self.cleaned_data["owner_name"] != saved.owner_name:
                changes["owner_name"] = self.cleaned_data["owner_name"]
        return changes


KEEP = ""


def _owner_choices(members):
    """The owners the bulk bar offers: leave as it is, no owner, then each of `members` (users or their MemberName)
    by name."""
    return (
        (KEEP, "Leave as it is"),
        (BulkActionForm.NO_OWNER, "No owner"),
        *((str(member.pk), display_name(member)) for member in members),
    )


# Kept per process for a tuple of MemberName (one list per organisation), which compare by every field a name is
# made of; never for users, which compare by their id alone.
_kept_owner_choices = functools.lru_cache(maxsize=256)(_owner_choices)


@dataclass(frozen=True)
class BulkBar:
    """The choices of the bulk bar's fields (BulkActionForm.bar)."""

    status_choices: tuple
    owner_choices: tuple


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

    def __init__(self, *args, organisation, members=None, **kwargs):
        """`members`: the organisation's members in this order (users, or their MemberName), when the page has
        read them already for a form it only shows; a form sent back reads them as users, to be given actions."""
        super().__init__(*args, **kwargs)
        if members is None:
            members = (
                get_user_model().objects.filter(memberships__organisation=organisation).order_by("first_name", "email")
            )
        self.members = {str(user.pk): user for user in members}
        self.fields["owner"].choices = _owner_choices(tuple(self.members.values()))
        self.fields["status"].error_messages["invalid_choice"] = "Choose one of the statuses listed."
        self.fields["owner"].error_messages["invalid_choice"] = "Choose a member of this organisation as owner."

    @classmethod
    def bar(cls, members):
        """What the action list's bulk bar shows of the form (its choices), for a page that only shows it, given
        the organisation's `members` (their MemberName, read for the rows): making the form, a copy of each field
        and a hundred members' choices set, was a twentieth of a large organisation's action list."""
        members = tuple(members)
        if not all(isinstance(member, MemberName) for member in members):
            raise TypeError("BulkActionForm.bar takes members' MemberName rows")
        return BulkBar(
            status_choices=tuple(cls.base_fields["status"].choices), owner_choices=_kept_owner_choices(members)
        )

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
