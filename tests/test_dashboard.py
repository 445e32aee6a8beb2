"""The organisation dashboard: figures against a hand-counted fixture, the coverage grid, isolation
and a query count that does not grow with the data."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from evidence.models import Finding, Theme, Valence
from peerplan import pages, tracking
from peerplan.models import ChecklistStatus, MitigationStatus
from tests.factories import challenge_theme_names, item_for, make_checklist, make_mitigation

TODAY = timezone.localdate()


def days(n):
    return TODAY + timedelta(days=n)


@pytest.fixture
def plan(org_a, owner, manager, planner, viewer):
    """Hand-counted:

    Community team (active, review date 3 days ago), 8 actions:
      Role ambiguity: planned due -5 (overdue), done due -10
      Low pay: in progress due +3 (due soon)
      Workload: blocked due +20
      Boundaries: dropped (does not cover)
      Treatment models: planned due +14 (due soon, last day)
      Colleagues and stigma: planned due +15 (not soon)
      Disclosure of peer status: planned, no due date
      → planned 4, in progress 1, done 1, blocked 1, dropped 1; 1 overdue;
        covered: role ambiguity, low pay, workload, treatment models, colleagues, disclosure = 6 of 16
    Inpatient wards (active), Workload does not apply (15 applicable):
      Role ambiguity: done; Boundaries: blocked due -1 (overdue and blocked) → 2 of 15 covered
    Old plan (archived, review date passed): planned due -30 — counted nowhere
    Draft plan (draft, review date passed): blocked, no due date — in "blocked", not a checklist card
    Totals: overdue 2, due soon 2, blocked 3; past review: Community team, Draft plan.
    """
    community = make_checklist(org_a, "Community team", manager, review_date=days(-3))
    wards = make_checklist(org_a, "Inpatient wards", manager)
    old = make_checklist(org_a, "Old plan", manager, status=ChecklistStatus.ARCHIVED, review_date=days(-40))
    draft = make_checklist(org_a, "Draft plan", manager, status=ChecklistStatus.DRAFT, review_date=days(-1))
    S = MitigationStatus
    make_mitigation(item_for(community, "Role ambiguity"), "Agree a role description", S.PLANNED, due_date=days(-5))
    make_mitigation(item_for(community, "Role ambiguity"), "Brief the teams", S.DONE, due_date=days(-10))
    make_mitigation(
        item_for(community, "The value of the PSW role and low pay"),
        "Review the pay band",
        S.IN_PROGRESS,
        due_date=days(3),
        owner=planner,
    )
    make_mitigation(item_for(community, "Workload"), "Cap caseloads", S.BLOCKED, due_date=days(20))
    make_mitigation(item_for(community, "Boundaries"), "Boundaries workshop", S.DROPPED)
    make_mitigation(item_for(community, "Treatment models"), "Map treatment models", S.PLANNED, due_date=days(14))
    make_mitigation(item_for(community, "Colleagues and stigma"), "Stigma training", S.PLANNED, due_date=days(15))
    make_mitigation(item_for(community, "Disclosure of peer status"), "Disclosure guidance", S.PLANNED)
    workload = item_for(wards, "Workload")
    workload.applies = False
    workload.not_applicable_reason = "Caseloads are set nationally"
    workload.save()
    make_mitigation(item_for(wards, "Role ambiguity"), "Ward role description", S.DONE)
    make_mitigation(item_for(wards, "Boundaries"), "Ward boundaries policy", S.BLOCKED, due_date=days(-1))
    make_mitigation(item_for(old, "Role ambiguity"), "Old action", S.PLANNED, due_date=days(-30))
    make_mitigation(item_for(draft, "Workload"), "Draft blocked action", S.BLOCKED)
    return {"community": community, "wards": wards, "old": old, "draft": draft}


def test_the_figures_match_the_hand_count(plan, org_a):
    figures = pages.dashboard(org_a, TODAY)
    by_title = {s.checklist.title: s for s in figures["summaries"]}
    assert list(by_title) == ["Community team", "Inpatient wards"]
    community = by_title["Community team"]
    assert community.progress.counts == {
        "planned": 4,
        "in_progress": 1,
        "done": 1,
        "blocked": 1,
        "dropped": 1,
    }
    assert community.progress.overdue == 1
    assert (community.coverage.covered, community.coverage.applicable) == (6, 16)
    wards = by_title["Inpatient wards"]
    assert (wards.coverage.covered, wards.coverage.applicable) == (2, 15)
    assert wards.progress.overdue == 1
    assert figures["overdue"].count == 2
    assert [a.action for a in figures["overdue"].actions] == [
        "Agree a role description",
        "Ward boundaries policy",
    ]
    assert [a.action for a in figures["due_soon"].actions] == ["Review the pay band", "Map treatment models"]
    assert sorted(a.action for a in figures["blocked"].actions) == [
        "Cap caseloads",
        "Draft blocked action",
        "Ward boundaries policy",
    ]
    assert [c.title for c in figures["past_review"]] == ["Community team", "Draft plan"]


def test_the_dashboard_page_shows_the_figures_in_words(client, plan, viewer):
    client.force_login(viewer)
    response = client.get("/app/orgs/northside/dashboard/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "6 of 16 applicable challenges covered" in text
    assert "2 of 15 applicable challenges covered" in text
    assert "8 actions: 1 done, 1 in progress, 4 planned, 1 blocked, 1 dropped" in text
    assert re.search(r'id="overdue-count">2<', text)
    assert re.search(r'id="due-soon-count">2<', text)
    assert re.search(r'id="blocked-count">3<', text)
    assert "Old plan" not in text and "Old action" not in text
    assert "Draft plan</a> (Draft) — review was due" in text


def test_the_progress_bar_draws_each_status_in_proportion_without_style_attributes(client, plan, viewer):
    client.force_login(viewer)
    text = client.get("/app/orgs/northside/dashboard/").content.decode()
    # Community team: 8 actions, 4 planned = 50 units wide, starting after done (12.5) and in progress (12.5).
    assert '<rect class="seg-planned" x="25.0" y="0" width="50.0" height="6">' in text
    assert '<rect class="seg-done" x="0.0" y="0" width="12.5" height="6">' in text
    assert "style=" not in text


def test_the_coverage_grid_has_a_row_per_challenge_theme_in_published_order(plan, org_a):
    grid = pages.dashboard(org_a, TODAY)["grid"]
    assert [row.theme_name for row in grid] == challenge_theme_names()
    rows = {row.theme_name: [cell.label for cell in row.cells] for row in grid}
    assert rows["Role ambiguity"] == ["Covered", "Covered"]
    assert rows["Boundaries"] == ["Open", "Covered"]  # dropped does not cover; blocked does
    assert rows["Workload"] == ["Covered", "Not applicable"]
    assert "Bridge" not in rows


def test_a_theme_with_two_challenges_is_partly_covered_when_one_has_an_action(org_a, manager):
    theme = Theme.objects.get(name="Workload")
    Finding.objects.create(theme=theme, valence=Valence.CHALLENGE, position=99)
    checklist = make_checklist(org_a, "Two workload challenges", manager)
    first, _second = checklist.items.filter(finding__theme=theme).order_by("finding__position")
    make_mitigation(first, "Cap caseloads")
    grid = {row.theme_name: row.cells[0] for row in tracking.coverage_grid([checklist])}
    assert grid["Workload"].label == "Partly"
    assert grid["Workload"].detail == "1 of 2"


def test_the_grid_is_an_accessible_table_with_words_in_every_cell(client, plan, viewer):
    client.force_login(viewer)
    text = client.get("/app/orgs/northside/dashboard/").content.decode()
    assert '<th scope="col">Community team</th>' in text
    assert re.search(r'<th scope="row"><a href="/evidence/themes/workload/">Workload</a></th>', text)
    assert re.search(r'<td class="cell-not-applicable">.*?Not applicable</td>', text)


def test_outsiders_get_404(client, plan, outsider):
    client.force_login(outsider)
    assert client.get("/app/orgs/northside/dashboard/").status_code == 404


def test_signed_out_people_are_sent_to_sign_in(client, plan):
    response = client.get("/app/orgs/northside/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _grow(org, by, copies):
    for n in range(copies):
        checklist = make_checklist(org, f"Extra plan {n}", by, review_date=days(-2))
        for item in checklist.items.filter(finding__valence=Valence.CHALLENGE)[:8]:
            make_mitigation(item, "Extra", MitigationStatus.BLOCKED, due_date=days(-n - 1))
            make_mitigation(item, "Extra soon", MitigationStatus.PLANNED, due_date=days(2))


@pytest.mark.parametrize("copies", [1, 10])
def test_the_dashboard_runs_the_same_queries_whatever_the_size(
    client, org_a, manager, django_assert_num_queries, copies
):
    _grow(org_a, manager, copies)
    client.force_login(manager)
    # session, user, organisation, membership, active checklists, progress by checklist, coverage,
    # grid, three counts, overdue list, due soon list, blocked list (each with the challenges its actions
    # address), past review, re-review due, the person's roles and the members an action can be given to,
    # the bell's unread count
    with django_assert_num_queries(20):
        response = client.get("/app/orgs/northside/dashboard/")
    assert response.status_code == 200
