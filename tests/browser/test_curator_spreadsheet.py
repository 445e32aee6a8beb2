"""A curator makes a release in the spreadsheet template (downloaded, one cell edited, uploaded, previewed and
applied), then writes a suggested action on a phone: the form's checkboxes and refusals pass axe and the Nu
HTML Checker at 390 px. One of Table 6's summaries gets a sentence marked as fixture text."""

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import no_horizontal_scroll, sign_in

ADDED = "Fixture text: an added sentence."


def test_a_curator_releases_an_edited_spreadsheet_and_writes_a_suggested_action_on_a_phone(
    live_server, page, curator, tmp_path
):
    from evidence.models import Perspective, Source

    base = live_server.url
    sign_in(page, base, curator.email)
    page.goto(base + "/admin/evidence/source/")
    with page.expect_download() as download:
        page.get_by_role(
            "link", name="Download the current version of Cooper et al. 2024, Table 6 as a spreadsheet"
        ).click()
    assert download.value.suggested_filename == "cooper-2024-table-6-version-2-draft.xlsx"
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)

    # The researcher's edit, in the spreadsheet: one summary.
    book = load_workbook(path)
    sheet = book["Findings"]
    headings = [cell.value for cell in sheet[1]]
    row = next(
        r
        for r in sheet.iter_rows(min_row=2)
        if r[headings.index("Theme")].value == "Role ambiguity" and r[headings.index("Group")].value == "PSWs"
    )
    old = row[headings.index("Summary")].value
    row[headings.index("Summary")].value = f"{old} {ADDED}"
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())

    page.get_by_role("link", name="Import a release").click()
    page.get_by_label("Release file").set_input_files(str(path))
    page.get_by_role("button", name="Preview the release").click()
    expect(page.get_by_role("heading", name="Cooper et al. 2024, Table 6: version 1 → version 2")).to_be_visible()
    expect(page.locator(".release-changed li")).to_have_text(["Role ambiguity: challenge"])
    expect(page.locator(".release-finding ins")).to_have_text([f" {ADDED}"])
    expect(page.locator(".release-finding del")).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("What this release changes").fill("The PSWs' sample on role ambiguity gains a sentence.")
    page.get_by_role("button", name="Apply this release").click()
    expect(page.locator(".messagelist")).to_contain_text("0 findings added, 1 changed, 0 retired")
    assert Perspective.objects.get(finding__theme__name="Role ambiguity", group="PSWs").summary == f"{old} {ADDED}"
    assert Source.objects.get(slug="cooper-2024-table-6").version == 2

    # A suggested action, on a phone: themes and references as checkboxes grouped by source.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/admin/peerplan/suggestedmitigation/add/")
    expect(page.get_by_role("heading", name="Add suggested action")).to_be_visible()
    themes = page.get_by_role("group", name="Cooper et al. 2024, Table 6").first
    themes.get_by_role("checkbox", name="Role ambiguity", exact=True).check()
    page.get_by_label("Title").fill("Pair each new PSW with a peer mentor")
    page.get_by_label("Provenance:", exact=True).select_option(label="From the evidence")
    page.get_by_label("Source:", exact=True).select_option(label="Cooper et al. 2024, Table 6")
    no_horizontal_scroll(page, 390)
    assert_accessible(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("“From the evidence” needs a quote")
    no_horizontal_scroll(page, 390)
    assert_accessible(page)
    page.get_by_label("Quote:", exact=True).fill("PSWs were unsure where to seek support")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.get_by_role("row", name="Pair each new PSW with a peer mentor")).to_contain_text("Draft")

    # Publishing one's own draft asks first.
    page.locator("#result_list").get_by_role("link", name="Pair each new PSW with a peer mentor").click()
    expect(page.locator(".suggestion-state")).to_contain_text("Draft: not offered to planners")
    no_horizontal_scroll(page, 390)
    assert_accessible(page)
    page.get_by_role("button", name="Publish this suggested action").click()
    expect(page.locator("#content")).to_contain_text(
        "You wrote this one; publish it without a second curator's review?"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Yes, publish it without a second review").click()
    expect(page.locator(".messagelist")).to_contain_text("Published the suggested action")
