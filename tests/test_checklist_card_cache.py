"""The checklist page's suggestion cards ("Suggestions that would cover the most") and outcome cards ("Outcomes
to realise") are rendered once per process for what they show (peerplan/templatetags/cards.py,
LeverageCard and OutcomeCard): each is exactly what its template makes of the entry or the item, and a
change to anything it shows, or to who is looking, shows at once."""

import pytest
from django.template import Context, Template
from django.utils import timezone

from evidence.models import Valence
from peerplan.models import Item, Mitigation, SuggestedMitigation
from peerplan.models import organisation_generations as generations
from peerplan.pages import checklists as checklist_pages
from peerplan.templatetags.cards import render_checklist_card
from tests.factories import item_for, make_checklist, make_mitigation

TODAY = timezone.localdate()

PLAIN_LEVERAGE = Template('{% include "peerplan/includes/leverage_card.html" %}')
KEPT_LEVERAGE = Template("{% load cards %}{% leverage_cards entries %}")
PLAIN_OUTCOME = Template('{% include "peerplan/includes/outcome_card.html" %}')
KEPT_OUTCOME = Template("{% load cards %}{% outcome_cards items %}")


@pytest.fixture(autouse=True)
def _cards_rendered_afresh():
    # The cards kept by another test (the same ids in a fresh database) must not answer here.
    render_checklist_card.cache_clear()
    yield
    render_checklist_card.cache_clear()


@pytest.fixture
def checklist(org_a, owner):
    checklist = make_checklist(org_a, "Community team", owner)
    chosen = item_for(checklist, "Role ambiguity", Valence.BENEFIT)
    Item.objects.filter(pk=chosen.pk).update(applies=True)
    make_mitigation(chosen, "Realise it")
    return checklist


def _page(checklist):
    return checklist_pages.checklist_page(checklist, TODAY, ("generation", "", ""))


def test_the_ranked_suggestions_cards_are_each_card_one_after_the_other(checklist, manager):
    membership = manager.memberships.get()
    page = _page(checklist)
    context = {"checklist": checklist, "membership": membership}
    each = [PLAIN_LEVERAGE.render(Context({**context, "entry": e, "csrf_token": "t"})) for e in page["leverage"]]
    assert page["leverage"]
    assert KEPT_LEVERAGE.render(Context({**context, "entries": page["leverage"], "csrf_token": "t"})) == "".join(each)


@pytest.mark.parametrize("person", ["manager", "viewer"])
def test_a_categorys_outcome_cards_are_its_benefits_cards_one_after_the_other(checklist, request, person):
    membership = request.getfixturevalue(person).memberships.get()
    page = _page(checklist)
    assert page["benefit_groups"]
    for group in page["benefit_groups"]:
        context = {"checklist": checklist, "membership": membership, "csrf_token": "the-token"}
        each = [
            PLAIN_OUTCOME.render(Context({**context, "item": item})) for theme in group.themes for item in theme.items
        ]
        # Kept, and with another person's token.
        expected = "".join(each)
        assert KEPT_OUTCOME.render(Context({**context, "items": group.items})) == expected
        assert KEPT_OUTCOME.render(
            Context({**context, "items": group.items, "csrf_token": "another"})
        ) == expected.replace("the-token", "another")


@pytest.mark.parametrize("person", ["manager", "viewer"])
def test_a_card_is_what_its_template_makes_of_the_entry_or_item(checklist, request, person):
    membership = request.getfixturevalue(person).memberships.get()
    page = _page(checklist)
    benefits = [item for group in page["benefit_groups"] for theme in group.themes for item in theme.items]
    assert page["leverage"] and benefits
    cases = [(PLAIN_LEVERAGE, KEPT_LEVERAGE, {"entry": entry, "entries": [entry]}) for entry in page["leverage"]]
    cases += [(PLAIN_OUTCOME, KEPT_OUTCOME, {"item": item, "items": [item]}) for item in benefits]
    for plain, kept, values in cases:
        context = {**values, "checklist": checklist, "membership": membership, "csrf_token": "the-token"}
        expected = plain.render(Context(context))
        # Twice: rendered, then kept.
        assert kept.render(Context(context)) == expected
        assert kept.render(Context(context)) == expected
        assert kept.render(Context({**context, "csrf_token": "another"})) == expected.replace("the-token", "another")
    assert render_checklist_card.cache_info().hits > 0
    if membership.can_edit:
        assert "Adopt for" in expected or "Choose as an outcome" in expected or "Unchoose" in expected


def _section(client, checklist, heading):
    """A section of the checklist page, read right after a change."""
    generations.organisation_changed(checklist.organisation_id)
    html = client.get(f"/app/checklists/{checklist.pk}/").content.decode()
    return html.split(f'id="{heading}"')[1].split("</section>")[0]


def test_a_suggestion_card_changes_as_soon_as_anything_it_shows_changes(client, checklist, manager, viewer):
    client.force_login(manager)
    first = _page(checklist)["leverage"][0]
    suggestion, covers = first.suggestion, [item.finding.theme.name for item in first.items]
    assert suggestion.title in _section(client, checklist, "leverage-heading")
    # Curated for everyone: saved as curators save it (which replaces the evidence generation).
    suggestion = SuggestedMitigation.objects.get(pk=suggestion.pk)
    suggestion.title = "A retitled suggestion"
    suggestion.save()
    assert "A retitled suggestion" in _section(client, checklist, "leverage-heading")
    # One of the challenges it would cover gets an action: the card no longer counts it.
    covered = item_for(checklist, covers[0])
    make_mitigation(covered, "Covered now")
    shown = _section(client, checklist, "leverage-heading")
    if "A retitled suggestion" in shown:
        card = shown.split("A retitled suggestion")[1].split("</li>")[0]
        assert f"Would cover {len(covers) - 1} " in card
    assert "Adopt for" in shown
    client.force_login(viewer)
    assert "Adopt for" not in _section(client, checklist, "leverage-heading")


def test_an_outcome_card_changes_as_soon_as_anything_it_shows_changes(client, checklist, manager, viewer):
    client.force_login(manager)
    chosen = item_for(checklist, "Role ambiguity", Valence.BENEFIT)

    def card():
        section = _section(client, checklist, "benefits-heading")
        return section.split(f'id="item-{chosen.pk}"')[1].split("</form>")[0]

    assert "Chosen as an outcome" in card() and "1 action<" in card() and "Unchoose" in card()
    make_mitigation(chosen, "Realise it again")
    assert "2 actions" in card()
    Mitigation.objects.filter(action__startswith="Realise it").delete()
    Item.objects.filter(pk=chosen.pk).update(applies=False)
    assert "Not chosen as an outcome yet" in card() and "action" not in card().split("</p>")[0].split("yet")[1]
    assert "Choose as an outcome" in card()
    client.force_login(viewer)
    assert "Choose as an outcome" not in _section(client, checklist, "benefits-heading")
