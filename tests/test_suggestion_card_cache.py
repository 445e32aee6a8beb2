"""The item page's suggested actions are rendered once per process for what they show
(peerplan/templatetags/cards.py, SuggestionCard): each is exactly what its template makes of the
suggestion, and a change to anything it shows, or to who is looking, shows at once."""

import pytest
from django.template import Context, Template

from peerplan.figures import shared_learning
from peerplan.models import SuggestedMitigation
from peerplan.models import organisation_generations as generations
from peerplan.pages import checklists as checklist_pages
from peerplan.templatetags.cards import render_suggestion_card
from tests.factories import item_for, make_checklist, make_mitigation

PLAIN = Template('{% include "peerplan/includes/suggestion_card.html" %}')
KEPT = Template("{% load cards %}{% suggestion_cards suggestions %}")


@pytest.fixture(autouse=True)
def _cards_rendered_afresh():
    # The cards kept by another test (the same ids in a fresh database) must not answer here.
    render_suggestion_card.cache_clear()
    yield
    render_suggestion_card.cache_clear()


@pytest.fixture
def workload(org_a, owner):
    checklist = make_checklist(org_a, "Community team", owner)
    item = item_for(checklist, "Workload")
    adopted = SuggestedMitigation.objects.for_planners().filter(themes=item.finding.theme_id).first()
    make_mitigation(item, adopted.title, suggestion=adopted)
    return item


@pytest.mark.parametrize("computed", [False, True])
@pytest.mark.parametrize("person", ["manager", "viewer"])
def test_a_card_is_what_its_template_makes_of_the_suggestion(workload, request, person, computed):
    if computed:
        shared_learning.compute()
    membership = request.getfixturevalue(person).memberships.get()
    page = checklist_pages.item_page(workload, membership, ("generation", str(computed), ""))
    assert page["suggestions"] and any(adopted for _, adopted in page["suggestions"])
    for suggestion, adopted in page["suggestions"]:
        context = {
            "suggestion": suggestion,
            "adopted": adopted,
            "suggestions": [(suggestion, adopted)],
            "item": workload,
            "shared": page["shared"],
            "membership": membership,
            "csrf_token": "the-token",
        }
        expected = PLAIN.render(Context(context))
        assert ("Services like yours" in expected) == computed
        # Twice: rendered, then kept.
        assert KEPT.render(Context(context)) == expected
        assert KEPT.render(Context(context)) == expected
        assert KEPT.render(Context({**context, "csrf_token": "another"})) == expected.replace("the-token", "another")
    assert render_suggestion_card.cache_info().hits > 0


def test_the_items_suggestion_cards_are_each_card_one_after_the_other(workload, manager):
    membership = manager.memberships.get()
    page = checklist_pages.item_page(workload, membership, ("generation", "", ""))
    context = {"item": workload, "shared": page["shared"], "membership": membership}
    each = [
        PLAIN.render(Context({**context, "suggestion": suggestion, "adopted": adopted, "csrf_token": "the-token"}))
        for suggestion, adopted in page["suggestions"]
    ]
    # Kept, and with another person's token.
    expected = "".join(each)
    for token in ("the-token", "another"):
        shown = KEPT.render(Context({**context, "suggestions": page["suggestions"], "csrf_token": token}))
        assert shown == expected.replace("the-token", token)


def _suggestions(client, item):
    """The item page's suggested actions, read right after a change."""
    generations.organisation_changed(item.checklist.organisation_id)
    html = client.get(f"/app/items/{item.pk}/").content.decode()
    return html.split('id="suggestions-heading"')[1].split("</section>")[0]


def test_a_card_changes_as_soon_as_anything_it_shows_changes(client, workload, manager, viewer):
    client.force_login(manager)
    offered = list(SuggestedMitigation.objects.for_planners().filter(themes=workload.finding.theme_id))
    other = next(s for s in offered if not workload.mitigations.filter(suggestion=s).exists())
    shown = _suggestions(client, workload)
    assert shown.count("Already adopted on this item.") == 1 and "Services like yours" not in shown
    make_mitigation(workload, other.title, suggestion=other)
    assert _suggestions(client, workload).count("Already adopted on this item.") == 2
    # Curated for everyone: saved as curators save it (which replaces the evidence generation).
    other.title, other.rationale = "A retitled suggestion", "Because <teams> asked"
    other.save()
    shown = _suggestions(client, workload)
    assert "A retitled suggestion" in shown and "Because &lt;teams&gt; asked" in shown
    shared_learning.compute()
    assert "Services like yours: not enough services yet." in _suggestions(client, workload)
    client.force_login(viewer)
    shown = _suggestions(client, workload)
    assert "A retitled suggestion" in shown and "Adopt<" not in shown and "Already adopted" not in shown
