"""The dashboard cannot mislead: a manager reads one rule for drafts, follows each figure to exactly the
actions it counts, reads coverage as covered and done, and opens a challenge from the grid."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from peerplan.models import ChecklistStatus, MitigationStatus
from tests.browser.axe import assert_accessible
from tests.browser.conftest import OUTPUT
from tests.browser.helpers import sign_in
from tests.factories import item_for, make_checklist, make_mitigation

SCREENSHOTS = OUTPUT.parent / "screenshots"


@pytest.fixture
def with_draft(tracked_checklist, org_a, owner):
    """Beside the tracked checklist (one overdue action of three, one done), a draft whose action is
    overdue too and has no owner: the dashboard must not count it."""
    draft = make_checklist(org_a, "Acute wards (draft)", owner, status=ChecklistStatus.DRAFT)
    make_mitigation(
        item_for(draft, "Workload"),
        "Draft: agree ward caseloads",
        MitigationStatus.PLANNED,
        due_date=timezone.localdate() - timedelta(days=3),
    )
    return draft


def test_a_manager_reads_the_dashboard_and_follows_its_figures(live_server, page, manager, with_draft):
    base = live_server.url
    sign_in(page, base, manager.email)
    page.goto(base + "/app/orgs/northside/dashboard/")
    h1 = page.get_by_role("heading", level=1)
    expect(h1).to_have_text("Dashboard")

    # One rule, said once: drafts are left out of every figure, named, with a way to make one active.
    rule = page.locator("#drafts-left-out")
    expect(rule).to_have_text(
        "1 draft checklist is not counted (Acute wards (draft)): make it active to track its actions."
    )
    expect(rule.get_by_role("link", name="Acute wards (draft)")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Draft: agree ward caseloads")

    # Coverage in two figures: covered and done.
    card = page.locator("article", has=page.get_by_role("heading", name="Community team 2026"))
    expect(card.locator(".coverage-planned")).to_have_text("3 of 16 applicable challenges")
    expect(card.locator(".coverage-done")).to_have_text("1 of 16 applicable challenges")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-desktop.png"), full_page=True, caret="initial")
    assert_accessible(page)

    # Each figure is a link to the action list showing exactly the actions it counts.
    expect(page.locator("#overdue-count")).to_have_text("1")
    page.get_by_role("link", name="1 overdue action").click()
    expect(h1).to_have_text("Actions")
    expect(page.get_by_role("status")).to_have_text("1 action found.")
    expect(page.locator("[data-action-row]")).to_contain_text("Agree a PSW role description with the team")
    expect(page.get_by_role("link", name="Overdue", exact=True)).to_have_attribute("aria-current", "page")
    page.go_back()

    expect(page.locator("#no-owner-count")).to_have_text("0")
    expect(page.locator("#no-due-date-count")).to_have_text("0")
    page.get_by_role("link", name="0 open actions with no owner").click()
    expect(page.get_by_role("status")).to_have_text("0 actions found.")
    page.go_back()

    # The grid is a page of its own, linked beside progress over time; a cell opens that checklist's challenge.
    page.get_by_role("link", name="Coverage by theme").click()
    expect(h1).to_have_text("Coverage by theme")
    grid = page.get_by_role("table", name="Challenge themes against active checklists")
    row = grid.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Boundaries"))
    expect(row.get_by_role("cell")).to_contain_text("Done")
    row.get_by_role("link", name="Done").click()
    expect(h1).to_contain_text("Boundaries")


def test_on_a_phone_the_dashboards_lists_are_headings_with_counts_opened_when_wanted(
    live_server, page, another_context, manager, with_draft
):
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, manager.email)
    page.goto(base + "/app/orgs/northside/dashboard/")
    overdue = page.locator("details", has=page.locator("#overdue"))
    expect(overdue.locator("summary")).to_have_text("Overdue actions (1)")
    row = overdue.get_by_text("Agree a PSW role description with the team", exact=True)
    expect(row).to_be_hidden()
    overdue.locator("summary").click()
    expect(row).to_be_visible()
    assert_accessible(page)

    # On a desktop, and on a phone without JavaScript, every section is open as before.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    expect(page.locator("details.phone-collapse:not([open])")).to_have_count(0)
    no_script = another_context(java_script_enabled=False, viewport={"width": 390, "height": 844}).new_page()
    sign_in(no_script, base, manager.email)
    no_script.goto(base + "/app/orgs/northside/dashboard/")
    expect(no_script.locator("details.phone-collapse:not([open])")).to_have_count(0)
    expect(no_script.get_by_text("Agree a PSW role description with the team", exact=True)).to_be_visible()
