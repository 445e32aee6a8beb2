"""The organisation dashboard: figures against a hand-counted fixture, the coverage grid, isolation
and a query count that does not grow with the data."""

import html
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from evidence.models import Finding, Theme, Valence
from peerplan.figures import tracking
from peerplan.models import (
    ChecklistStatus,
    MitigationStatus,
    RetiredChoice,
    coverage_by_checklist,
    organisation_generations,
)
from peerplan.pages import dashboard
from peerplan.templatetags import planning_tags
from tests.factories import challenge_theme_names, item_for, make_checklist, make_mitigation

TODAY = timezone.localdate()


def days(n):
    return TODAY + timedelta(days=n)


@pytest.fixture
def hand_counted_checklists(org_a, owner, manager, planner, viewer):
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
      Cap caseloads is owned by a named person outside the organisation; Review the pay band by a member.
      → done: role ambiguity = 1 of 16
    Inpatient wards (active), Workload does not apply (15 applicable):
      Role ambiguity: done; Boundaries: blocked due -1 (overdue and blocked) → 2 of 15 covered, 1 done
    Old plan (archived, review date passed): planned due -30 — counted nowhere
    Draft plan (draft, review date passed): blocked, no due date — counted nowhere (only active
      checklists count on the dashboard), named in the line about drafts
    Totals: overdue 2, due soon 2, blocked 2, open with no owner 5 (all open but the pay band and the
    caseloads), open with no due date 1 (disclosure guidance); past review: Community team.
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
    make_mitigation(
        item_for(community, "Workload"), "Cap caseloads", S.BLOCKED, due_date=days(20), owner_name="Ward lead"
    )
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


def test_the_figures_match_the_hand_count(hand_counted_checklists, org_a):
    figures = dashboard.dashboard(org_a, TODAY)
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
    assert (community.coverage.covered, community.coverage.done, community.coverage.applicable) == (6, 1, 16)
    wards = by_title["Inpatient wards"]
    assert (wards.coverage.covered, wards.coverage.done, wards.coverage.applicable) == (2, 1, 15)
    assert wards.progress.overdue == 1
    assert figures["overdue"].count == 2
    assert [a.action for a in figures["overdue"].actions] == [
        "Agree a role description",
        "Ward boundaries policy",
    ]
    assert [a.action for a in figures["due_soon"].actions] == ["Review the pay band", "Map treatment models"]
    assert sorted(a.action for a in figures["blocked"].actions) == ["Cap caseloads", "Ward boundaries policy"]
    assert (figures["no_owner"].count, figures["no_due_date"].count) == (5, 1)
    assert [c.title for c in figures["past_review"]] == ["Community team"]
    assert [c.title for c in figures["drafts"]] == ["Draft plan"]


def test_the_dashboard_page_shows_the_figures_in_words(client, hand_counted_checklists, viewer):
    client.force_login(viewer)
    response = client.get("/app/orgs/northside/dashboard/")
    assert response.status_code == 200
    text = response.content.decode()
    planned = re.findall(r'class="coverage-planned">([^<]*)<', text)
    done = re.findall(r'class="coverage-done">([^<]*)<', text)
    assert planned == ["6 of 16 applicable challenges", "2 of 15 applicable challenges"]
    assert done == ["1 of 16 applicable challenges", "1 of 15 applicable challenges"]
    assert "8 actions: 1 done, 1 in progress, 4 planned, 1 blocked, 1 dropped" in text
    assert re.search(r'id="overdue-count">2<', text)
    assert re.search(r'id="due-soon-count">2<', text)
    assert re.search(r'id="blocked-count">2<', text)
    assert re.search(r'id="no-owner-count">5<', text)
    assert re.search(r'id="no-due-date-count">1<', text)
    assert "Old plan" not in text and "Old action" not in text
    # The one rule, said on the page: drafts are left out, named, with a way to make one active.
    draft = hand_counted_checklists["draft"]
    assert "1 draft checklist is not counted (" in text
    assert f'<a href="/app/checklists/{draft.pk}/">Draft plan</a>): make it active to track its actions.' in text
    assert "Draft blocked action" not in text
    assert "Draft plan</a> (Draft)" not in text  # not among the checklists past their review date


FIGURES = {
    "overdue-count": ["Agree a role description", "Ward boundaries policy"],
    "due-soon-count": ["Review the pay band", "Map treatment models"],
    "blocked-count": ["Ward boundaries policy", "Cap caseloads"],
    "no-owner-count": [
        "Agree a role description",
        "Ward boundaries policy",
        "Map treatment models",
        "Stigma training",
        "Disclosure guidance",
    ],
    "no-due-date-count": ["Disclosure guidance"],
}


@pytest.mark.parametrize("figure", FIGURES)
def test_each_figure_links_to_the_action_list_showing_exactly_the_actions_it_counts(
    client, hand_counted_checklists, viewer, figure
):
    client.force_login(viewer)
    text = client.get("/app/orgs/northside/dashboard/").content.decode()
    link = re.search(
        rf'<a class="figure-card[^"]*" href="([^"]+)"><span class="figure-number" id="{figure}">(\d+)<', text
    )
    href, count = html.unescape(link.group(1)), int(link.group(2))
    # The figure opens its quick view of the action list: the same queryset rule, so the same actions.
    assert href.startswith("/app/orgs/northside/actions/?view=")
    listing = client.get(href).content.decode()
    assert f"{count} action{'s' if count != 1 else ''} found." in listing
    shown = re.findall(
        r'<a class="row-title[^"]*" id="title-\d+" href="/app/mitigations/\d+/\?next=[^"]*">([^<]+)</a>', listing
    )
    assert sorted(shown) == sorted(FIGURES[figure]) and count == len(FIGURES[figure])


def test_the_progress_bar_draws_each_status_in_proportion_without_style_attributes(
    client, hand_counted_checklists, viewer
):
    client.force_login(viewer)
    text = client.get("/app/orgs/northside/dashboard/").content.decode()
    # Community team: 8 actions, 4 planned = 50 units wide, starting after done (12.5) and in progress (12.5).
    assert '<rect class="seg-planned" x="25.0" y="0" width="50.0" height="6">' in text
    assert '<rect class="seg-done" x="0.0" y="0" width="12.5" height="6">' in text
    assert "style=" not in text


def test_the_coverage_grid_has_a_row_per_challenge_theme_in_published_order(hand_counted_checklists, org_a):
    grid = dashboard.coverage(org_a)["grid"]
    assert [row.theme_name for row in grid] == challenge_theme_names()
    rows = {row.theme_name: [cell.label for cell in row.cells] for row in grid}
    assert rows["Role ambiguity"] == ["Done", "Done"]
    assert rows["Boundaries"] == ["Not covered", "Covered"]  # dropped does not cover it; blocked does
    assert rows["Workload"] == ["Covered", "Not applicable"]
    details = {row.theme_name: [cell.detail for cell in row.cells] for row in grid}
    assert details["Role ambiguity"] == ["covered 1 of 1, done 1", "covered 1 of 1, done 1"]
    assert details["Workload"] == ["covered 1 of 1, done 0", ""]
    assert "Bridge" not in rows


def test_a_theme_with_two_challenges_is_partly_covered_when_one_has_an_action(org_a, manager):
    theme = Theme.objects.get(name="Workload")
    Finding.objects.create(theme=theme, valence=Valence.CHALLENGE, position=99)
    checklist = make_checklist(org_a, "Two workload challenges", manager)
    first, _second = checklist.items.filter(finding__theme=theme).order_by("finding__position")
    make_mitigation(first, "Cap caseloads")
    grid = {row.theme_name: row.cells[0] for row in dashboard.coverage(org_a)["grid"]}
    assert grid["Workload"].label == "Partly covered"
    assert grid["Workload"].detail == "covered 1 of 2, done 0"


def test_the_dashboard_links_to_the_coverage_grid_on_a_page_of_its_own(client, hand_counted_checklists, viewer):
    client.force_login(viewer)
    text = client.get("/app/orgs/northside/dashboard/").content.decode()
    assert '<a href="/app/orgs/northside/coverage/">Coverage by theme</a>' in text
    assert "coverage-grid" not in text
    page = client.get("/app/orgs/northside/coverage/")
    assert page.status_code == 200
    text = page.content.decode()
    assert re.search(r"<h1>Coverage by theme</h1>", text)
    assert f"{len(challenge_theme_names())} themes, 2 active checklists." in text
    assert '<a href="/app/orgs/northside/dashboard/">Back to the dashboard</a>' in text


def test_the_coverage_page_says_what_is_missing_when_there_is_no_grid(client, org_a, manager):
    client.force_login(manager)
    assert "No active checklists yet." in client.get("/app/orgs/northside/coverage/").content.decode()
    draft = make_checklist(org_a, "Community team", manager, status=ChecklistStatus.DRAFT)
    text = client.get("/app/orgs/northside/coverage/").content.decode()
    assert "No active checklists yet." in text
    # The one rule for drafts, said as on the dashboard: left out, and linked so it can be made active.
    assert "1 draft checklist is not counted" in text
    assert f'<a href="/app/checklists/{draft.pk}/">Community team</a>' in text


def test_the_grid_is_an_accessible_table_with_words_in_every_cell(client, hand_counted_checklists, viewer):
    client.force_login(viewer)
    text = client.get("/app/orgs/northside/coverage/").content.decode()
    assert '<th scope="col">Community team</th>' in text
    assert '<th scope="row">Workload</th>' in text
    assert re.search(r'<td class="cell-not-applicable" data-label="Inpatient wards">.*?Not applicable.*?</td>', text)
    # A cell opens that checklist's challenge, not the public evidence page.
    workload = item_for(hand_counted_checklists["community"], "Workload")
    assert re.search(
        rf'<td class="cell-covered" data-label="Community team"><a href="/app/items/{workload.pk}/">.*?Covered</a>',
        text,
    )
    assert "/evidence/themes/" not in text


@pytest.mark.parametrize("which", ["dashboard", "coverage"])
def test_outsiders_get_404(client, hand_counted_checklists, outsider, which):
    client.force_login(outsider)
    assert client.get(f"/app/orgs/northside/{which}/").status_code == 404


@pytest.mark.parametrize("which", ["dashboard", "coverage"])
def test_signed_out_people_are_sent_to_sign_in(client, hand_counted_checklists, which):
    response = client.get(f"/app/orgs/northside/{which}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _grow(org, by, copies):
    for n in range(copies):
        checklist = make_checklist(org, f"Extra plan {n}", by, review_date=days(-2))
        for item in checklist.items.filter(finding__valence=Valence.CHALLENGE)[:8]:
            make_mitigation(item, "Extra", MitigationStatus.BLOCKED, due_date=days(-n - 1))
            make_mitigation(item, "Extra soon", MitigationStatus.PLANNED, due_date=days(2))
        make_checklist(org, f"Draft plan {n}", by, status=ChecklistStatus.DRAFT)


@pytest.mark.parametrize("copies", [1, 10])
def test_the_dashboard_runs_the_same_queries_whatever_the_size(
    client, org_a, manager, django_assert_num_queries, copies
):
    _grow(org_a, manager, copies)
    client.force_login(manager)
    client.get("/app/orgs/northside/dashboard/")
    organisation_generations.organisation_changed(org_a)  # the body cached by that view is out of date: a miss
    # session, person with the bell's count (two cache reads), organisation and membership (one query), the cached body and its generations (one cache read), active
    # and draft checklists with whether each has a check-in (none here, so the check-in lists read nothing:
    # tests/test_dashboard_check_ins.py pins their queries), the generations the checklists' counts are kept by
    # (one cache read; pages/checklist_counts.py), progress by checklist with the five counts (one
    # query), each checklist's coverage by theme (one query; a checklist's coverage is its rows added up), the overdue, due soon and blocked
    # lists (one query), the challenges the three lists' actions address (one query), re-review due (past review is read from
    # the checklists), the members an action can be given to (the person's role is their membership, read
    # above), storing the body (the database cache: count, then the upsert in a savepoint: 4)
    with django_assert_num_queries(16):
        response = client.get("/app/orgs/northside/dashboard/")
    assert response.status_code == 200


# Emoji and symbol characters (🔔, ✓, ●, ◐, ○) show as an empty box where no font has them (issue 27).
EMOJI_OR_SYMBOL = re.compile("[\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f]")


def test_the_bell_and_the_grid_show_icons_from_the_sprite_never_emoji(client, hand_counted_checklists, viewer):
    client.force_login(viewer)
    sprite = '<use href="/static/vendor/bootstrap-icons/icons.svg#'
    pages = {which: client.get(f"/app/orgs/northside/{which}/").content.decode() for which in ("dashboard", "coverage")}
    for text in pages.values():
        assert re.search(
            rf'id="notification-bell"[^>]*><svg class="bi" aria-hidden="true" focusable="false">{sprite}bell">', text
        )
        assert not EMOJI_OR_SYMBOL.findall(text)
    for name in ["check-lg", "circle-fill", "circle"]:  # the grid's done, covered, not covered
        assert f'<svg class="bi cell-marker" aria-hidden="true" focusable="false">{sprite}{name}">' in pages["coverage"]


def test_every_icon_the_pages_name_is_in_the_sprite():
    sprite = (settings.BASE_DIR / "static/vendor/bootstrap-icons/icons.svg").read_text()
    used = set(tracking.Cell.ICONS.values())
    for template in (settings.BASE_DIR / "templates").rglob("*.html"):
        used |= set(re.findall(r'{% icon "([\w-]+)"', template.read_text()))
    assert {name for name in used if f'<symbol id="{name}" ' not in sprite} == set()


# A card's arguments: title, service, links (its page, report, CSV, Excel), its actions' link, checklist id,
# covered, applicable, done, actions per status (done, in progress, planned, blocked, dropped) and overdue.
LINKS = ("/app/checklists/41/", "/app/checklists/41/report/", "/app/checklists/41/export.csv", "/x.xlsx")
CARD = ("Community team", "Community mental health", LINKS, "/app/orgs/northside/actions/?checklist=41", 41)
CARD_FIGURES = (6, 16, 1, (1, 1, 4, 1, 1), 1)


def test_a_kept_checklist_card_changes_with_every_value_it_shows(db):
    shown = dashboard._checklist_card(*CARD, *CARD_FIGURES)
    assert ">Community team</a>" in shown and "Community mental health" in shown
    assert "6 of 16 applicable challenges" in shown and "1 of 16 applicable challenges" in shown
    assert "8 actions: 1 done, 1 in progress, 4 planned, 1 blocked, 1 dropped" in shown
    assert "1 overdue." in shown
    for link in (*LINKS, "/app/orgs/northside/actions/?checklist=41"):
        assert f'href="{html.escape(link)}"' in shown
    other_links = ("/peerplan/app/checklists/41/", *LINKS[1:])
    changed = {
        "the title": (("Crisis team", *CARD[1:]), CARD_FIGURES, ">Crisis team</a>"),
        "the service": ((CARD[0], "Crisis line", *CARD[2:]), CARD_FIGURES, "Crisis line"),
        "the links": ((*CARD[:2], other_links, *CARD[3:]), CARD_FIGURES, 'href="/peerplan/app/checklists/41/"'),
        "the actions' link": ((*CARD[:3], "/app/orgs/eastside/actions/?checklist=41", 41), CARD_FIGURES, "eastside"),
        "the checklist id": ((*CARD[:4], 42), CARD_FIGURES, 'id="checklist-42"'),
        "covered": (CARD, (7, *CARD_FIGURES[1:]), "7 of 16 applicable"),
        "applicable": (CARD, (6, 17, *CARD_FIGURES[2:]), "6 of 17 applicable"),
        "done": (CARD, (6, 16, 2, *CARD_FIGURES[3:]), "2 of 16 applicable"),
        "the actions by status": (CARD, (6, 16, 1, (2, 1, 3, 1, 1), 1), "2 done, 1 in progress, 3 planned"),
        "overdue": (CARD, (*CARD_FIGURES[:4], 3), "3 overdue."),
    }
    for what, (card, figures, now_shown) in changed.items():
        redrawn = dashboard._checklist_card(*card, *figures)
        assert now_shown in redrawn and now_shown not in shown, what
    # What people type is escaped like anywhere else.
    assert "&lt;b&gt;" in dashboard._checklist_card("<b>", *CARD[1:], *CARD_FIGURES)


def test_the_dashboard_shows_a_checklists_new_title_and_figures_on_the_next_read(client, org_a, owner, manager):
    checklist = make_checklist(org_a, "Community team", owner)
    client.force_login(manager)
    assert ">Community team</a>" in client.get("/app/orgs/northside/dashboard/").content.decode()
    checklist.title = "Crisis team"
    checklist.save()
    make_mitigation(item_for(checklist, "Workload"), "Cap caseloads", MitigationStatus.BLOCKED)
    organisation_generations.organisation_changed(org_a)
    text = client.get("/app/orgs/northside/dashboard/").content.decode()
    assert ">Crisis team</a>" in text and ">Community team</a>" not in text
    assert "1 action: 1 blocked" in text


def test_each_checklists_coverage_on_the_dashboard_is_what_the_checklist_itself_counts(
    hand_counted_checklists, org_a, owner
):
    # The dashboard adds up the grid's columns instead of counting again: the two must agree, a theme with
    # two challenges (one covered) and a retired, closed challenge included.
    theme = Theme.objects.get(name="Workload")
    Finding.objects.create(theme=theme, valence=Valence.CHALLENGE, position=99)
    extra = make_checklist(org_a, "Two workload challenges", owner)
    first, _second = extra.items.filter(finding__theme=theme).order_by("finding__position")
    make_mitigation(first, "Cap caseloads", MitigationStatus.DONE)
    closed = item_for(extra, "Boundaries")
    closed.retired_choice = RetiredChoice.CLOSED
    closed.save()
    figures = dashboard.dashboard(org_a, TODAY)
    shown = {summary.checklist.pk: summary.coverage for summary in figures["summaries"]}
    assert shown == {pk: coverage_by_checklist([pk])[pk] for pk in shown}
    assert shown[extra.pk].applicable == len(challenge_theme_names())  # one more challenge, one closed


# A row of the grid's cells: each cell's (applicable, covered, done, item id, checklist title), the item link's
# parts and the icon of each state.
CELLS = ((3, 2, 1, 7, "Community team"), (0, 0, 0, None, "Inpatient wards"))
ITEM_LINK = ("/app/items/", "/")
MARKERS = tuple(f"[{state}]" for state in tracking.Cell.ICONS)


def test_a_kept_row_of_grid_cells_changes_with_every_value_it_shows(db):
    shown = planning_tags._cells(CELLS, ITEM_LINK, MARKERS)
    assert shown == (
        '<td class="cell-partly" data-label="Community team"><a href="/app/items/7/">[partly]Partly covered</a>'
        ' <span class="small d-block">covered 2 of 3, done 1</span></td>'
        '<td class="cell-not-applicable" data-label="Inpatient wards">[not-applicable]Not applicable</td>'
    )
    first, second = CELLS
    changed = {
        "applicable": (((2, 2, 1, 7, "Community team"), second), ITEM_LINK, MARKERS, "covered 2 of 2"),
        "covered": (((3, 3, 1, 7, "Community team"), second), ITEM_LINK, MARKERS, "[covered]Covered"),
        "done": (((3, 2, 2, 7, "Community team"), second), ITEM_LINK, MARKERS, "done 2"),
        "the item": (((3, 2, 1, 8, "Community team"), second), ITEM_LINK, MARKERS, "/app/items/8/"),
        "the title": (((3, 2, 1, 7, "Crisis <team>"), second), ITEM_LINK, MARKERS, 'data-label="Crisis &lt;team&gt;"'),
        "a cell": ((first, (1, 0, 0, 9, "Inpatient wards")), ITEM_LINK, MARKERS, "[open]Not covered"),
        "the link": (CELLS, ("/peerplan/app/items/", "/"), MARKERS, "/peerplan/app/items/7/"),
        "the icons": (CELLS, ITEM_LINK, tuple(f"<{state}>" for state in tracking.Cell.ICONS), "<partly>"),
    }
    for what, (cells, link, markers, now_shown) in changed.items():
        redrawn = planning_tags._cells(cells, link, markers)
        assert now_shown in redrawn and now_shown not in shown, what


def test_the_grid_shows_a_changed_cell_on_the_next_read(client, org_a, owner, manager):
    checklist = make_checklist(org_a, "Community team", owner)
    client.force_login(manager)
    url = "/app/orgs/northside/coverage/"
    assert "covered 0 of 1, done 0" in client.get(url).content.decode()  # Workload: one challenge, no action
    make_mitigation(item_for(checklist, "Workload"), "Cap caseloads", MitigationStatus.DONE)
    organisation_generations.organisation_changed(org_a)
    assert "covered 1 of 1, done 1" in client.get(url).content.decode()


def test_each_listed_action_names_the_themes_it_addresses_in_published_order(client, org_a, owner, manager):
    checklist = make_checklist(org_a, "Community team", owner)
    action = make_mitigation(item_for(checklist, "Workload"), "Cap caseloads", MitigationStatus.BLOCKED)
    action.items.add(item_for(checklist, "Role ambiguity"))
    make_mitigation(item_for(checklist, "Boundaries"), "Boundaries workshop", MitigationStatus.BLOCKED)
    client.force_login(manager)
    text = client.get("/app/orgs/northside/dashboard/").content.decode()
    names = re.findall(r'<span class="visually-hidden">Addresses: </span>([^<]*)<', text)
    assert sorted(names) == ["Boundaries", "Role ambiguity; Workload"]


def test_the_counts_read_from_the_index_are_progress_and_totals_own(hand_counted_checklists, org_a):
    # The dashboard reads each checklist's progress and its figures as a union of counts; the rest of the site
    # counts them with progress_and_totals. Both must say the same, a draft's and an archived checklist's
    # actions left out, on the day and on days around it.
    active = [c.pk for c in org_a.checklists.filter(status=ChecklistStatus.ACTIVE)]
    for today in (days(-6), TODAY, days(5), days(16)):
        soon = today + timedelta(days=tracking.DUE_SOON_DAYS)
        totals = dashboard._totals(today, soon)
        read = dashboard.PROGRESS.of_all(organisation_id=org_a.pk, today=today, soon=soon)
        progress, added_up = tracking.progress_and_totals_from_counts(read, active, totals)
        expected, expected_totals = tracking.progress_and_totals(active, today, totals)
        assert added_up == expected_totals
        assert {pk: (p.counts, p.overdue) for pk, p in progress.items()} == {
            pk: (p.counts, p.overdue) for pk, p in expected.items()
        }


def test_the_pages_lists_read_together_are_each_lists_own_actions_in_its_order(org_a, manager):
    # The page reads its three lists in one query (dashboard.LIST_ROWS) and puts each in order itself; the API
    # reads each list whole on its own. Both must list the same actions in the same order: more than a list holds,
    # ties on the due date, and blocked actions without one (last).
    first, second = make_checklist(org_a, "Community team", manager), make_checklist(org_a, "Crisis team", manager)
    for n, item in enumerate([*first.items.challenges()[:9], *second.items.challenges()[:9]]):
        make_mitigation(item, f"Overdue {n}", MitigationStatus.PLANNED, due_date=days(-1 - n % 3))
        make_mitigation(item, f"Soon {n}", MitigationStatus.IN_PROGRESS, due_date=days(1 + n % 4))
        make_mitigation(item, f"Blocked {n}", MitigationStatus.BLOCKED, due_date=days(20) if n % 2 else None)
    page = dashboard.dashboard(org_a, TODAY, rows_only=True)
    api = dashboard.dashboard(org_a, TODAY)
    for name in dashboard.LIST_RULES:
        shown = [action.pk for action in page[name].actions]
        assert len(shown) == dashboard.DASHBOARD_LIST_LENGTH
        assert shown == [action.pk for action in api[name].actions], name
    assert [action.action for action in page["blocked"].actions][-1].startswith("Blocked")
    assert page["blocked"].actions[0].due_date == days(20)
