"""A row of a list of actions is rendered once per process for what it shows (peerplan/templatetags/action_rows.py):
it is exactly what the row template makes of the action, and a change to anything it shows, or to who is
looking, shows at once."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from peerplan.forms.mitigations import BulkActionForm
from peerplan.models import MemberName, Mitigation, MitigationStatus, organisation_generations, with_theme_names
from peerplan.pages import action_lists, dashboard
from peerplan.templatetags.action_rows import Row, render_row
from tests.factories import make_checklist, make_member, make_mitigation

TODAY = timezone.localdate()
S = MitigationStatus

PLAIN = Template('{% include "peerplan/includes/action_row.html" %}')
MEMO = Template("{% load action_rows %}{% action_rows actions %}")


@pytest.fixture(autouse=True)
def _rows_rendered_afresh():
    # The rows kept by another test (the same ids and versions in a fresh database) must not answer here.
    render_row.cache_clear()
    yield
    render_row.cache_clear()


@pytest.fixture
def kinds(org_a, owner, manager, planner):
    """Actions of every kind a row shows differently."""
    checklist = make_checklist(org_a, "Community team", owner)
    items = list(checklist.items.challenges().order_by("pk"))
    made = [
        make_mitigation(items[0], "Late", due_date=TODAY - timedelta(days=3), owner=manager),
        make_mitigation(items[1], "Blocked & <odd> “quoted”", S.BLOCKED, due_date=TODAY + timedelta(days=5)),
        make_mitigation(items[2], "Someone outside", owner_name="Dr Outside"),
        make_mitigation(items[3], "Done late", S.DONE, due_date=TODAY - timedelta(days=9), owner=planner),
        make_mitigation(items[4], "Dropped " + "very long title " * 12, S.DROPPED),
    ]
    made[0].items.add(items[5])  # two challenges: two themes
    return made


def _listed(user):
    actions = Mitigation.objects.for_listing().with_overdue(TODAY).order_by("pk")
    return dashboard.prepare_quick_edit(actions, user)


@pytest.mark.parametrize(
    "where",
    [
        {"next": "/app/orgs/northside/actions/?q=late&page=2", "bulk_form": "bulk-form"},
        {"next": "/app/my-actions/", "show_organisation": True},
        {"next": "/app/orgs/northside/dashboard/", "list_key": "overdue-"},
    ],
)
@pytest.mark.parametrize("person", ["manager", "viewer"])
def test_a_row_is_what_the_row_template_makes_of_the_action(kinds, request, where, person):
    for action in _listed(request.getfixturevalue(person)):
        context = {
            "action": action,
            "actions": [action],
            "today": TODAY,
            "statuses": S.choices,
            "csrf_token": "the-token",
            **where,
        }
        expected = PLAIN.render(Context(context))
        # Twice: rendered, then kept.
        assert MEMO.render(Context(context)) == expected
        assert MEMO.render(Context(context)) == expected
        assert MEMO.render(Context({**context, "csrf_token": "another"})) == expected.replace("the-token", "another")
    assert render_row.cache_info().hits > 0


@pytest.mark.parametrize("person", ["manager", "viewer"])
def test_an_action_read_as_plain_values_makes_the_same_row_as_the_action_itself(kinds, request, person):
    # The lists read ListedActions (pages/action_lists.py): every value a row shows, and who may change it, as
    # the Mitigation with its checklist, organisation and owner gives them. Also a draft's action (never
    # overdue) and an action of an archived checklist.
    user = request.getfixturevalue(person)
    draft = make_checklist(kinds[0].checklist.organisation, "Still a draft", user, status="draft")
    make_mitigation(next(iter(draft.items.challenges())), "In a draft", due_date=TODAY - timedelta(days=4))
    for day in (TODAY, TODAY + timedelta(days=10)):
        actions = Mitigation.objects.for_listing().with_overdue(day).order_by("pk")
        plain = dashboard.prepare_quick_edit(with_theme_names(actions), user)
        listed = action_lists.listed(actions.values_list(*action_lists.LISTED_FIELDS))
        listed = dashboard.prepare_quick_edit(with_theme_names(listed), user)
        assert [Row.of(action, day) for action in listed] == [Row.of(action, day) for action in plain]
        assert len(listed) == 6 and any(row.overdue_today for row in map(Row.of, listed, [day] * 6))


def test_a_row_changes_as_soon_as_anything_it_shows_changes(client, kinds, org_a, manager, planner):
    late = kinds[0]
    client.force_login(manager)

    def shown():
        """The late action's row on the action list, read right after a change."""
        organisation_generations.organisation_changed(org_a.pk)
        html = client.get("/app/orgs/northside/actions/").content.decode()
        return html.split(f'id="action-{late.pk}"')[1].split("</li>")[0]

    assert "Late" in shown()
    Mitigation.objects.filter(pk=late.pk).update(action="Late and renamed")
    assert "Late and renamed" in shown()
    Mitigation.objects.filter(pk=late.pk).update(status=S.BLOCKED)
    assert '<option value="blocked" selected>Blocked</option>' in shown()
    Mitigation.objects.filter(pk=late.pk).update(due_date=TODAY + timedelta(days=40))
    assert f'value="{(TODAY + timedelta(days=40)).isoformat()}"' in shown()
    # The owner's name changes without the action changing (the same version).
    manager.first_name = "Mayanka"
    manager.save()
    assert "Mayanka" in shown()
    late.checklist.title = "Crisis team"
    late.checklist.save()
    assert "Crisis team" in shown()
    other = next(item for item in late.checklist.items.challenges() if item.finding.theme.name not in late.theme_names)
    late.items.set([other])
    assert other.finding.theme.name in shown()


def test_the_organisation_a_row_names_changes_with_it(client, kinds, org_a, manager):
    client.force_login(manager)
    assert "Northside Mental Health Service, Community team" in client.get("/app/my-actions/").content.decode()
    org_a.name = "Northside and Westside"
    org_a.save()
    organisation_generations.organisation_changed(org_a.pk)
    assert "Northside and Westside, Community team" in client.get("/app/my-actions/").content.decode()


def test_who_may_change_a_row_is_theirs_whoever_saw_it_first(client, kinds, manager, viewer):
    late = kinds[0]
    client.force_login(manager)
    assert f'id="quick-{late.pk}-status"' in client.get("/app/orgs/northside/actions/").content.decode()
    client.force_login(viewer)
    shown = client.get("/app/orgs/northside/actions/").content.decode()
    assert "Late" in shown
    assert f'id="quick-{late.pk}-status"' not in shown
    assert f'name="ids" value="{late.pk}:' not in shown


def test_a_row_becomes_overdue_the_day_after_it_was_due(client, kinds, manager, monkeypatch):
    late = kinds[0]
    Mitigation.objects.filter(pk=late.pk).update(due_date=TODAY)
    client.force_login(manager)
    row = client.get("/app/orgs/northside/actions/").content.decode().split(f'id="action-{late.pk}"')[0]
    assert not row.endswith('is-overdue"')
    from peerplan.figures import tracking

    monkeypatch.setattr(tracking, "today", lambda: TODAY + timedelta(days=1))
    row = client.get("/app/orgs/northside/actions/").content.decode().split(f'id="action-{late.pk}"')[0]
    assert row.endswith('<li class="action-row is-overdue" ')


def _filters(client, query=""):
    """The action list's filter fields, read right after a change."""
    html = client.get(f"/app/orgs/northside/actions/{query}").content.decode()
    return html.split('aria-label="Filter the actions"')[1].split('<button type="submit"')[0]


def test_the_filter_fields_change_as_soon_as_their_choices_or_what_was_asked_change(
    client, kinds, org_a, owner, manager
):
    from peerplan.templatetags.action_rows import render_filters

    render_filters.cache_clear()
    checklist = kinds[0].checklist
    client.force_login(manager)

    def changed():
        organisation_generations.organisation_changed(org_a.pk)

    assert f'<option value="{checklist.pk}">Community team</option>' in _filters(client)
    checklist.title = "Crisis team"
    checklist.save()
    changed()
    assert f'<option value="{checklist.pk}">Crisis team</option>' in _filters(client)
    second = make_checklist(org_a, "Wards", owner)
    changed()
    assert f'<option value="{second.pk}">Wards</option>' in _filters(client)
    manager.first_name = "Mayanka"
    manager.save()
    changed()
    assert f'<option value="{manager.pk}">Mayanka</option>' in _filters(client)
    newcomer = make_member(org_a, "nia", "planner", "Nia")
    changed()
    assert f'<option value="{newcomer.pk}">Nia</option>' in _filters(client)
    # What was asked: the choice shown as chosen, and a mistake beside its field.
    assert f'<option value="{second.pk}" selected>Wards</option>' in _filters(client, f"?checklist={second.pk}")
    assert "Enter the date as year-month-day" in _filters(client, "?due_after=soon")
    assert "Enter the date as year-month-day" not in _filters(client, "?due_after=2025-01-01")
    changed()
    assert 'value="2025-01-01"' in _filters(client, "?due_after=2025-01-01")
    assert render_filters.cache_info().hits > 0  # the same fields again: kept


def test_the_filter_fields_of_one_organisation_are_never_shown_in_another(client, kinds, org_a, org_b, outsider):
    make_checklist(org_b, "Southside only", outsider)
    client.force_login(outsider)
    shown = client.get("/app/orgs/southside/actions/").content.decode()
    assert "Southside only" in shown
    assert "Community team" not in shown


def test_the_members_offered_as_owners_change_as_soon_as_a_name_or_the_members_change(client, kinds, org_a, manager):
    client.force_login(manager)

    def offered():
        organisation_generations.organisation_changed(org_a.pk)
        html = client.get("/app/my-actions/").content.decode()
        return html.split(f'<template id="owner-choices-{org_a.pk}">')[1].split("</template>")[0]

    def in_the_bulk_bar():
        organisation_generations.organisation_changed(org_a.pk)
        html = client.get("/app/orgs/northside/actions/").content.decode()
        return html.split('id="bulk-owner"')[1].split("</select>")[0]

    for shown in (offered, in_the_bulk_bar):
        assert f'<option value="{manager.pk}">Maya</option>' in shown()
    manager.first_name = "Mayanka"
    manager.save()
    for shown in (offered, in_the_bulk_bar):
        assert f'<option value="{manager.pk}">Mayanka</option>' in shown()
    newcomer = make_member(org_a, "nia", "planner", "Nia")
    for shown in (offered, in_the_bulk_bar):
        assert f'<option value="{newcomer.pk}">Nia</option>' in shown()
    assert '<option value="">Leave as it is</option><option value="none">No owner</option>' in in_the_bulk_bar()


def test_a_lists_theme_names_are_what_each_action_says_of_itself(kinds, django_assert_num_queries):
    listed = list(Mitigation.objects.for_listing().order_by("pk"))
    with django_assert_num_queries(1):
        with_theme_names(listed)
    assert [action.theme_names for action in listed] == [
        Mitigation.objects.get(pk=action.pk).theme_names for action in listed
    ]
    assert "; " in listed[0].theme_names  # two challenges of two themes


def test_the_bulk_bars_choices_are_kept_only_for_rows_compared_by_every_field_of_a_name(manager):
    # A User compares by its id alone: choices kept for one would be shown after the person was renamed.
    with pytest.raises(TypeError):
        BulkActionForm.bar([manager])
    assert BulkActionForm.bar([MemberName(manager.pk, "Maya", "", "m@example.org", "maya")]).owner_choices[2] == (
        str(manager.pk),
        "Maya",
    )
