"""What a list of actions repeats on every miss, rendered once per process for what it shows: `{% action_rows actions %}`
(a row each, includes/action_row.html), `{% action_filters form %}` (the action list's filter fields),
`{% owner_choices … %}` and `{% plain_options … %}` (the members the rows' owner drop-downs and the bulk bar
offer).

A page of 25 rows cost 30–40 ms to render, the largest part of every list's miss; and right after a write
(when every page of the organisation is rebuilt) all but the changed row are as they were. So a row is
rendered from a `Row` — every value it shows, copied off the action — and the page's few values it uses,
and that pair is the key of the rendered row. The template sees nothing else (render_row's only argument
is the key), so the key is complete by construction: any change to what the row shows is a new key, never
a stale row, and nothing is invalidated. Who is looking is in the key as what it changes (`can_edit`, from
their role), and the key holds no one's identity, so a row is shared only between people who see it alike.
The member lists are rendered from their keys alone the same way. The filter fields are rendered from the
form, whose HTML is a function of what its key holds (see FiltersKey).
"""

import functools
from dataclasses import dataclass, field
from types import SimpleNamespace

from django import template
from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from peerplan.forms.mitigations import ActionFilterForm
from peerplan.lib import kept_parts
from peerplan.lib.kept_parts import PageValues, kept
from peerplan.models import display_name
from peerplan.templatetags.cards import ActionProperties

register = template.Library()

# About 3 KB a row: a few megabytes per worker, room for the pages a busy organisation reads.
ROWS_KEPT = 2048


@dataclass(frozen=True)
class Row:
    """Everything an action's row shows: its properties (action_properties.html: `properties`, whose names a
    row answers too) and the rest of the row (includes/action_row.html), under the names the templates ask a
    Mitigation for, so the same templates render both."""

    properties: ActionProperties
    is_live: bool
    overdue_now: bool
    theme_names: str
    organisation_name: str
    checklist_title: str

    @classmethod
    def of(cls, action, today):
        """The row of an action prepared by pages.dashboard.prepare_quick_edit, on `today`."""
        checklist = action.checklist
        return cls(
            properties=ActionProperties.of(action, today),
            is_live=action.is_live,
            overdue_now=bool(getattr(action, "overdue_now", False)),
            theme_names=action.theme_names,
            organisation_name=checklist.organisation.name,
            checklist_title=checklist.title,
        )

    def __getattr__(self, name):
        # What the templates ask a Mitigation of its properties (its status, owner, due date, version, ...).
        if name == "properties":  # not set yet (while a copy is made): never looked for in itself
            raise AttributeError(name)
        return getattr(self.properties, name)

    @property
    def checklist(self):
        return SimpleNamespace(
            organisation_id=self.properties.organisation_id,
            title=self.checklist_title,
            organisation=SimpleNamespace(name=self.organisation_name),
        )


@dataclass(frozen=True)
class RowKey:
    """A row and the page's values it uses: what render_row renders from, and nothing more."""

    row: Row
    today: object
    next: str
    list_key: str
    bulk_form: str
    show_organisation: bool
    statuses: tuple
    # What else its HTML is written for: the CSRF token's place, links, language (kept_parts.PageValues).
    page: PageValues


@kept(maxsize=ROWS_KEPT)
def render_row(key):
    """The row's HTML from `key` alone (its CSRF token left as kept_parts.CSRF_MARK)."""
    values = {
        "action": key.row,
        "today": key.today,
        "next": key.next,
        "list_key": key.list_key,
        "bulk_form": key.bulk_form,
        "show_organisation": key.show_organisation,
        "statuses": key.statuses,
    }
    return kept_parts.render("peerplan/includes/action_row.html", values, key.page)


@register.simple_tag(takes_context=True)
def action_rows(context, actions):
    """`{% action_rows actions %}`: includes/action_row.html for each of `actions`, one after the other, with the
    page's `today`, `next`, `list_key`, `bulk_form`, `show_organisation` and `statuses`, read once for all of
    them (a tag per row, each reading them again, was a fifth of a list's rows)."""
    today = context.get("today")
    common = dict(
        today=today,
        next=context.get("next") or "",
        list_key=context.get("list_key") or "",
        bulk_form=context.get("bulk_form") or "",
        show_organisation=bool(context.get("show_organisation")),
        statuses=tuple((value, str(label)) for value, label in context.get("statuses") or ()),
        page=PageValues.of(context),
    )
    rows = (render_row(RowKey(row=Row.of(action, today), **common)) for action in actions)
    return kept_parts.with_token("".join(rows), context)


# The filter fields for one organisation's choices and one set of filters each: the few a list is read with
# (a large organisation's are about 30 KB, with the form they were rendered from).
FILTER_BARS_KEPT = 64
# The member lists: one per organisation (about 5 KB for a hundred members).
MEMBER_LISTS_KEPT = 256


@dataclass(frozen=True)
class FiltersKey:
    """What the action list's filter fields show: per field, the values sent, its errors and its choices, as
    (value, label) or, for a field whose choices are made from rows (ActionFilterForm.shown_rows: checklists,
    members, themes), as those rows, which its labels are worked out from. The fields, labels and widgets are
    the form class's own, the same for every form; `form` is carried along to be rendered, not compared."""

    bound: bool
    fields: tuple
    # The form, or what makes it (unbound): made only when the fields are drawn.
    form: object = field(compare=False, hash=False, repr=False)

    @classmethod
    def unbound(cls, organisation):
        """FiltersKey.of(ActionFilterForm(organisation=organisation)), without the form: the list as everyone first
        opens it. Its fields' choices are the class's, but for those made from rows, read as the form reads them.
        Making the form (a copy of each of its eleven fields) was a twentieth of a large organisation's list."""
        rows = ActionFilterForm.rows_shown(organisation.pk)
        return cls(
            bound=False,
            fields=tuple(
                (name, (), (), rows[name]() if name in rows else cls._choices(field))
                for name, field in ActionFilterForm.base_fields.items()
            )
            + (("", (), (), ()),),
            form=functools.partial(ActionFilterForm, organisation=organisation),
        )

    @classmethod
    def of(cls, form):
        shown_rows = getattr(form, "shown_rows", {})
        return cls(
            bound=form.is_bound,
            fields=tuple(
                (
                    name,
                    tuple(form.data.getlist(name)) if form.is_bound else (),
                    tuple(str(error) for error in form.errors.get(name, ())),
                    shown_rows[name]() if name in shown_rows else cls._choices(field),
                )
                for name, field in form.fields.items()
            )
            + (("", (), tuple(str(error) for error in form.non_field_errors()), ()),),
            form=form,
        )

    @staticmethod
    def _choices(field):
        return tuple((str(value), str(label)) for value, label in getattr(field, "choices", ()))


@kept(maxsize=FILTER_BARS_KEPT)
def render_filters(key):
    """The filter fields (tracking/_action_filters.html) of `key.form`, which `key` describes whole."""
    form = key.form() if isinstance(key.form, functools.partial) else key.form
    context = Context({"form": form}, use_l10n=False)
    return get_template("peerplan/tracking/_action_filters.html").template.render(context)


@register.simple_tag
def action_filters(form, organisation):
    """`{% action_filters form organisation %}`: the action list's filter fields for `form` (an ActionFilterForm),
    or, with none (no filter sent), those of the organisation's list as everyone first opens it."""
    return mark_safe(render_filters(FiltersKey.of(form) if form is not None else FiltersKey.unbound(organisation)))


@kept(maxsize=MEMBER_LISTS_KEPT)
def render_owner_choices(organisations):
    """includes/owner_choices_list.html from `organisations` alone: ((organisation id, ((member id, name), …)), …)."""
    context = Context({"organisations": organisations}, use_l10n=False)
    return get_template("peerplan/includes/owner_choices_list.html").template.render(context)


@register.simple_tag
def owner_choices(choices):
    """`{% owner_choices owner_choices %}`: a <template> of members per organisation (pages.dashboard.owner_choices)."""
    organisations = tuple(
        (organisation_id, tuple((member.pk, display_name(member)) for member in members))
        for organisation_id, members in choices or ()
    )
    return mark_safe(render_owner_choices(organisations))


@kept(maxsize=MEMBER_LISTS_KEPT)
def render_plain_options(choices, chosen):
    """includes/plain_options.html from `choices` ((value, label), …) and `chosen` (a value, or None) alone."""
    context = Context({"choices": choices, "chosen": chosen})
    return get_template("peerplan/includes/plain_options.html").template.render(context)


@register.simple_tag
def plain_options(choices, chosen=None):
    """`{% plain_options field.choices %}`: <option>s with none chosen (the bulk bar's hundred members);
    `{% plain_options statuses action.shown_status %}`: that one chosen (an action's status control, drawn
    after every change on every page that shows the action)."""
    pairs = tuple((str(value), str(label)) for value, label in choices)
    return mark_safe(render_plain_options(pairs, None if chosen is None else str(chosen)))
