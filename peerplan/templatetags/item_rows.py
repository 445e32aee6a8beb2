"""What the checklist page and the item page repeat on every miss, rendered once per process for what it shows:
`{% item_rows items %}` (a category's challenges' rows in the checklist's task list, includes/item_row.html
each; see ItemRow),
`{% check_in_trend trend %}` (a challenge's check-in trend, check_ins/trend.html, with its chart),
`{% decision_fields form %}` (the item's decision form, about 3 ms through crispy; see UnboundFormKey),
`{% item_history entries %}` (the item's timeline, includes/timeline.html; see HistoryKey). The pages' cards
are kept the same way by peerplan/templatetags/cards.py.

Right after a write, every page of the organisation is rebuilt, and a checklist's 25 trends with their
charts were half of its page's rendering, although a write to an action changes at most one of them. So a
trend is rendered from a key holding every value it has (`frozen`: each field of the figures'
dataclasses, all the way down), and that key is the key of the rendered trend: any change to what it shows
is a new key, never a stale trend, and nothing is invalidated. Its figures are already thresholded
(peerplan/figures/check_ins.py), the same for everyone who may see the checklist, so the key holds no one's
identity.

The rows around the trends are kept the same way, and for the same reason (a write changes the row of the
challenges its action addresses, and the large organisation's rows were over a third of its checklist's
rendering): a row is rendered from an ItemRow, every value it shows copied off the item (its trend as the
trend's own key), with whether the person may decide, and the template sees nothing else.
"""

import dataclasses
import datetime
import functools
from types import SimpleNamespace

from django import template
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from peerplan.lib import kept_parts
from peerplan.lib.kept_parts import PageValues, kept
from peerplan.models import Item

register = template.Library()

# About 4 KB a trend with its chart: a few megabytes per worker, a busy organisation's checklists' trends.
TRENDS_KEPT = 1024


def frozen(value):
    """`value` as a hashable key of everything it holds: a dataclass as its class and every field, lists and
    tuples as tuples, a dict as its sorted items. Anything else must be a plain value (text, a number, a
    date): an unexpected type is refused, so a figure added to a trend can never be left out of its key."""
    kind = type(value)
    # The exact plain types first: a checklist's trends are a few thousand values, made into keys on every
    # miss, so the common cases are answered without the general checks below.
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:
        return tuple(frozen(item) for item in value)
    names = _field_names(kind)
    if names is not None:
        return (kind.__qualname__, tuple((name, frozen(getattr(value, name))) for name in names))
    if isinstance(value, (list, tuple)):
        return tuple(frozen(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((frozen(k), frozen(v)) for k, v in value.items()))
    if value is None or isinstance(value, (str, int, float, datetime.date)):
        return value
    raise TypeError(f"No key for a {type(value).__name__} in a kept fragment")


_PLAIN = frozenset({type(None), str, int, bool, float, datetime.date})


@functools.cache
def _field_names(kind):
    """The names of a dataclass's fields (None for any other class)."""
    if dataclasses.is_dataclass(kind):
        return tuple(field.name for field in dataclasses.fields(kind))
    return None


@dataclasses.dataclass(frozen=True)
class TrendKey:
    """What check_ins/trend.html shows of a trend: every value of its figures and chart (`frozen`), its open
    round's number and last day (all the template reads of that round), and the language its dates are
    written in. `trend` is carried along to be rendered, not compared: the rest describes it whole."""

    figures: tuple
    open_round: tuple | None
    language: str
    trend: object = dataclasses.field(compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, trend):
        open_round = trend.open_round
        if open_round is not None:
            # The round is a model instance: the template is given only what the key holds of it.
            open_round = SimpleNamespace(number=open_round.number, closes_on=open_round.closes_on)
            trend = dataclasses.replace(trend, open_round=None)
        return cls(
            figures=frozen(trend),
            open_round=(open_round.number, open_round.closes_on) if open_round is not None else None,
            language=translation.get_language(),
            trend=dataclasses.replace(trend, open_round=open_round) if open_round is not None else trend,
        )


@kept(maxsize=TRENDS_KEPT)
def render_trend(key):
    """check_ins/trend.html for `key.trend`, which `key` describes whole: its chart, where the page left it
    undrawn, is drawn here from the figures the key holds (ItemTrend.drawn), so a trend kept already costs
    a miss no chart, and no key of one."""
    trend = key.trend.drawn()
    context = Context({"trend": trend}, use_l10n=False)  # as page_cache renders the bodies it is part of
    return get_template("peerplan/check_ins/trend.html").template.render(context)


@register.simple_tag
def check_in_trend(trend):
    """`{% check_in_trend trend %}`: check_ins/trend.html for `trend` (a figures.check_ins.ItemTrend)."""
    return mark_safe(render_trend(TrendKey.of(trend)))


# The item page's decision form, unbound: one per item state and kind a process serves (about 6 KB each).
FORMS_KEPT = 256

_CRISPY = None


def _crispy_template():
    global _CRISPY
    if _CRISPY is None:
        _CRISPY = template.Template("{% load crispy_forms_tags %}{% crispy form %}")
    return _CRISPY


@dataclasses.dataclass(frozen=True)
class UnboundFormKey:
    """What an unbound form's fields show (crispy renders them from these alone): its class, prefix and ids,
    and per field its value, label, help text, whether it is required, its choices and its widget's kind and
    attributes (a form's __init__ may change any of these: the item's decision form does, for a benefit).
    `form` is carried along to be rendered, not compared."""

    form_class: type
    prefix: str | None
    auto_id: str
    fields: tuple
    language: str
    form: object = dataclasses.field(compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, form):
        return cls(
            form_class=type(form),
            prefix=form.prefix,
            auto_id=str(form.auto_id),
            fields=tuple(
                (
                    name,
                    frozen(form[name].value()),
                    str(field.label),
                    str(field.help_text),
                    field.required,
                    tuple((str(value), str(label)) for value, label in getattr(field, "choices", ())),
                    type(field.widget).__name__,
                    tuple(sorted((key, str(value)) for key, value in field.widget.attrs.items())),
                )
                for name, field in form.fields.items()
            ),
            language=translation.get_language(),
            form=form,
        )


@kept(maxsize=FORMS_KEPT)
def render_unbound_form(key):
    """crispy's fields of `key.form`, which `key` describes whole."""
    return _crispy_template().render(Context({"form": key.form}, use_l10n=False))


@register.simple_tag
def decision_fields(form):
    """`{% decision_fields form %}`: `{% crispy form %}` for the item's decision form; kept per process when
    unbound (what a GET shows), rendered afresh with what was sent and its errors."""
    if form.is_bound:
        return mark_safe(_crispy_template().render(Context({"form": form}, use_l10n=False)))
    return mark_safe(render_unbound_form(UnboundFormKey.of(form)))


# The item page's history: a few hundred bytes an entry, one timeline per item a process serves.
HISTORIES_KEPT = 1024


@dataclasses.dataclass(frozen=True)
class HistoryKey:
    """What includes/timeline.html shows of an item's timeline (pages.history.item_timeline): every value of
    its entries (`frozen`: when, who, what, each change, the reason and link), the time zone their times are
    written in and the language of their dates. The item page offers no restoring, so nothing else is read.
    `entries` is carried along to be rendered, not compared."""

    values: tuple
    time_zone: str
    language: str
    entries: object = dataclasses.field(compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, entries):
        return cls(
            values=frozen(entries),
            time_zone=timezone.get_current_timezone_name(),
            language=translation.get_language(),
            entries=entries,
        )


@kept(maxsize=HISTORIES_KEPT)
def render_history(key):
    """includes/timeline.html for `key.entries`, which `key` describes whole."""
    context = Context({"entries": key.entries}, use_l10n=False)  # as page_cache renders the bodies it is part of
    return get_template("includes/timeline.html").template.render(context)


@register.simple_tag
def item_history(entries):
    """`{% item_history entries %}`: includes/timeline.html for an item's timeline (pages.history.item_timeline),
    rendered once per process for what it shows: a write to one of the item's actions leaves it as it was."""
    return mark_safe(render_history(HistoryKey.of(list(entries))))


# The checklist's item rows: about 2 KB each (a trend's chart is kept apart, by render_trend), so a few
# megabytes per worker hold the rows of a busy organisation's checklists.
ITEM_ROWS_KEPT = 2048


@dataclasses.dataclass(frozen=True)
class OutcomeRow:
    """A benefit chosen as an outcome, as an item row shows it beside its theme's challenge."""

    pk: int
    outcome_name: str
    mitigation_count: int

    @property
    def finding(self):
        return SimpleNamespace(outcome_name=self.outcome_name)


@dataclasses.dataclass(frozen=True)
class ItemRow:
    """Everything a challenge's row in the checklist shows (includes/item_row.html), copied off the item
    pages.checklists.checklist_page prepared, under the names the template asks an Item for, so the same
    template renders both. Its check-in trend is in it as the trend's own key (TrendKey: every value of
    its figures and chart), so the row is as complete as the trend."""

    pk: int
    theme_name: str
    retired_in_version: int | None
    retired_choice: str
    evidence_updated: bool
    review_state: str  # a ReviewState: its value, and its label
    is_decided: bool
    applies: bool
    not_applicable_reason: str
    priority: str
    mitigation_count: int
    statuses: tuple
    single_review: bool
    single_label: str
    count_label: str
    is_covered: bool
    overdue_count: int
    outcomes: tuple
    trend: TrendKey | None

    @classmethod
    def of(cls, item):
        strength = item.strength
        return cls(
            pk=item.pk,
            theme_name=item.finding.theme.name,
            retired_in_version=item.finding.retired_in_version,
            retired_choice=item.retired_choice,
            evidence_updated=bool(item.evidence_updated),
            review_state=item.review_state,
            is_decided=item.is_decided,
            applies=item.applies,
            not_applicable_reason=item.not_applicable_reason,
            priority=item.priority,
            mitigation_count=item.mitigation_count,
            statuses=tuple((str(label), count) for label, count in item.statuses),
            single_review=strength.single_review,
            single_label=strength.single_label,
            count_label=strength.count_label,
            is_covered=bool(item.is_covered),
            overdue_count=item.overdue_count,
            outcomes=tuple(
                OutcomeRow(
                    pk=outcome.pk, outcome_name=outcome.finding.outcome_name, mitigation_count=outcome.mitigation_count
                )
                for outcome in getattr(item, "outcomes", ())
            ),
            trend=TrendKey.of(item.check_in) if item.check_in else None,
        )

    # What the template asks an Item, answered from the copied values.
    @property
    def finding(self):
        return SimpleNamespace(theme=SimpleNamespace(name=self.theme_name), retired_in_version=self.retired_in_version)

    @property
    def strength(self):
        return SimpleNamespace(
            single_review=self.single_review, single_label=self.single_label, count_label=self.count_label
        )

    @property
    def check_in(self):
        return self.trend.trend if self.trend is not None else None

    # The labels of its choices, as the Item's own get_..._display() give them: worked out when the row is
    # rendered, not on every miss (Django's rebuild a dict of the field's choices on each call).
    def get_retired_choice_display(self):
        return _RETIRED_CHOICES.get(self.retired_choice, self.retired_choice)

    def get_priority_display(self):
        return _PRIORITIES.get(self.priority, self.priority)


_RETIRED_CHOICES = dict(Item._meta.get_field("retired_choice").flatchoices)
_PRIORITIES = dict(Item._meta.get_field("priority").flatchoices)


@dataclasses.dataclass(frozen=True)
class ItemRowKey:
    """An item's row and the page's values it uses: what render_item_row renders from, and nothing more.
    Who is looking is in it as what changes the row for them (whether they may decide: the quick decisions)
    and holds no one's identity."""

    row: ItemRow
    can_edit: bool
    # What else its HTML is written for: the CSRF token's place, links, language (kept_parts.PageValues).
    page: PageValues


@kept(maxsize=ITEM_ROWS_KEPT)
def render_item_row(key):
    """The row's HTML from `key` alone (its CSRF token left as kept_parts.CSRF_MARK)."""
    values = {"item": key.row, "membership": SimpleNamespace(can_edit=key.can_edit)}
    return kept_parts.render("peerplan/includes/item_row.html", values, key.page)


@register.simple_tag(takes_context=True)
def item_rows(context, items):
    """`{% item_rows items %}`: includes/item_row.html for each of a category's challenges (prepared by
    pages.checklists.checklist_page), one after the other, with the page's `membership`, read once for all of
    them: a tag per row read it again for each (drawing a category's rows and outcome cards by one tag each took
    the checklist's miss from 5.6 to 5.2 ms in one process)."""
    can_edit, page = kept_parts.may_edit(context), PageValues.of(context)
    rows = (render_item_row(ItemRowKey(row=ItemRow.of(item), can_edit=can_edit, page=page)) for item in items)
    return kept_parts.with_token("".join(rows), context)
