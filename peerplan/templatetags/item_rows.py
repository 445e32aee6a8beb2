"""What the checklist page and the item page repeat on every miss, rendered once per process for what it shows:
`{% item_row item %}` (a challenge's row in the checklist's task list, includes/item_row.html; see ItemRow),
`{% check_in_trend trend %}` (a challenge's check-in trend, check_ins/trend.html, with its chart),
`{% decision_fields form %}` (the item's decision form, about 3 ms through crispy; see UnboundFormKey),
`{% action_card mitigation %}` (an action's card on the item page, includes/mitigation_card.html with its
in-place status, owner and due date; see ActionCard: a large organisation's four cards were 2.5 ms), and the
checklist's suggestion and outcome cards and the item's suggested actions (`{% leverage_card %}`,
`{% outcome_card %}`, `{% suggestion_card %}`).

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
from django.utils import translation
from django.utils.safestring import mark_safe

from peerplan.lib import kept_parts
from peerplan.lib.kept_parts import PageValues, kept

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
    """check_ins/trend.html for `key.trend`, which `key` describes whole."""
    context = Context({"trend": key.trend}, use_l10n=False)  # as page_cache renders the bodies it is part of
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
    retired_choice_label: str
    evidence_updated: bool
    review_state: str  # a ReviewState: its value, and its label
    is_decided: bool
    applies: bool
    not_applicable_reason: str
    priority_label: str
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
            retired_choice_label=str(item.get_retired_choice_display()),
            evidence_updated=bool(item.evidence_updated),
            review_state=item.review_state,
            is_decided=item.is_decided,
            applies=item.applies,
            not_applicable_reason=item.not_applicable_reason,
            priority_label=str(item.get_priority_display()),
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

    def get_retired_choice_display(self):
        return self.retired_choice_label

    def get_priority_display(self):
        return self.priority_label


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
def item_row(context, item):
    """`{% item_row item %}`: includes/item_row.html for `item` (prepared by pages.checklists.checklist_page),
    with the page's `membership`."""
    membership = context.get("membership")
    key = ItemRowKey(
        row=ItemRow.of(item), can_edit=bool(membership and membership.can_edit), page=PageValues.of(context)
    )
    return kept_parts.with_token(render_item_row(key), context)


# The item page's action cards: about 3 KB each, so a few megabytes per worker hold a busy organisation's.
ACTION_CARDS_KEPT = 2048


@dataclasses.dataclass(frozen=True)
class ActionCard:
    """Everything an action's card on the item page shows (includes/mitigation_card.html with its
    includes/action_properties.html), copied off the action pages.dashboard.prepare_quick_edit prepared,
    under the names the templates ask a Mitigation for, so the same templates render both."""

    pk: int
    version: int
    action: str
    notes: str
    status: str
    status_label: str
    is_live: bool
    overdue_today: bool
    organisation_id: int
    can_edit: bool
    shown_status: str
    shown_owner_id: int | None
    shown_owner_label: str
    shown_due: str
    shown_due_is_date: bool
    owner_id: int | None
    owner_name: str
    owner_label: str
    due_date: object  # a date or None
    phase_name: str | None
    co_produced: bool
    lived_experience_led: bool
    addressed_ids: tuple  # the items it addresses
    theme_names: str
    suggestion_title: str | None
    suggestion_provenance: str

    @classmethod
    def of(cls, action, today):
        suggestion = action.suggestion
        return cls(
            pk=action.pk,
            version=action.version,
            action=action.action,
            notes=action.notes,
            status=action.status,
            status_label=str(action.get_status_display()),
            is_live=action.is_live,
            overdue_today=action.is_overdue(today),
            organisation_id=action.checklist.organisation_id,
            can_edit=action.can_edit,
            shown_status=action.shown_status,
            shown_owner_id=action.shown_owner_id,
            shown_owner_label=action.shown_owner_label,
            shown_due=str(action.shown_due),
            shown_due_is_date=action.shown_due_is_date,
            owner_id=action.owner_id,
            owner_name=action.owner_name,
            owner_label=action.owner_label,
            due_date=action.due_date,
            phase_name=action.phase.name if action.phase_id else None,
            co_produced=action.co_produced,
            lived_experience_led=action.lived_experience_led,
            addressed_ids=tuple(item.pk for item in action.addressed),
            theme_names=action.theme_names,
            suggestion_title=suggestion.title if suggestion else None,
            suggestion_provenance=str(suggestion.get_provenance_display()) if suggestion else "",
        )

    # What the templates ask a Mitigation, answered from the copied values.
    @property
    def owner(self):
        return self.owner_id

    @property
    def phase(self):
        return SimpleNamespace(name=self.phase_name) if self.phase_name is not None else None

    @property
    def addressed(self):
        return self.addressed_ids

    @property
    def suggestion(self):
        if self.suggestion_title is None:
            return None
        return SimpleNamespace(title=self.suggestion_title, get_provenance_display=self.suggestion_provenance)

    def get_status_display(self):
        return self.status_label

    def is_overdue(self, today):
        # Copied for the `today` the card is keyed by (ActionCardKey.today), the only one it is rendered with.
        return self.overdue_today

    @property
    def checklist(self):
        return SimpleNamespace(organisation_id=self.organisation_id)


@dataclasses.dataclass(frozen=True)
class ActionCardKey:
    """A card and the page's values it uses: what render_action_card renders from, and nothing more. Who is
    looking is in it as what changes the card for them (whether they may change the action, and may edit:
    the Edit link), never as who they are."""

    card: ActionCard
    may_edit: bool
    today: object
    next: str
    statuses: tuple
    # What else its HTML is written for: the CSRF token's place, links, language (kept_parts.PageValues).
    page: PageValues


@kept(maxsize=ACTION_CARDS_KEPT)
def render_action_card(key):
    """The card's HTML from `key` alone (its CSRF token left as kept_parts.CSRF_MARK)."""
    values = {
        "mitigation": key.card,
        "membership": SimpleNamespace(can_edit=key.may_edit),
        "today": key.today,
        "next": key.next,
        "statuses": key.statuses,
    }
    return kept_parts.render("peerplan/includes/mitigation_card.html", values, key.page)


@register.simple_tag(takes_context=True)
def action_card(context, action):
    """`{% action_card mitigation %}`: includes/mitigation_card.html for `action` (prepared by
    pages.dashboard.prepare_quick_edit), with the page's `membership`, `today`, `next` and `statuses`. The
    item page shows an action's properties as saved: an in-place change answers with its own
    action_properties.html, so a card has no outcome of a change to show."""
    membership = context.get("membership")
    today = context.get("today")
    key = ActionCardKey(
        card=ActionCard.of(action, today),
        may_edit=bool(membership and membership.can_edit),
        today=today,
        next=context.get("next") or "",
        statuses=tuple((value, str(label)) for value, label in context.get("statuses") or ()),
        page=PageValues.of(context),
    )
    return kept_parts.with_token(render_action_card(key), context)


# The checklist page's suggestion cards (about 1 KB each) and outcome cards (under 1 KB each): a few
# megabytes per worker hold a busy organisation's checklists'.
CHECKLIST_CARDS_KEPT = 4096


@dataclasses.dataclass(frozen=True)
class LeverageCard:
    """Everything a suggestion's card in the checklist's "Suggestions that would cover the most" shows
    (includes/leverage_card.html), copied off the ranking's entry (figures.insights.RankedSuggestion), under
    the names the template asks an entry for, so the same template renders both."""

    suggestion_pk: int
    title: str
    provenance: str
    provenance_label: str
    citation: str
    theme_names: tuple  # of the uncovered challenges it would address, in the ranking's order
    groups: tuple  # the stakeholder groups that reported them
    done_by_many: int
    done_text: str  # "about 10": shown where done_by_many

    @classmethod
    def of(cls, entry):
        suggestion = entry.suggestion
        return cls(
            suggestion_pk=suggestion.pk,
            title=suggestion.title,
            provenance=suggestion.provenance,
            provenance_label=str(suggestion.get_provenance_display()),
            citation=suggestion.citation(),
            theme_names=tuple(item.finding.theme.name for item in entry.items),
            groups=tuple(sorted(entry.groups)),
            done_by_many=entry.done_by_many,
            done_text=str(entry.shared.text.done) if entry.done_by_many else "",
        )

    # What the template asks an entry, answered from the copied values.
    @property
    def suggestion(self):
        return SimpleNamespace(
            pk=self.suggestion_pk,
            title=self.title,
            provenance=self.provenance,
            get_provenance_display=self.provenance_label,
            citation=self.citation,
        )

    @property
    def items(self):
        return tuple(SimpleNamespace(finding=SimpleNamespace(theme=SimpleNamespace(name=n))) for n in self.theme_names)

    @property
    def shared(self):
        return SimpleNamespace(text=SimpleNamespace(done=self.done_text))


@dataclasses.dataclass(frozen=True)
class OutcomeCard:
    """Everything a benefit's card in the checklist's "Outcomes to realise" shows (includes/outcome_card.html),
    copied off the item, under the names the template asks an Item for."""

    pk: int
    outcome_name: str
    applies: bool
    mitigation_count: int

    @classmethod
    def of(cls, item):
        return cls(
            pk=item.pk,
            outcome_name=item.finding.outcome_name,
            applies=item.applies,
            mitigation_count=item.mitigation_count,
        )

    @property
    def finding(self):
        return SimpleNamespace(outcome_name=self.outcome_name)


@dataclasses.dataclass(frozen=True)
class ChecklistCardKey:
    """A card of the checklist page and the page's values it uses: the checklist (its address), whether the
    person may edit (its buttons), and what else its HTML is written for; never who is looking."""

    template_name: str
    card: object  # a LeverageCard or an OutcomeCard
    checklist_pk: int
    may_edit: bool
    page: PageValues


@kept(maxsize=CHECKLIST_CARDS_KEPT)
def render_checklist_card(key):
    """The card's HTML from `key` alone (its CSRF token left as kept_parts.CSRF_MARK)."""
    values = {
        "entry": key.card,
        "item": key.card,
        "checklist": SimpleNamespace(pk=key.checklist_pk),
        "membership": SimpleNamespace(can_edit=key.may_edit),
    }
    return kept_parts.render(key.template_name, values, key.page)


def _checklist_card(context, template_name, card):
    membership = context.get("membership")
    key = ChecklistCardKey(
        template_name=template_name,
        card=card,
        checklist_pk=context["checklist"].pk,
        may_edit=bool(membership and membership.can_edit),
        page=PageValues.of(context),
    )
    return kept_parts.with_token(render_checklist_card(key), context)


@register.simple_tag(takes_context=True)
def leverage_card(context, entry):
    """`{% leverage_card entry %}`: includes/leverage_card.html for a ranked suggestion (figures.insights
    .rank_suggestions), with the page's `checklist` and `membership`."""
    return _checklist_card(context, "peerplan/includes/leverage_card.html", LeverageCard.of(entry))


@register.simple_tag(takes_context=True)
def outcome_card(context, item):
    """`{% outcome_card item %}`: includes/outcome_card.html for a benefit of the checklist (as
    pages.checklists.checklist_page prepared it, with its mitigation_count), with the page's `checklist` and
    `membership`."""
    return _checklist_card(context, "peerplan/includes/outcome_card.html", OutcomeCard.of(item))


# The item page's suggested actions: about 1 KB each, a theme's few for each item a process serves.
SUGGESTION_CARDS_KEPT = 4096


@dataclasses.dataclass(frozen=True)
class SuggestionCard:
    """Everything a suggested action's card on the item page shows (includes/suggestion_card.html), copied off
    the suggestion pages.checklists.item_page read (with its figure for this challenge, where figures are
    shown), under the names the template asks a SuggestedMitigation for."""

    pk: int
    title: str
    provenance: str
    provenance_label: str
    phase_name: str | None
    description: str
    quote: str
    citation: str
    rationale: str
    # Its figure for this challenge as shown: (adopted, done, median days), or None (not enough services).
    figure: tuple | None

    @classmethod
    def of(cls, suggestion):
        shared = getattr(suggestion, "shared", None)
        text = shared.text if shared is not None else None
        return cls(
            pk=suggestion.pk,
            title=suggestion.title,
            provenance=suggestion.provenance,
            provenance_label=str(suggestion.get_provenance_display()),
            phase_name=suggestion.phase.name if suggestion.phase_id else None,
            description=suggestion.description,
            quote=suggestion.quote,
            citation=suggestion.citation(),
            rationale=suggestion.rationale,
            figure=(text.adopted, text.done, text.median_days) if text else None,
        )

    # What the template asks a SuggestedMitigation, answered from the copied values.
    def get_provenance_display(self):
        return self.provenance_label

    @property
    def phase(self):
        return SimpleNamespace(name=self.phase_name) if self.phase_name is not None else None

    @property
    def shared(self):
        if self.figure is None:
            return SimpleNamespace(text=None)
        adopted, done, median_days = self.figure
        return SimpleNamespace(text=SimpleNamespace(adopted=adopted, done=done, median_days=median_days))


@dataclasses.dataclass(frozen=True)
class SuggestionCardKey:
    """A suggestion's card and the page's values it uses: the item (its address), whether this item adopted it,
    whether the page shows figures, whether the person may edit (the Adopt button), and what else its HTML is
    written for; never who is looking."""

    card: SuggestionCard
    item_pk: int
    adopted: bool
    shows_figures: bool
    may_edit: bool
    page: PageValues


@kept(maxsize=SUGGESTION_CARDS_KEPT)
def render_suggestion_card(key):
    """The card's HTML from `key` alone (its CSRF token left as kept_parts.CSRF_MARK)."""
    values = {
        "suggestion": key.card,
        "adopted": key.adopted,
        "item": SimpleNamespace(pk=key.item_pk),
        "shared": SimpleNamespace(run=key.shows_figures),
        "membership": SimpleNamespace(can_edit=key.may_edit),
    }
    return kept_parts.render("peerplan/includes/suggestion_card.html", values, key.page)


@register.simple_tag(takes_context=True)
def suggestion_card(context, suggestion, adopted):
    """`{% suggestion_card suggestion adopted %}`: includes/suggestion_card.html for a suggested action of the
    item page (`adopted`: on this item), with the page's `item`, `shared` figures and `membership`."""
    membership = context.get("membership")
    shared = context.get("shared")
    key = SuggestionCardKey(
        card=SuggestionCard.of(suggestion),
        item_pk=context["item"].pk,
        adopted=bool(adopted),
        shows_figures=bool(shared and shared.get("run")),
        may_edit=bool(membership and membership.can_edit),
        page=PageValues.of(context),
    )
    return kept_parts.with_token(render_suggestion_card(key), context)
