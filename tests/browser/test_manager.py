"""Journey 3: a manager invited by link joins, finds the overdue action on the dashboard, filters the
actions by owner, marks one done, sees the progress change, exports the checklist as CSV and opens the
printable report. The invitation and the checklist are made before the browser opens; the rest is UI."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import numbers
from tests.factories import PASSWORD

OVERDUE = "Agree a PSW role description with the team"


@pytest.fixture
def invitation_path(org_a, owner, tracked_checklist):
    from django.urls import reverse

    from peerplan.operations import organisations

    invitation = organisations.invite(organisation=org_a, email="mina@example.org", role="manager", by=owner)
    return reverse("peerplan:invitation_accept", args=[invitation.token])


def test_an_invited_manager_tracks_marks_done_exports_and_prints(live_server, page, invitation_path):
    base = live_server.url
    h1 = page.get_by_role("heading", level=1)
    messages = page.locator(".messages")

    # The link from the invitation email.
    page.goto(base + invitation_path)
    expect(h1).to_have_text("Join Northside Mental Health Service")
    expect(page.locator("main")).to_contain_text("Olive invited you")
    expect(page.locator("main")).to_contain_text("as manager")
    page.get_by_role("link", name="Create an account").last.click()
    expect(h1).to_have_text("Create an account")
    page.get_by_label("Your name").fill("Mina Khan")
    page.get_by_label("Email").fill("mina@example.org")
    page.locator("#id_password1").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # Back at the invitation, now signed in.
    expect(h1).to_have_text("Join Northside Mental Health Service")
    page.get_by_role("button", name="Accept and join Northside Mental Health Service").click()
    expect(messages).to_contain_text("You have joined Northside Mental Health Service as manager.")
    expect(page.get_by_text("Your role here: manager.")).to_be_visible()

    # The dashboard: the overdue action, and the checklist's progress in words beside its bar.
    page.get_by_role("link", name="Dashboard").click()
    expect(h1).to_have_text("Dashboard")
    expect(page.locator("#overdue-count")).to_have_text("1")
    overdue = page.locator("section[aria-labelledby=overdue]")
    expect(overdue.get_by_role("listitem")).to_have_count(1)  # the overdue action
    expect(overdue.get_by_role("listitem")).to_contain_text(OVERDUE)
    expect(overdue.get_by_label(f"Owner of “{OVERDUE}”").locator("option:checked")).to_have_text("Maya")
    expect(overdue.get_by_role("listitem")).to_contain_text("Overdue")
    card = page.locator("article", has=page.get_by_role("heading", name="Community team 2026"))
    progress = card.locator(".progress-block > p")
    expect(progress).to_have_text("3 actions: 1 done, 1 in progress, 1 planned")
    done_bar = card.locator("svg.status-bar rect.seg-done")
    assert float(done_bar.get_attribute("width")) == pytest.approx(33.33, abs=0.01)
    expect(card).to_contain_text("1 overdue.")

    # The action list, filtered by owner.
    page.get_by_role("link", name="All actions, with filters").click()
    expect(h1).to_have_text("Actions")
    expect(page.get_by_role("status")).to_have_text("3 actions found.")
    page.locator("summary", has_text="Filter").click()  # the filters, behind their disclosure
    page.get_by_label("Owner", exact=True).select_option(label="Maya")
    page.get_by_role("button", name="Show actions").click()
    expect(page.get_by_role("status")).to_have_text("1 action found.")
    expect(page.locator(".showing")).to_contain_text("Owner: Maya")
    rows = page.locator("[data-action-row]")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(OVERDUE)

    # Mark it done, in the list.
    rows.get_by_label(f"Status of “{OVERDUE}”").select_option(label="Done")
    expect(rows.get_by_role("status")).to_have_text("Saved.")
    expect(rows).not_to_contain_text("Overdue")
    expect(rows.locator("select.prop-status option:checked")).to_have_text("Done")

    # The dashboard again: nothing overdue, the bar and its words moved.
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#overdue-count")).to_have_text("0")
    expect(overdue).to_contain_text("Nothing overdue.")
    expect(progress).to_have_text("3 actions: 2 done, 1 in progress")
    assert numbers(progress.inner_text()) == [3, 2, 1]
    assert float(done_bar.get_attribute("width")) == pytest.approx(66.67, abs=0.01)
    expect(card).not_to_contain_text("overdue.")

    # Export the checklist as CSV: the file arrives and holds the action, now done.
    with page.expect_download() as download_info:
        card.get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = open(download.path(), encoding="utf-8-sig").read()
    rows_in_file = list(csv.DictReader(io.StringIO(text)))
    ours = [row for row in rows_in_file if OVERDUE in row.values()]
    assert len(ours) == 1, text[:500]
    assert "Done" in ours[0].values()

    # The printable report.
    card.get_by_role("link", name="Printable report").click()
    expect(h1).to_have_text("Community team 2026")
    expect(page.locator(".report-summary-page")).to_contain_text("3 actions: 2 done, 1 in progress")
    expect(page.locator("main")).to_contain_text(OVERDUE)
    expect(page.get_by_role("link", name="Back to the checklist")).to_be_visible()
