"""The action lists read as lists: one compact row per action whose status, owner and due date are changed in
place (saved on change, with Undo; and without JavaScript through a plain form that comes back to the same
filtered list), quick views whose counts are the dashboard's, a bulk bar that appears when rows are selected,
keyboard triage, and the rows' sizes on a desktop and a phone, light and dark, with screenshots."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from peerplan.models import Mitigation, MitigationStatus
from tests.browser.axe import assert_accessible
from tests.browser.conftest import OUTPUT
from tests.browser.helpers import PHONE, sign_in
from tests.factories import item_for, make_checklist, make_mitigation

SCREENSHOTS = OUTPUT.parent / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
LIST = "/app/orgs/northside/actions/"


@pytest.fixture
def week(org_a, owner, manager, planner):
    """An active checklist of 8 actions a manager triages in a week: two overdue (one Maya's), one due in a few
    days, one blocked, two with no owner, one with no due date, one done; and a draft whose overdue action the
    dashboard and the quick views leave out alike."""
    today = timezone.localdate()
    checklist = make_checklist(org_a, "Community team 2026", owner, service="Community mental health team")
    S = MitigationStatus
    rows = [
        (0, "Agree a PSW role description with the team", S.PLANNED, -5, manager),
        (1, "Set a manageable caseload for each PSW", S.IN_PROGRESS, -1, planner),
        (2, "Run a boundaries workshop for the whole team", S.PLANNED, 3, planner),
        (3, "Book monthly peer supervision outside the line", S.BLOCKED, 20, manager),
        (4, "Offer stigma training to every clinician", S.PLANNED, 40, None),
        (5, "Write guidance on sharing lived experience", S.IN_PROGRESS, 60, None),
        (6, "Map where PSWs fit the treatment model", S.PLANNED, None, planner),
        (7, "Advertise the PSW posts with lived experience as essential", S.DONE, -30, manager),
    ]
    items = list(checklist.items.challenges().order_by("pk"))
    actions = {}
    for index, title, status, due_in, who in rows:
        actions[title] = make_mitigation(
            items[index],
            title,
            status,
            due_date=None if due_in is None else today + timedelta(days=due_in),
            owner=who,
        )
    draft = make_checklist(org_a, "Acute wards (draft)", owner, status="draft")
    make_mitigation(item_for(draft, "Workload"), "Draft: agree ward caseloads", due_date=today - timedelta(days=3))
    return actions


def _found(page):
    """The list's count ("3 actions found."), a status beside the page's messages."""
    return page.locator("strong[role=status], p[role=status]")


def _row(page, title):
    return page.locator("[data-action-row]", has=page.get_by_role("link", name=title, exact=True))


def test_status_owner_and_due_date_save_on_change_and_undo_restores(live_server, page, week, planner, manager):
    action = week["Offer stigma training to every clinician"]
    due = action.due_date
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}{LIST}?view=no_owner")
    loads = []
    page.on("load", lambda _: loads.append(1))
    row = _row(page, action.action)
    name = "“Offer stigma training to every clinician”"
    announced = page.locator("#announce")

    row.get_by_label(f"Status of {name}").select_option(label="In progress")
    expect(announced).to_have_text(
        f"Saved: status in progress, no owner, due {due:%-d %B %Y}. Undo is offered for a few seconds."
    )
    expect(row.get_by_role("status")).to_have_text("Saved.")
    # The status control is the tag: it shows what is chosen, in that status's colour.
    expect(row.get_by_label(f"Status of {name}")).to_have_class(
        "form-select form-select-sm prop prop-status prop-status-in_progress"
    )
    row.get_by_label(f"Owner of {name}").select_option(label="Maya")
    expect(announced).to_contain_text("Saved: status in progress, owner Maya,")
    row.get_by_label(f"Due date of {name}").fill("2030-03-31")
    expect(announced).to_contain_text("owner Maya, due 31 March 2030.", timeout=10_000)
    expect(row.get_by_label(f"Owner of {name}").locator("option:checked")).to_have_text("Maya")
    action.refresh_from_db()
    assert (action.status, action.owner, action.due_date.isoformat(), action.version) == (
        "in_progress",
        manager,
        "2030-03-31",
        4,
    )
    expect(page.get_by_role("button", name="Save")).to_have_count(0)  # nothing to press

    # Undo puts back the values before the last change, through the same endpoint and its version check.
    row.get_by_role("button", name=f"Undo the change to {name}").click()
    expect(row.get_by_role("status")).to_have_text("Undone.")
    expect(row.get_by_label(f"Due date of {name}")).to_have_value(due.isoformat())
    expect(row.get_by_label(f"Status of {name}")).to_be_focused()
    action.refresh_from_db()
    assert (action.due_date, action.owner, action.version) == (due, manager, 5)
    assert loads == []  # every change in place: no page load
    assert page.url.endswith(f"{LIST}?view=no_owner")

    # Two changes in quick succession: the second waits for the first and is saved too (no conflict).
    row.get_by_label(f"Status of {name}").select_option(label="Blocked")
    row.get_by_label(f"Owner of {name}").select_option(label="Pat")
    expect(announced).to_contain_text("Saved: status blocked, owner Pat,")
    action.refresh_from_db()
    assert (action.status, action.owner) == ("blocked", planner)
    # Undo is offered for a few seconds only.
    undo = row.get_by_role("button", name=f"Undo the change to {name}")
    expect(undo).to_have_count(0, timeout=15_000)
    assert_accessible(page)
    # The plain form a browser without JavaScript uses (axe needs JavaScript, so it is checked here).
    page.goto(f"{live_server.url}/app/mitigations/{action.pk}/change/?next={LIST}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change status, owner or due date")
    assert_accessible(page)


def test_without_javascript_a_change_comes_back_to_the_same_filtered_list(live_server, another_context, week):
    action = week["Run a boundaries workshop for the whole team"]
    page = another_context(java_script_enabled=False).new_page()
    sign_in(page, live_server.url, "pat@example.org")
    filtered = f"{LIST}?view=due_soon&q=workshop"
    page.goto(live_server.url + filtered)
    expect(_found(page)).to_have_text("1 action found.")
    expect(page.locator(".showing")).to_have_text("Showing: Due in 14 days · Search: “workshop” · Clear the filters")
    row = _row(page, action.action)
    expect(row.get_by_label("Status of “Run a boundaries workshop for the whole team”")).to_be_hidden()
    expect(row).to_contain_text("Planned")
    row.get_by_role(
        "link", name="Change status, owner or due date of “Run a boundaries workshop for the whole team”"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change status, owner or due date")
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_label("Owner").select_option(label="Maya")
    page.get_by_label("Due date").fill("2030-01-15")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Saved: “Run a boundaries workshop for the whole team”.")
    assert page.url == live_server.url + filtered  # the same filtered list
    action.refresh_from_db()
    assert (action.status, action.owner.first_name, action.due_date.isoformat()) == (
        "in_progress",
        "Maya",
        "2030-01-15",
    )
    # Due in 2030 now: no longer in the view, which says so.
    expect(_found(page)).to_have_text("0 actions found.")


def test_the_bulk_bar_appears_when_rows_are_selected_and_changes_them(live_server, page, week, manager):
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}{LIST}?view=no_owner")
    bar = page.locator("#bulk-form")
    expect(bar).to_be_hidden()
    titles = ["Offer stigma training to every clinician", "Write guidance on sharing lived experience"]
    for title in titles:
        page.get_by_label(f"Select “{title}”").check()
    expect(bar).to_be_visible()
    expect(bar.get_by_role("heading")).to_have_text("Change the selected actions (2 selected)")
    assert_accessible(page)
    bar.get_by_label("Set owner").select_option(label="Maya")
    bar.get_by_role("button", name="Apply to the selected actions").click()
    expect(page.locator(".messages")).to_contain_text("Owner set to Maya on 2 actions")
    assert page.url.endswith(f"{LIST}?view=no_owner")
    expect(_found(page)).to_have_text("0 actions found.")
    assert {a.owner for a in Mitigation.objects.filter(action__in=titles)} == {manager}


def test_each_quick_view_counts_what_the_dashboard_counts(live_server, page, week, manager):
    sign_in(page, live_server.url, manager.email)
    page.goto(live_server.url + "/app/orgs/northside/dashboard/")
    figures = {
        view: int(page.locator(f"#{figure}").inner_text())
        for view, figure in [
            ("Overdue", "overdue-count"),
            ("Due in 14 days", "due-soon-count"),
            ("Blocked", "blocked-count"),
            ("No owner", "no-owner-count"),
            ("No due date", "no-due-date-count"),
        ]
    }
    assert figures == {"Overdue": 2, "Due in 14 days": 1, "Blocked": 1, "No owner": 2, "No due date": 1}
    page.goto(live_server.url + LIST)
    for view, count in figures.items():
        page.get_by_role("navigation", name="Quick views").get_by_role("link", name=view, exact=True).click()
        expect(_found(page)).to_have_text(f"{count} action{'s' if count != 1 else ''} found.")
        expect(page.get_by_role("link", name=view, exact=True)).to_have_attribute("aria-current", "page")
    # Mine is the manager's open actions on checklists in use, as My actions lists them.
    page.get_by_role("link", name="Mine", exact=True).click()
    expect(_found(page)).to_have_text("2 actions found.")
    # A quick view keeps the other filters in the address, and is combined with them.
    page.goto(f"{live_server.url}{LIST}?q=peer")
    page.get_by_role("link", name="Blocked", exact=True).click()
    assert page.url.endswith(f"{LIST}?q=peer&view=blocked")
    expect(_found(page)).to_have_text("1 action found.")
    page.goto(live_server.url + "/app/my-actions/")
    page.get_by_role("link", name="Overdue", exact=True).click()
    expect(_found(page)).to_have_text("1 action.")


def test_keyboard_triage_of_five_actions_without_a_mouse(live_server, page, week, manager, planner):
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}{LIST}?checklist_status=active&status=planned&status=in_progress&status=blocked")
    expect(_found(page)).to_have_text("7 actions found.")
    announced = page.locator("#announce")
    keys = page.keyboard
    keys.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Make me the owner")
    keys.press("Escape")
    expect(dialog).to_be_hidden()
    # A key pressed at once after closing is not lost. Chromium leaves focus on the closed dialog's button
    # until a later task, so a busy machine gets "j" there: closing and pressing in one task makes it certain.
    keys.press("?")
    expect(dialog).to_be_visible()
    page.evaluate(
        """() => {
            document.getElementById("shortcuts").close();
            document.activeElement.dispatchEvent(new KeyboardEvent("keydown", {key: "j", bubbles: true}));
        }"""
    )
    expect(dialog).to_be_hidden()
    # "j": the first action
    expect(announced).to_contain_text("Action 1 of 7: Agree a PSW role description with the team, status Planned")
    keys.press("3")  # done
    expect(announced).to_contain_text("Saved: status done")
    keys.press("j")
    expect(announced).to_contain_text("Action 2 of 7: Set a manageable caseload for each PSW")
    keys.press("4")  # blocked
    expect(announced).to_contain_text("Saved: status blocked")
    keys.press("ArrowDown")
    keys.press("x")  # selected for a change to many
    expect(announced).to_contain_text("Selected: Run a boundaries workshop for the whole team. 1 selected.")
    keys.press("j")
    keys.press("j")
    expect(announced).to_contain_text("Action 5 of 7: Offer stigma training to every clinician")
    keys.press("m")  # make me the owner
    expect(announced).to_contain_text("Saved: status planned, owner Pat,")
    keys.press("k")
    expect(announced).to_contain_text("Action 4 of 7: Book monthly peer supervision outside the line")
    keys.press("2")  # in progress
    expect(announced).to_contain_text("Saved: status in progress")
    expect(page.locator("#bulk-form")).to_be_visible()  # the one selected row
    keys.press("o")  # open the action: its page, with the way back to this list
    supervision = week["Book monthly peer supervision outside the line"]
    expect(page).to_have_url(
        f"{live_server.url}/app/mitigations/{supervision.pk}/?next="
        + LIST.replace("/", "/")
        + "%3F"
        + "checklist_status%3Dactive%26status%3Dplanned%26status%3Din_progress%26status%3Dblocked"
    )
    expect(page.locator("main")).to_contain_text("Book monthly peer supervision outside the line")

    states = {
        a.action: (a.status, a.owner_id) for a in Mitigation.objects.filter(checklist__title="Community team 2026")
    }
    assert states["Agree a PSW role description with the team"][0] == "done"
    assert states["Set a manageable caseload for each PSW"][0] == "blocked"
    assert states["Offer stigma training to every clinician"] == ("planned", planner.pk)
    assert states["Book monthly peer supervision outside the line"][0] == "in_progress"


def _geometry(page):
    """(the first row's top, the tallest row's height), in CSS pixels from the top of the page."""
    return page.evaluate(
        """() => {
            const rows = [...document.querySelectorAll('[data-action-row]')].filter(r => r.offsetParent !== null);
            const top = rows.length ? rows[0].getBoundingClientRect().top + window.scrollY : null;
            return [top, Math.max(...rows.map(r => r.getBoundingClientRect().height))];
        }"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_rows_are_compact_and_the_first_starts_on_the_first_screen(live_server, page, week, manager, scheme):
    # Enough actions for a full page of the list (25 rows).
    checklist = make_checklist(manager.memberships.first().organisation, "Acute wards", manager)
    for n, item in enumerate(checklist.items.challenges()[:17]):
        make_mitigation(
            item, f"Ward action {n + 1}: a title long enough to need the whole width of the row", owner=manager
        )
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server.url, manager.email)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = [("actions", LIST), ("my-actions", "/app/my-actions/"), ("dashboard", "/app/orgs/northside/dashboard/")]
    for size_name, size, first_row_within, tallest in [
        ("desktop", DESKTOP, 700, 56),
        ("phone", PHONE, 2 * PHONE["height"], 120),
    ]:
        page.set_viewport_size(size)
        for name, path in pages:
            page.goto(live_server.url + path)
            top, height = _geometry(page)
            page.screenshot(
                path=str(SCREENSHOTS / f"rows-{name}-{size_name}-{scheme}.png"), full_page=True, caret="initial"
            )
            page.screenshot(
                path=str(SCREENSHOTS / f"rows-{name}-{size_name}-{scheme}-first-screen.png"), caret="initial"
            )
            assert height <= tallest, f"{path} at {size_name}: a row is {height}px tall (at most {tallest})"
            if name != "dashboard":  # the dashboard's figures come first, its lists below them
                assert top <= first_row_within, f"{path} at {size_name}: the first row starts at {top}px"
            if name == "actions":  # keyboard triage is for a keyboard: its button takes no room on a phone
                shortcuts = page.get_by_role("button", name="Keyboard shortcuts")
                if size_name == "desktop":
                    expect(shortcuts).to_be_visible()
                else:
                    expect(shortcuts).to_be_hidden()
        assert_accessible(page)
