"""The cards of the checklist and item pages, rendered once per process for what they show, as
peerplan/templatetags/item_rows.py keeps the checklist's rows: `{% action_cards mitigations %}` (the item page's
actions, includes/mitigation_card.html each, with its in-place status, owner and due date; a large
organisation's four cards were 2.5 ms of its miss), `{% suggestion_cards suggestions %}` (the item page's
suggested actions), `{% leverage_cards entries %}` and `{% outcome_cards items %}` (the suggestions that would
cover the most, and a category's benefits to choose as outcomes, on the checklist page). Each tag draws a whole
list of cards, one after the other, reading the page's values once for all of them.

Each card is rendered from a key holding every value it shows, copied off what the page read under the names
its template asks for, so the same template renders both; and the page's few values it uses (who is looking
only as what it changes: whether they may change or adopt). The template sees nothing else, so the key is
complete by construction: any change to what a card shows is a new key, never a stale card.
"""

import dataclasses
import secrets
from types import SimpleNamespace

from django import template
from django.utils.safestring import mark_safe

from peerplan.lib import kept_parts
from peerplan.lib.kept_parts import PageValues, kept

register = template.Library()


# The item page's action cards: about 3 KB each, so a few megabytes per worker hold a busy organisation's.
ACTION_CARDS_KEPT = 2048


@dataclasses.dataclass(frozen=True)
class ActionCard:
    """Everything an action's card on the item page shows (includes/mitigation_card.html) but its status, owner
    and due date as one changes them (ActionProperties), copied off the action
    pages.dashboard.prepare_quick_edit prepared, under the names the template asks a Mitigation for, so the
    same template renders both."""

    pk: int
    action: str
    notes: str
    is_live: bool
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
    def of(cls, action):
        suggestion = action.suggestion
        return cls(
            pk=action.pk,
            action=action.action,
            notes=action.notes,
            is_live=action.is_live,
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

    # What the template asks a Mitigation, answered from the copied values.
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


@dataclasses.dataclass(frozen=True)
class ActionProperties:
    """Everything an action's status, owner and due date show (includes/action_properties.html), in its card
    and its row (action_rows.Row), copied off the action pages.dashboard.prepare_quick_edit prepared, under the
    names the template asks a Mitigation for. A card's are drawn apart from the rest of it: after an in-place
    change, the part that changed."""

    pk: int
    version: int
    action: str
    status: str
    status_label: str
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

    @classmethod
    def of(cls, action, today):
        return cls(
            pk=action.pk,
            version=action.version,
            action=action.action,
            status=action.status,
            status_label=str(action.get_status_display()),
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
        )

    def get_status_display(self):
        return self.status_label

    def is_overdue(self, today):
        # Copied for the `today` the part is keyed by (ActionPropertiesKey.today, RowKey.today), the only one it is
        # rendered with.
        return self.overdue_today

    @property
    def checklist(self):
        return SimpleNamespace(organisation_id=self.organisation_id)


@dataclasses.dataclass(frozen=True)
class ActionCardKey:
    """A card but its properties, and the page's values it uses: what render_action_card renders from, and
    nothing more. Who is looking is in it as what changes the card for them (whether they may edit: the Edit
    link), never as who they are."""

    card: ActionCard
    may_edit: bool
    next: str
    # What else its HTML is written for: links, language (kept_parts.PageValues).
    page: PageValues


@dataclasses.dataclass(frozen=True)
class ActionPropertiesKey:
    """A card's properties and the page's values they use: what render_action_properties renders from."""

    properties: ActionProperties
    today: object
    next: str
    statuses: tuple
    # What else its HTML is written for: the CSRF token's place, links, language (kept_parts.PageValues).
    page: PageValues


# Where a card's properties go in its kept HTML: unguessable, so nothing a person typed can be taken for it.
PROPERTIES_MARK = mark_safe(f"keptproperties{secrets.token_hex(16)}")


@kept(maxsize=ACTION_CARDS_KEPT)
def render_action_card(key):
    """The card's HTML from `key` alone, with PROPERTIES_MARK where its properties go."""
    values = {
        "mitigation": key.card,
        "membership": SimpleNamespace(can_edit=key.may_edit),
        "next": key.next,
        "properties_slot": PROPERTIES_MARK,
    }
    return kept_parts.render("peerplan/includes/mitigation_card.html", values, key.page)


@kept(maxsize=ACTION_CARDS_KEPT)
def render_action_properties(key):
    """The card's properties' HTML from `key` alone (its CSRF token left as kept_parts.CSRF_MARK)."""
    values = {"action": key.properties, "today": key.today, "next": key.next, "statuses": key.statuses}
    return kept_parts.render("peerplan/includes/action_properties.html", values, key.page)


@register.simple_tag(takes_context=True)
def action_cards(context, actions):
    """`{% action_cards mitigations %}`: includes/mitigation_card.html for each of `actions` (prepared by
    pages.dashboard.prepare_quick_edit), one after the other, with the page's `membership`, `today`, `next` and
    `statuses`, read once for all of them. The item page shows an action's properties as saved: an in-place
    change answers with its own action_properties.html, so a card has no outcome of a change to show. A card
    and its properties are kept apart: a change of status redraws the properties alone."""
    today = context.get("today")
    next_url = context.get("next") or ""
    page = PageValues.of(context)
    may_edit = kept_parts.may_edit(context)
    statuses = tuple((value, str(label)) for value, label in context.get("statuses") or ())
    cards = (
        render_action_card(ActionCardKey(ActionCard.of(action), may_edit, next_url, page)).replace(
            PROPERTIES_MARK,
            render_action_properties(
                ActionPropertiesKey(ActionProperties.of(action, today), today, next_url, statuses, page)
            ),
        )
        for action in actions
    )
    return kept_parts.with_token("".join(cards), context)


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


def _checklist_cards(context, template_name, cards):
    """`template_name` for each of `cards`, one after the other, with the page's `checklist` and `membership`,
    read once for all of them."""
    checklist_pk, may_edit, page = context["checklist"].pk, kept_parts.may_edit(context), PageValues.of(context)
    html = (
        render_checklist_card(ChecklistCardKey(template_name, card, checklist_pk, may_edit, page)) for card in cards
    )
    return kept_parts.with_token("".join(html), context)


@register.simple_tag(takes_context=True)
def leverage_cards(context, entries):
    """`{% leverage_cards entries %}`: includes/leverage_card.html for each ranked suggestion (figures.insights
    .rank_suggestions)."""
    cards = (LeverageCard.of(entry) for entry in entries)
    return _checklist_cards(context, "peerplan/includes/leverage_card.html", cards)


@register.simple_tag(takes_context=True)
def outcome_cards(context, items):
    """`{% outcome_cards items %}`: includes/outcome_card.html for each benefit of the checklist (as
    pages.checklists.checklist_page prepared them, with their mitigation_count)."""
    cards = (OutcomeCard.of(item) for item in items)
    return _checklist_cards(context, "peerplan/includes/outcome_card.html", cards)


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
def suggestion_cards(context, suggestions):
    """`{% suggestion_cards suggestions %}`: includes/suggestion_card.html for each (suggested action, adopted on
    this item) pair of the item page, one after the other, with the page's `item`, `shared` figures and
    `membership`, read once for all of them."""
    figures = context.get("shared")
    common = dict(
        item_pk=context["item"].pk,
        shows_figures=bool(figures and figures.get("run")),
        may_edit=kept_parts.may_edit(context),
        page=PageValues.of(context),
    )
    cards = (
        render_suggestion_card(SuggestionCardKey(card=SuggestionCard.of(suggestion), adopted=bool(adopted), **common))
        for suggestion, adopted in suggestions
    )
    return kept_parts.with_token("".join(cards), context)
