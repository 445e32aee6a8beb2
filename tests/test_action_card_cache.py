"""An action's card on the item page is rendered once per process for what it shows
(peerplan/templatetags/cards.py, ActionCard): it is exactly what the card template makes of the action,
and a change to anything it shows, or to who is looking, shows at once."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from peerplan.models import ImplementationPhase, Mitigation, MitigationStatus, SuggestedMitigation
from peerplan.models import organisation_generations as generations
from peerplan.pages import dashboard
from peerplan.templatetags.cards import render_action_card, render_action_properties
from tests.factories import item_for, make_checklist, make_mitigation

TODAY = timezone.localdate()
S = MitigationStatus

PLAIN = Template('{% include "peerplan/includes/mitigation_card.html" %}')
KEPT = Template("{% load cards %}{% action_cards mitigations %}")


@pytest.fixture(autouse=True)
def _cards_rendered_afresh():
    # The cards kept by another test (the same ids and versions in a fresh database) must not answer here.
    render_action_card.cache_clear()
    render_action_properties.cache_clear()
    yield
    render_action_card.cache_clear()
    render_action_properties.cache_clear()


@pytest.fixture
def workload(org_a, owner, manager, planner):
    """A challenge with actions of every kind a card shows differently."""
    checklist = make_checklist(org_a, "Community team", owner)
    item = item_for(checklist, "Workload")
    phase = ImplementationPhase.objects.first()
    suggestion = SuggestedMitigation.objects.published().first()
    make_mitigation(item, "Late", due_date=TODAY - timedelta(days=3), owner=manager, phase=phase, co_produced=True)
    make_mitigation(item, "Blocked & <odd> “quoted”", S.BLOCKED, due_date=TODAY + timedelta(days=5))
    make_mitigation(item, "Someone outside", owner_name="Dr Outside", lived_experience_led=True, notes="A <note>")
    make_mitigation(item, "Adopted", S.DONE, owner=planner, suggestion=suggestion)
    make_mitigation(item, "Dropped " + "very long title " * 12, S.DROPPED)
    Mitigation.objects.get(action="Late").items.add(item_for(checklist, "Role ambiguity"))
    return item


def _cards(item, user, membership):
    """The item's actions as the item page prepares them."""
    page_actions = list(
        item.mitigations.select_related("owner", "phase", "suggestion", "checklist").order_by("created_at", "pk")
    )
    return dashboard.prepare_quick_edit(page_actions, user, [membership])


def _card(response, action):
    """The action's card in an item page."""
    (card,) = [
        card
        for card in response.content.decode().split('<li class="list-group-item')
        if f'href="/app/mitigations/{action.pk}/' in card
    ]
    return card.split("</li>")[0]


@pytest.mark.parametrize("person", ["manager", "viewer"])
def test_a_card_is_what_the_card_template_makes_of_the_action(workload, request, person):
    user = request.getfixturevalue(person)
    membership = user.memberships.get()
    for action in _cards(workload, user, membership):
        context = {
            "mitigation": action,
            "mitigations": [action],
            "membership": membership,
            "today": TODAY,
            "next": f"/app/items/{workload.pk}/?a=1&b=2",
            "statuses": S.choices,
            "csrf_token": "the-token",
        }
        expected = PLAIN.render(Context(context))
        # Twice: rendered, then kept.
        assert KEPT.render(Context(context)) == expected
        assert KEPT.render(Context(context)) == expected
        assert KEPT.render(Context({**context, "csrf_token": "another"})) == expected.replace("the-token", "another")
    assert render_action_card.cache_info().hits > 0 and render_action_properties.cache_info().hits > 0


def test_a_change_of_status_redraws_the_cards_properties_alone(client, workload, org_a, manager):
    late = Mitigation.objects.get(action="Late")
    client.force_login(manager)
    client.get(f"/app/items/{workload.pk}/")
    drawn = render_action_card.cache_info().misses, render_action_properties.cache_info().misses
    late.status = S.IN_PROGRESS
    late.save()
    card = _card(client.get(f"/app/items/{workload.pk}/"), late)
    assert '<option value="in_progress" selected>In progress</option>' in card
    # The late card's properties drawn again; no card's rest (its title, owner, phase, notes).
    assert render_action_card.cache_info().misses == drawn[0]
    assert render_action_properties.cache_info().misses == drawn[1] + 1


@pytest.mark.parametrize("person", ["manager", "viewer"])
def test_the_items_cards_are_each_actions_card_one_after_the_other(workload, request, person):
    user = request.getfixturevalue(person)
    membership = user.memberships.get()
    actions = _cards(workload, user, membership)
    context = {"membership": membership, "today": TODAY, "next": "/app/items/1/", "statuses": S.choices}
    each = [PLAIN.render(Context({**context, "mitigation": a, "csrf_token": "the-token"})) for a in actions]
    for token in ("the-token", "another"):
        shown = KEPT.render(Context({**context, "mitigations": actions, "csrf_token": token}))
        assert shown == "".join(each).replace("the-token", token)


def test_a_card_changes_as_soon_as_anything_it_shows_changes(client, workload, org_a, manager, planner):
    late = Mitigation.objects.get(action="Late")
    client.force_login(manager)

    def shown():
        """The late action's card on the item page, read right after a change."""
        generations.organisation_changed(org_a.pk)
        return _card(client.get(f"/app/items/{workload.pk}/"), late)

    assert "Late" in shown() and "Co-produced" in shown() and "Addresses 2 challenges" in shown()
    changes = [
        ({"action": "Late and renamed"}, "Late and renamed"),
        ({"status": S.BLOCKED}, '<option value="blocked" selected>Blocked</option>'),
        ({"due_date": TODAY + timedelta(days=40)}, f'value="{(TODAY + timedelta(days=40)).isoformat()}"'),
        ({"co_produced": False, "lived_experience_led": True}, "Lived-experience led"),
        ({"notes": "Agreed with the team"}, "Agreed with the team"),
        ({"phase": ImplementationPhase.objects.last()}, f"Phase: {ImplementationPhase.objects.last().name}"),
        ({"owner": None, "owner_name": "Dr Elsewhere"}, "Dr Elsewhere (outside the organisation)"),
        ({"suggestion": SuggestedMitigation.objects.published().last()}, "Adopted from suggestion"),
    ]
    for change, seen in changes:
        Mitigation.objects.filter(pk=late.pk).update(**change)
        assert seen in shown(), change
    assert "Co-produced" not in shown()
    Mitigation.objects.filter(pk=late.pk).update(owner=manager)
    # The owner's name changes without the action changing (the same version).
    manager.first_name = "Mayanka"
    manager.save()
    assert "Mayanka" in shown()
    late.items.remove(item_for(late.checklist, "Role ambiguity"))
    assert "Addresses 2 challenges" not in shown()
    # A suggestion's title is curated: changed for everyone at once.
    suggestion = Mitigation.objects.get(pk=late.pk).suggestion
    SuggestedMitigation.objects.filter(pk=suggestion.pk).update(title="A retitled suggestion")
    assert "A retitled suggestion" in shown()


def test_who_may_change_a_card_is_theirs_whoever_saw_it_first(client, workload, manager, viewer):
    late = Mitigation.objects.get(action="Late")
    client.force_login(manager)
    page = client.get(f"/app/items/{workload.pk}/").content.decode()
    assert f'id="quick-{late.pk}-status"' in page and f"/app/mitigations/{late.pk}/edit/" in page
    client.force_login(viewer)
    page = client.get(f"/app/items/{workload.pk}/").content.decode()
    assert "Late" in page
    assert f'id="quick-{late.pk}-status"' not in page and f"/app/mitigations/{late.pk}/edit/" not in page


def test_a_card_becomes_overdue_the_day_after_it_was_due(client, workload, manager, monkeypatch):
    from peerplan.figures import tracking

    late = Mitigation.objects.get(action="Late")
    Mitigation.objects.filter(pk=late.pk).update(due_date=TODAY)
    client.force_login(manager)

    def card():
        return _card(client.get(f"/app/items/{workload.pk}/"), late)

    assert "prop-overdue" not in card()
    monkeypatch.setattr(tracking, "today", lambda: TODAY + timedelta(days=1))
    assert "prop-overdue" in card()
