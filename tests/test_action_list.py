"""The organisation's action list: filters in the URL, validated, narrowed to the organisation."""

import re
from datetime import timedelta

import pytest
from django.core.paginator import Paginator
from django.utils import timezone

from evidence.models import Theme
from peerplan.forms.mitigations import ActionFilterForm
from peerplan.models import (
    Checklist,
    Membership,
    Mitigation,
    MitigationStatus,
    Organisation,
    organisation_generations,
    with_theme_names,
)
from peerplan.pages import action_lists, dashboard
from peerplan.templatetags.action_rows import FiltersKey, render_filters
from tests.factories import bulk_mitigations, item_for, make_checklist, make_mitigation, make_own_source

TODAY = timezone.localdate()
S = MitigationStatus


def days(n):
    return TODAY + timedelta(days=n)


@pytest.fixture
def lists(org_a, org_b, manager, planner, viewer, outsider):
    community = make_checklist(org_a, "Community team", manager)
    wards = make_checklist(org_a, "Inpatient wards", manager)
    south = make_checklist(org_b, "South plan", outsider)
    make_mitigation(
        item_for(community, "Role ambiguity"), "Role description", S.PLANNED, owner=planner, due_date=days(5)
    )
    make_mitigation(item_for(community, "Workload"), "Cap caseloads", S.BLOCKED, owner=manager, due_date=days(-2))
    make_mitigation(item_for(wards, "Role ambiguity"), "Ward roles", S.DONE, owner=planner, due_date=days(-20))
    make_mitigation(item_for(wards, "Boundaries"), "Ward boundaries", S.IN_PROGRESS, owner_name="Dr Outside")
    make_mitigation(item_for(south, "Role ambiguity"), "Southside secret", S.PLANNED, owner=outsider)
    return {"community": community, "wards": wards, "south": south}


def _listed(response):
    return sorted(action.action for action in response.context["page"].object_list)


def test_without_filters_it_lists_every_action_of_the_organisation_and_no_other(client, lists, viewer):
    client.force_login(viewer)
    response = client.get("/app/orgs/northside/actions/")
    assert response.status_code == 200
    assert _listed(response) == ["Cap caseloads", "Role description", "Ward boundaries", "Ward roles"]
    assert "Southside secret" not in response.content.decode()


def test_it_filters_by_checklist_owner_status_theme_and_due_dates(client, lists, viewer, planner):
    client.force_login(viewer)
    base = "/app/orgs/northside/actions/"
    assert _listed(client.get(base, {"checklist": lists["wards"].pk})) == ["Ward boundaries", "Ward roles"]
    assert _listed(client.get(base, {"owner": planner.pk})) == ["Role description", "Ward roles"]
    assert _listed(client.get(base, {"status": ["blocked", "in_progress"]})) == [
        "Cap caseloads",
        "Ward boundaries",
    ]
    role_ambiguity = Theme.objects.get(name="Role ambiguity")
    assert _listed(client.get(base, {"theme": role_ambiguity.pk})) == ["Role description", "Ward roles"]
    assert _listed(client.get(base, {"due_after": days(-5).isoformat(), "due_before": days(5).isoformat()})) == [
        "Cap caseloads",
        "Role description",
    ]
    combined = client.get(base, {"owner": planner.pk, "status": "planned", "theme": role_ambiguity.pk})
    assert _listed(combined) == ["Role description"]


def test_choices_are_narrowed_to_the_organisation(client, lists, viewer):
    client.force_login(viewer)
    members = sorted(Membership.objects.filter(organisation__slug="northside").values_list("user_id", flat=True))
    # What the filter offers, as everyone first opens the list (shown from plain rows)...
    page = client.get("/app/orgs/northside/actions/").content.decode()

    def offered(name):
        select = re.search(rf'<select name="{name}".*?</select>', page, flags=re.S).group(0)
        return re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', select)

    assert [label for _, label in offered("checklist")] == ["Any checklist", "Community team", "Inpatient wards"]
    assert sorted(int(value) for value, _ in offered("owner") if value) == members
    # ... and what a filter sent may choose.
    sent = client.get("/app/orgs/northside/actions/", {"q": "roles"}).context["form"].fields
    assert [c.title for c in sent["checklist"].queryset] == ["Community team", "Inpatient wards"]
    assert sorted(u.username for u in sent["owner"].queryset) == ["maya", "pat", "vic"]
    assert sorted(u.pk for u in sent["owner"].queryset) == members


def test_another_organisations_checklist_or_owner_is_refused_with_a_message(client, lists, viewer, outsider):
    client.force_login(viewer)
    response = client.get("/app/orgs/northside/actions/", {"checklist": lists["south"].pk, "owner": outsider.pk})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Choose one of this organisation&#x27;s checklists." in text
    assert "Choose a member of this organisation." in text
    assert "Southside secret" not in text
    assert len(_listed(response)) == 4  # the rejected filters are left out, never widened to the other org


@pytest.mark.parametrize(
    "params, message",
    [
        ({"due_before": "next tuesday"}, "Enter the date as year-month-day"),
        ({"due_after": "2025-02-30"}, "Enter the date as year-month-day"),
        ({"status": "finished"}, "Choose statuses from the list."),
        ({"checklist": "abc"}, "Choose one of this organisation"),
        ({"theme": "99999999"}, "Choose one of the listed themes."),
        ({"due_after": "2025-06-02", "due_before": "2025-06-01"}, "must not be earlier than"),
        ({"page": "9999"}, ""),
        ({"page": "x"}, ""),
    ],
)
def test_bad_filter_values_give_a_message_not_an_error(client, lists, viewer, params, message):
    client.force_login(viewer)
    response = client.get("/app/orgs/northside/actions/", params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_pagination_links_keep_the_filters(client, org_a, manager, viewer):
    checklist = make_checklist(org_a, "Big plan", manager)
    item = item_for(checklist, "Workload")
    for n in range(30):
        make_mitigation(item, f"Blocked {n:02}", S.BLOCKED, due_date=days(n))
    make_mitigation(item, "Planned one", S.PLANNED)
    client.force_login(viewer)
    response = client.get("/app/orgs/northside/actions/", {"status": ["blocked", "done"]})
    assert response.context["page"].paginator.count == 30
    assert 'href="?status=blocked&amp;status=done&amp;page=2"' in response.content.decode()
    second = client.get("/app/orgs/northside/actions/?status=blocked&status=done&page=2")
    assert [a.action for a in second.context["page"].object_list] == [f"Blocked {n:02}" for n in range(25, 30)]


def test_outsiders_get_404(client, lists, outsider):
    client.force_login(outsider)
    assert client.get("/app/orgs/northside/actions/").status_code == 404


@pytest.mark.parametrize("copies", [1, 10])
def test_it_runs_the_same_queries_whatever_the_size(client, org_a, manager, planner, django_assert_num_queries, copies):
    for n in range(copies):
        checklist = make_checklist(org_a, f"Plan {n}", manager)
        for item in checklist.items.all()[:5]:
            make_mitigation(item, "An action", S.BLOCKED, owner=planner, due_date=days(n))
    client.force_login(manager)
    filters = {"checklist": checklist.pk, "status": "blocked"}
    client.get("/app/orgs/northside/actions/", filters)  # the generations (peerplan/pages/page_cache.py)
    organisation_generations.organisation_changed(org_a)
    # A cache miss: session, person with the bell's count (two cache reads), organisation and membership (one query), the body and its generations
    # (one cache read), the checklist filter's lookup, count, page of actions, the names of the themes those
    # actions address, the members an action can be given to (for the in-place edits and the bulk form; the
    # person's role is the membership read first), then the three drop-downs (checklists, owners, themes),
    # storing the body (database cache: count, then the upsert in a savepoint: 4)
    with django_assert_num_queries(16):
        response = client.get("/app/orgs/northside/actions/", filters)
    assert response.status_code == 200
    # Read again with nothing changed: session, person with the bell's count (two cache reads), organisation and membership, the body.
    with django_assert_num_queries(4):
        again = client.get("/app/orgs/northside/actions/", filters)
    assert again.content.decode().count("data-action-row") == response.content.decode().count("data-action-row") == 5


@pytest.fixture
def sixty_actions(org_a, org_b, manager, outsider):
    """Three pages of org_a's actions (ties on a due date, some without one) and org_b's among them."""
    north = make_checklist(org_a, "Community team", manager)
    south = make_checklist(org_b, "South plan", outsider)
    items = [item_for(north, "Role ambiguity"), item_for(north, "Workload"), item_for(south, "Role ambiguity")]
    rows = []
    for n in range(90):
        status = S.PLANNED if n % 2 else S.BLOCKED
        rows.append((items[n % 3], {"action": f"Action {n}", "status": status, "due_date": _due(n)}))
    bulk_mitigations(rows)


def _due(n):
    return None if n % 5 == 0 else days(n % 4 - 2)


def _plain_page(organisation, number):
    """The page as the action list read it before its rows were read by id: the whole rows, sliced."""
    listing = Mitigation.objects.in_organisation(organisation).for_listing().with_overdue(TODAY).soonest_due_first()
    return Paginator(listing, action_lists.LIST_PAGE_SIZE).get_page(number)


def _shown(page):
    # overdue_now: SQL says NULL (not false) of an action without a due date; a row reads it as false.
    return [(action.pk, action.action, bool(action.overdue_now), action.owner_label) for action in page.object_list]


def test_each_page_lists_the_same_actions_in_the_same_order_as_the_whole_list_sliced(sixty_actions, org_a, org_b):
    # page_of_rows picks a page's ids first and reads their rows after: ties on a due date, actions without one
    # (last) and another organisation's actions must come out exactly as the plain slice's.
    for organisation in (org_a, org_b):
        listing = action_lists.listing(Mitigation.objects.in_organisation(organisation), TODAY)
        for number in (1, 2, 3, "last", "not a number"):
            expected = _plain_page(organisation, number)
            for by_id in (True, False):
                page = action_lists.page_of_rows(listing, number, by_id=by_id)
                assert _shown(page) == _shown(expected)
                assert (page.number, page.paginator.count) == (expected.number, expected.paginator.count)
    assert _plain_page(org_a, 3).object_list  # three pages of org_a's: the last one not empty


def test_the_first_page_everyone_opens_is_the_plain_lists_first_page(sixty_actions, org_a, org_b):
    # Its rows and count come from queries compiled once (FIRST_PAGE_OF_ACTIONS, COUNT_OF_ACTIONS), for each
    # organisation in turn.
    empty = Organisation.objects.create(name="No actions yet", slug="no-actions-yet")
    for organisation in (org_a, org_b, empty, org_a):
        page = action_lists.first_page_of_actions(organisation, TODAY)
        expected = _plain_page(organisation, 1)
        assert _shown(page) == _shown(expected)
        assert (page.number, page.paginator.count, page.paginator.num_pages, page.has_next()) == (
            1,
            expected.paginator.count,
            expected.paginator.num_pages,
            expected.has_next(),
        )


def test_the_first_page_reads_the_day_it_is_given(sixty_actions, org_a):
    # overdue_now is worked out for the day asked, not the day the query was first compiled for.
    shown = {}
    for day in (days(3), days(-1)):
        page = action_lists.first_page_of_actions(org_a, day)
        listing = Mitigation.objects.in_organisation(org_a).for_listing().with_overdue(day).soonest_due_first()
        shown[day] = [a.overdue_now for a in page.object_list]
        assert shown[day] == [a.overdue_now for a in listing[: action_lists.LIST_PAGE_SIZE]]
    assert all(shown[days(3)]) and not all(shown[days(-1)])


def test_the_filters_choices_are_each_organisations_own_whichever_was_read_first(
    lists, org_a, org_b, manager, outsider
):
    # The choices shown are read by queries compiled once (SHOWN_CHECKLISTS, SHOWN_MEMBERS, SHOWN_THEMES): each
    # organisation's own, as the querysets of a form with values sent (which decide what may be chosen) read them.
    make_own_source(org_b, summary="Night shifts leave no one to talk to", theme="South's own theme")
    make_checklist(org_b, "Another south plan", outsider)
    for organisation in (org_b, org_a, org_b):
        shown, sent = ActionFilterForm(organisation=organisation), ActionFilterForm({}, organisation=organisation)
        for name in ("checklist", "owner", "theme"):
            field = sent.fields[name]
            plain = [("", field.empty_label), *((o.pk, field.label_from_instance(o)) for o in field.queryset)]
            assert [(value, str(label)) for value, label in shown.fields[name].choices] == plain
            assert [(value, str(label)) for value, label in field.choices] == plain
    south = [label for _, label in ActionFilterForm(organisation=org_b).fields["theme"].choices]
    north = [label for _, label in ActionFilterForm(organisation=org_a).fields["theme"].choices]
    assert "South's own theme" in south and "South's own theme" not in north
    assert "Another south plan" not in [
        label for _, label in ActionFilterForm(organisation=org_a).fields["checklist"].choices
    ]


def test_a_pages_theme_names_are_those_the_plain_query_reads(sixty_actions, lists, org_a, org_b):
    # with_their_theme_names reads them by a query compiled once, the page's ids padded with 0 to LISTED_MOST.
    for organisation in (org_a, org_b):
        for number in (1, 2, 3):
            page = action_lists.page_of_rows(
                action_lists.listing(Mitigation.objects.in_organisation(organisation), TODAY), number
            )
            shown = dashboard.with_their_theme_names(page.object_list)
            plain = with_theme_names(list(page.object_list))
            assert [(a.pk, a.theme_names) for a in shown] == [(a.pk, a.theme_names) for a in plain]
            assert all(a.theme_names for a in shown)
    assert dashboard.with_their_theme_names([]) == []


def test_the_kept_filter_fields_show_a_renamed_checklist_member_and_theme_at_once(
    client, lists, org_a, viewer, planner, settings
):
    # The filter fields are kept for the rows their choices are made from (FiltersKey): a change to any of them
    # is a new key, so the next read shows it.
    settings.DEBUG = False
    render_filters.cache_clear()
    client.force_login(viewer)
    make_own_source(org_a, summary="Rotas change at short notice", theme="Rotas and short notice")

    def options():
        page = client.get("/app/orgs/northside/actions/").content.decode()
        return re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', page)

    checklist = Checklist.objects.filter(organisation=org_a).order_by("pk").first()
    theme = Theme.objects.get(name="Rotas and short notice")
    before = options()
    assert (str(checklist.pk), checklist.title) in before and (str(planner.pk), "Pat") in before
    assert (str(theme.pk), "Rotas and short notice") in before
    checklist.title = "Community team, renamed"
    checklist.save()
    planner.first_name, planner.last_name = "Patricia", "Okoro"
    planner.save()
    theme.name = "Rotas at short notice"
    theme.save()
    after = options()
    assert (str(checklist.pk), "Community team, renamed") in after
    assert (str(planner.pk), "Patricia Okoro") in after
    assert (str(theme.pk), "Rotas at short notice") in after
    assert len(after) == len(before)


def test_the_filters_drawn_without_a_form_are_those_of_the_unbound_form(lists, org_a, settings):
    # The list as everyone first opens it draws its filters without making the form (FiltersKey.unbound): the same
    # key, so the same kept fields, and the same fields when drawn.
    settings.DEBUG = False
    render_filters.cache_clear()
    without = FiltersKey.unbound(org_a)
    form = ActionFilterForm(organisation=org_a)
    assert without == FiltersKey.of(form)
    drawn = render_filters(without)
    render_filters.cache_clear()
    assert drawn == render_filters(FiltersKey.of(form))
    assert 'name="checklist"' in drawn and "Any theme" in drawn
