"""My actions: what the signed-in person owns, across their organisations, soonest due first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from peerplan.models import (
    Checklist,
    ChecklistStatus,
    Membership,
    Mitigation,
    MitigationStatus,
    organisation_generations,
)
from peerplan.pages import action_lists
from tests.factories import item_for, make_checklist, make_mitigation

TODAY = timezone.localdate()


def days(n):
    return TODAY + timedelta(days=n)


@pytest.fixture
def actions(org_a, org_b, planner, manager):
    """Pat (planner in Northside) also joins Southside. Pat owns five actions, one done."""
    Membership.objects.create(organisation=org_b, user=planner, role="planner")
    north = make_checklist(org_a, "Community team", manager)
    south = make_checklist(org_b, "South plan", None)
    archived = make_checklist(org_a, "Old plan", manager, status=ChecklistStatus.ARCHIVED)
    make_mitigation(item_for(north, "Role ambiguity"), "No due date", owner=planner)
    make_mitigation(item_for(north, "Workload"), "Due in ten days", owner=planner, due_date=days(10))
    make_mitigation(item_for(south, "Boundaries"), "Southside overdue", owner=planner, due_date=days(-3))
    make_mitigation(item_for(north, "Boundaries"), "Done already", MitigationStatus.DONE, owner=planner)
    make_mitigation(item_for(archived, "Workload"), "On an archived plan", owner=planner, due_date=days(1))
    make_mitigation(item_for(north, "Treatment models"), "Someone else's", owner=manager, due_date=days(1))
    return {"north": north, "south": south}


def _listed(response):
    return [action.action for action in response.context["page"].object_list]


def test_it_lists_open_actions_across_organisations_soonest_due_first_with_no_date_last(client, actions, planner):
    client.force_login(planner)
    response = client.get("/app/my-actions/")
    assert response.status_code == 200
    assert _listed(response) == ["Southside overdue", "Due in ten days", "No due date"]
    text = response.content.decode()
    assert "Southside Trust" in text
    assert text.count('<span class="status-tag status-tag-overdue prop-overdue">Overdue</span>') == 1


def test_show_all_adds_done_actions_and_archived_checklists(client, actions, planner):
    client.force_login(planner)
    response = client.get("/app/my-actions/?show=all")
    assert _listed(response) == [
        "Southside overdue",
        "On an archived plan",
        "Due in ten days",
        "No due date",
        "Done already",
    ]


def test_it_leaves_out_organisations_the_person_has_left(client, actions, planner, org_b):
    Membership.objects.filter(user=planner, organisation=org_b).delete()
    client.force_login(planner)
    assert _listed(client.get("/app/my-actions/")) == ["Due in ten days", "No due date"]


def test_someone_who_owns_nothing_sees_an_empty_list(client, actions, outsider):
    client.force_login(outsider)
    response = client.get("/app/my-actions/")
    assert _listed(response) == []
    assert "you own no open actions" in response.content.decode()


def test_it_is_paginated(client, org_a, planner, manager):
    checklist = make_checklist(org_a, "Big plan", manager)
    item = item_for(checklist, "Workload")
    for n in range(30):
        make_mitigation(item, f"Action {n:02}", owner=planner, due_date=days(n))
    client.force_login(planner)
    first = client.get("/app/my-actions/")
    assert len(first.context["page"].object_list) == 25
    second = client.get("/app/my-actions/?page=2")
    assert _listed(second) == [f"Action {n:02}" for n in range(25, 30)]


@pytest.mark.parametrize("copies", [1, 10])
def test_it_runs_the_same_queries_whatever_the_size(client, org_a, planner, manager, django_assert_num_queries, copies):
    for n in range(copies):
        checklist = make_checklist(org_a, f"Plan {n}", manager)
        for item in checklist.items.all()[:5]:
            make_mitigation(item, "Mine", owner=planner, due_date=days(n))
            make_mitigation(item, "Not mine", owner=manager)
    client.force_login(planner)
    client.get("/app/my-actions/")  # the generations (peerplan/pages/page_cache.py)
    organisation_generations.organisation_changed(org_a)
    # A cache miss: session, person with the bell's count (two cache reads), the person's organisations and roles (which the in-place edits use too),
    # the body and its generations (one cache read), count, page of actions, the names of the themes they
    # address, the members an action can be given to (for the in-place edits), the drafts left out, storing
    # the body (database cache: count, then the upsert in a savepoint: 4)
    with django_assert_num_queries(13):
        assert client.get("/app/my-actions/").status_code == 200
    # Read again with nothing changed: session, person with the bell's count (two cache reads), organisations and roles, the body.
    with django_assert_num_queries(4):
        assert client.get("/app/my-actions/").content.decode().count("data-action-row") == min(5 * copies, 25)


def test_signed_out_people_are_sent_to_sign_in(client, db):
    assert client.get("/app/my-actions/").status_code == 302


def _plain_first_page(person):
    """My actions' first page and drafts as the page read them before they were prepared: the plain querysets."""
    mine = Mitigation.objects.owned_by_member(person)
    listing = mine.open().tracked().for_listing().with_overdue(TODAY).soonest_due_first()
    # overdue_now: SQL says NULL (not false) of an action without a due date; a row reads it as false.
    rows = [(a.pk, a.action, bool(a.overdue_now), a.owner_label) for a in listing[: action_lists.LIST_PAGE_SIZE]]
    return rows, [c.pk for c in Checklist.objects.drafts_holding(mine.open())], listing.count()


def _first_page(person):
    page, drafts = action_lists.my_first_page(person, TODAY)
    rows = [(a.pk, a.action, a.overdue_now, a.owner_label) for a in page.object_list]
    return rows, [c.pk for c in drafts], page.paginator.count


def _memberships(memberships):
    return sorted((m.pk, m.organisation_id, m.user_id, m.role) for m in memberships)


@pytest.mark.parametrize("site_requires_two_factor", [False, True])
def test_the_first_page_its_drafts_and_the_memberships_read_are_each_persons_own_as_the_plain_queries_read_them(
    actions, org_a, org_b, planner, manager, settings, site_requires_two_factor
):
    # Read by queries compiled once (MY_COUNT, MY_FIRST_PAGE, MY_DRAFTS, MY_MEMBERSHIPS), one for each value of
    # REQUIRE_2FA: for each person in turn, and as organisation or site two-factor rules shut them out, the same
    # as the plain querysets.
    settings.REQUIRE_2FA = site_requires_two_factor
    draft = make_checklist(org_a, "Draft plan", manager, status=ChecklistStatus.DRAFT)
    make_mitigation(item_for(draft, "Workload"), "On a draft", owner=planner, due_date=days(2))
    for person in (planner, manager, planner):
        assert _first_page(person) == _plain_first_page(person)
        plain = _memberships(Membership.objects.readable_by(person))
        assert _memberships(action_lists.my_memberships(person)) == plain
        assert bool(plain) is not site_requires_two_factor
    shown, drafts, count = _first_page(planner)
    if site_requires_two_factor:
        assert (shown, drafts, count) == ([], [], 0)  # Pat has no second factor: no organisation is readable
    else:
        assert [row[1] for row in shown] == ["Southside overdue", "Due in ten days", "No due date"]
        assert drafts == [draft.pk] and count == 3
        org_a.require_two_factor = True
        org_a.save()
        assert [row[1] for row in _first_page(planner)[0]] == ["Southside overdue"]
        assert _first_page(planner) == _plain_first_page(planner)
        assert [m.organisation_id for m in action_lists.my_memberships(planner)] == [org_b.pk]
