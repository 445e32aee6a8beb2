"""Action lists as lists: quick views that count what the dashboard counts, the filter bar's words, Undo through
the in-place endpoint, the no-JavaScript change page, and the members rendered once per page with flat queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from peerplan.models import ChecklistStatus, MitigationStatus, organisation_generations
from peerplan.notify.context import unread_count
from peerplan.operations import mitigations
from peerplan.pages import dashboard
from tests.factories import make_checklist, make_mitigation

TODAY = timezone.localdate()
S = MitigationStatus
HTMX = {"HTTP_HX_REQUEST": "true"}
VIEWS = {
    "overdue": "overdue",
    "due_soon": "due_soon",
    "blocked": "blocked",
    "no_owner": "no_owner",
    "no_due_date": "no_due_date",
}


def days(n):
    return TODAY + timedelta(days=n)


@pytest.fixture
def spread(org_a, owner, manager, planner):
    """Actions of every kind the dashboard counts, on an active checklist, and the same kinds on a draft (which
    the dashboard and the quick views leave out alike)."""
    active = make_checklist(org_a, "Community team", owner)
    draft = make_checklist(org_a, "Wards (draft)", owner, status=ChecklistStatus.DRAFT)
    for checklist in (active, draft):
        items = list(checklist.items.challenges().order_by("pk"))
        make_mitigation(items[0], "Late", due_date=days(-3), owner=manager)
        make_mitigation(items[1], "Late and mine", S.IN_PROGRESS, due_date=days(-1), owner=planner)
        make_mitigation(items[2], "Soon", due_date=days(5), owner=planner)
        make_mitigation(items[3], "Stuck", S.BLOCKED, due_date=days(30))
        make_mitigation(items[4], "Undated", owner=manager)
        make_mitigation(items[5], "Done late", S.DONE, due_date=days(-9))
    return active


def _count(response):
    return response.context["page"].paginator.count


@pytest.mark.parametrize("view", VIEWS)
def test_each_quick_view_counts_what_the_dashboard_counts(client, spread, manager, view):
    client.force_login(manager)
    figures = dashboard.dashboard(spread.organisation, TODAY)

    response = client.get(f"/app/orgs/northside/actions/?view={view}")

    assert _count(response) == figures[view].count > 0
    # The dashboard's figure opens exactly this view.
    assert (
        f'href="/app/orgs/northside/actions/?view={view}"'
        in client.get("/app/orgs/northside/dashboard/").content.decode()
    )


def test_mine_is_the_persons_own_open_actions_and_its_body_is_theirs_alone(client, spread, manager, planner):
    client.force_login(planner)
    mine = client.get("/app/orgs/northside/actions/?view=mine")
    # Open, and on the active checklist only (the one rule for drafts, as My actions).
    assert sorted(a.action for a in mine.context["page"].object_list) == ["Late and mine", "Soon"]
    client.force_login(manager)
    theirs = client.get("/app/orgs/northside/actions/?view=mine")
    assert sorted(a.action for a in theirs.context["page"].object_list) == ["Late", "Undated"]


def test_a_quick_view_combines_with_the_filters_and_says_what_is_shown(client, spread, manager, planner):
    client.force_login(manager)
    response = client.get(f"/app/orgs/northside/actions/?view=overdue&owner={planner.pk}&q=late")
    assert [a.action for a in response.context["page"].object_list] == ["Late and mine"]
    text = response.content.decode()
    assert "Showing: Overdue · Search: “late” · Owner: Pat · <a" in text
    # Each quick view's link keeps the other filters and replaces the view.
    assert f'href="/app/orgs/northside/actions/?owner={planner.pk}&amp;q=late&amp;view=blocked"' in text
    assert 'href="/app/orgs/northside/actions/?owner=' in text and 'aria-current="page">Overdue</a>' in text


def test_an_unknown_quick_view_is_said_and_the_other_filters_still_apply(client, spread, manager):
    client.force_login(manager)
    response = client.get("/app/orgs/northside/actions/?view=late&q=stuck")
    assert response.status_code == 200
    assert "Choose one of overdue, due_soon, blocked, no_owner, no_due_date, mine." in response.content.decode()
    assert [a.action for a in response.context["page"].object_list] == ["Stuck", "Stuck"]


def test_my_actions_have_their_quick_views(client, spread, planner):
    client.force_login(planner)
    overdue = client.get("/app/my-actions/?view=overdue")
    assert [a.action for a in overdue.context["page"].object_list] == ["Late and mine"]
    text = overdue.content.decode()
    views = text.split('aria-label="Quick views"')[1].split("</nav>")[0]
    assert 'href="/app/my-actions/?view=due_soon"' in views and "No owner" not in views
    unknown = client.get("/app/my-actions/?view=late")
    assert "There is no such quick view: every action is shown." in unknown.content.decode()


# Undo: the previous values, sent with the new version through the same endpoint -------------------------


def test_a_saved_change_offers_undo_which_restores_the_previous_values(client, spread, planner):
    action = spread.mitigations.get(action="Stuck")
    action.owner_name = "Dr Outside"
    action.save()
    client.force_login(planner)
    url = f"/app/mitigations/{action.pk}/quick/"
    saved = client.post(
        url, {"status": "in_progress", "owner": planner.pk, "due_date": "2030-01-31", "version": 1}, **HTMX
    ).content.decode()
    assert "Saved." in saved and "Undo<span" in saved
    assert '<input type="hidden" name="status" value="blocked">' in saved
    assert '<input type="hidden" name="owner_name" value="Dr Outside">' in saved
    assert f'<input type="hidden" name="due_date" value="{days(30).isoformat()}">' in saved
    action.refresh_from_db()
    assert (action.owner, action.owner_name, action.version) == (planner, "", 2)

    undone = client.post(
        url,
        {
            "status": "blocked",
            "owner": "",
            "owner_name": "Dr Outside",
            "due_date": days(30).isoformat(),
            "version": 2,
            "undo": "1",
        },
        **HTMX,
    ).content.decode()
    assert "Undone." in undone and "Undo<span" not in undone
    action.refresh_from_db()
    assert (action.status, action.owner, action.owner_name, action.due_date, action.version) == (
        "blocked",
        None,
        "Dr Outside",
        days(30),
        3,
    )


def test_an_undo_after_someone_elses_change_is_a_conflict_and_changes_nothing(client, spread, planner, manager):
    action = spread.mitigations.get(action="Soon")
    client.force_login(planner)
    url = f"/app/mitigations/{action.pk}/quick/"
    client.post(url, {"status": "done", "owner": planner.pk, "due_date": days(5).isoformat(), "version": 1}, **HTMX)
    mitigations.update_mitigation(mitigation_id=action.pk, changes={"owner": manager}, version=2, by=manager)
    response = client.post(
        url,
        {"status": "planned", "owner": planner.pk, "due_date": days(5).isoformat(), "version": 2, "undo": "1"},
        **HTMX,
    )
    assert response.status_code == 409
    assert "Someone else changed this action since you opened the page." in response.content.decode()
    action.refresh_from_db()
    assert (action.status, action.owner) == ("done", manager)


def test_a_row_form_without_the_outside_name_leaves_it_as_it_is(client, spread, planner):
    action = spread.mitigations.get(action="Stuck")
    action.owner_name = "Dr Outside"
    action.save()
    client.force_login(planner)
    client.post(
        f"/app/mitigations/{action.pk}/quick/",
        {"status": "done", "owner": "", "due_date": days(30).isoformat(), "version": 1},
        **HTMX,
    )
    action.refresh_from_db()
    assert (action.status, action.owner_name) == ("done", "Dr Outside")


# The members once per page; the same queries whatever the size ---------------------------------------


def _grow(org, by, copies):
    for n in range(copies):
        checklist = make_checklist(org, f"Plan {n}", by)
        for item in checklist.items.challenges()[:5]:
            make_mitigation(item, f"Action {n}", S.PLANNED, owner=by, due_date=days(-n - 1))


def test_the_members_are_rendered_once_per_page_not_once_per_row(client, org_a, manager, planner, viewer):
    _grow(org_a, manager, 2)
    client.force_login(manager)
    text = client.get("/app/orgs/northside/actions/").content.decode()
    assert text.count("data-action-row") == 10
    assert text.count(f'<template id="owner-choices-{org_a.pk}">') == 1
    # Each row's drop-down holds its own owner and "No owner"; the other members come from the template (and
    # the bulk bar and the filter form have their own drop-downs).
    rows = text.split('<ul class="action-rows')[1].split("</ul>")[0]
    assert f'<option value="{planner.pk}">Pat</option>' not in rows
    assert text.count(f'<option value="{planner.pk}">Pat</option>') == 3  # the template, bulk bar, filter


@pytest.mark.parametrize("copies", [1, 10])
def test_a_quick_view_runs_the_same_queries_whatever_the_size(
    client, org_a, manager, django_assert_num_queries, copies
):
    _grow(org_a, manager, copies)
    client.force_login(manager)
    client.get("/app/orgs/northside/actions/?view=overdue")  # the generations (peerplan/pages/page_cache.py)
    organisation_generations.organisation_changed(org_a)
    # A cache miss: session, person with the bell's count (two cache reads), organisation and membership (one query), the body and its generations
    # (one cache read), count, page of actions, the names of the themes those actions address, the members
    # an action can be given to (once, for every row and the bulk form; the person's role is the membership
    # read first), then the three drop-downs of the filter form (checklists, owners, themes), storing the
    # body (database cache: count, then the upsert in a savepoint: 4)
    with django_assert_num_queries(15):
        response = client.get("/app/orgs/northside/actions/?view=overdue")
    assert response.content.decode().count("data-action-row") == min(5 * copies, 25)
    # Read again with nothing changed: session, person with the bell's count (two cache reads), organisation and membership, the body.
    with django_assert_num_queries(4):
        client.get("/app/orgs/northside/actions/?view=overdue")


@pytest.mark.parametrize("copies", [1, 10])
def test_my_actions_quick_view_runs_the_same_queries_whatever_the_size(
    client, org_a, manager, django_assert_num_queries, copies
):
    _grow(org_a, manager, copies)
    client.force_login(manager)
    client.get("/app/my-actions/?view=overdue")
    organisation_generations.organisation_changed(org_a)
    # A cache miss: session, person with the bell's count (two cache reads), the person's organisations and roles (which the in-place edits use too),
    # the body and its generations (one cache read), count, page of actions, the names of the themes they
    # address, the members an action can be given to, the draft checklists it leaves out, storing the body
    # (count, then the upsert in a savepoint: 4)
    with django_assert_num_queries(13):
        response = client.get("/app/my-actions/?view=overdue")
    assert response.content.decode().count("data-action-row") == min(5 * copies, 25)


@pytest.mark.parametrize("copies", [1, 10])
def test_an_undo_runs_what_a_change_runs_whatever_the_size(client, org_a, manager, django_assert_num_queries, copies):
    _grow(org_a, manager, copies)
    action = org_a.checklists.get(title="Plan 0").mitigations.first()
    client.force_login(manager)
    url = f"/app/mitigations/{action.pk}/quick/"
    client.post(url, {"status": "done", "owner": manager.pk, "due_date": "", "version": 1}, **HTMX)
    # A change in place (test_in_place_and_bulk.py) with an owner: session, person (two cache reads), the loader
    # (the action with the person's membership), the chosen owner read as a member, the update (savepoint,
    # lock, update, the history's organisation, history, release); the answer shows what is saved, reading
    # nothing more (the checklist and the person's role are the loader's, the owner's name the update's).
    with django_assert_num_queries(10):
        response = client.post(
            url,
            {
                "status": "planned",
                "owner": manager.pk,
                "due_date": action.due_date.isoformat(),
                "version": 2,
                "undo": "1",
            },
            **HTMX,
        )
    assert "Undone." in response.content.decode()


@pytest.mark.parametrize("copies", [1, 10])
def test_the_change_page_runs_the_same_queries_whatever_the_size(
    client, org_a, manager, django_assert_num_queries, copies
):
    _grow(org_a, manager, copies)
    action = org_a.checklists.get(title="Plan 0").mitigations.first()
    client.force_login(manager)
    unread_count(manager)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    # session, person with the bell's count (two cache reads), the loader (the action with the membership, its items), the
    # action for the page (with its checklist, organisation and owner), the members to choose from (the
    # person's role is the loader's membership)
    with django_assert_num_queries(6):
        assert client.get(f"/app/mitigations/{action.pk}/change/").status_code == 200


def test_the_change_page_shows_every_member_once_and_names_the_action(client, spread, planner, manager):
    action = spread.mitigations.get(action="Soon")
    client.force_login(planner)
    page = client.get(f"/app/mitigations/{action.pk}/change/?next=/app/my-actions/").content.decode()
    assert '<p class="published-text lead">Soon</p>' in page
    assert f'<option value="{manager.pk}">Maya</option>' in page
    assert f'<option value="{planner.pk}" selected>Pat</option>' in page
    assert '<a class="btn btn-link" href="/app/my-actions/">Back without saving</a>' in page
