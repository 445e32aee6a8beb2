"""An owner exports their organisation's data, on a phone-sized screen: a small organisation's archive at
once, then, once it counts as large, one prepared in the background with its progress on the page."""

import json
import zipfile

from django.core.management import call_command
from playwright.sync_api import expect

from peerplan.operations import comments
from tests.browser.axe import assert_accessible
from tests.browser.helpers import no_horizontal_scroll, sign_in

PHONE = 390


def test_an_owner_exports_the_organisations_data(live_server, page, settings, owner, planner, org_a, action):
    comments.post_comment(body="Supervision starts in May", by=planner, organisation=org_a, mitigation=action)
    base = live_server.url
    page.set_viewport_size({"width": PHONE, "height": 844})
    sign_in(page, base, owner.email)

    page.goto(base + f"/app/orgs/{org_a.slug}/members/")
    page.get_by_role("link", name="Export this organisation's data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export this organisation's data")
    assert_accessible(page)
    no_horizontal_scroll(page, PHONE)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the export").click()
    assert download.value.suggested_filename.startswith(f"{org_a.slug}-")
    archive = zipfile.ZipFile(download.value.path())
    document = json.loads(archive.read("organisation.json"))
    assert document["format"] == "peerplan-organisation/1"
    assert [c["body"] for c in document["comments"]] == ["Supervision starts in May"]
    assert "members.csv" in archive.namelist()

    settings.ORGANISATION_EXPORT_BACKGROUND_ROWS = 1  # now it counts as large
    page.reload()
    page.get_by_role("button", name="Prepare the export").click()
    expect(page.get_by_role("status").first).to_contain_text("Your export is being prepared")
    expect(page.get_by_role("main")).to_contain_text("Being prepared… 0 of")
    assert_accessible(page)
    no_horizontal_scroll(page, PHONE)

    call_command("build_organisation_exports", verbosity=0)
    page.get_by_role("link", name="Check again").click()
    expect(page.get_by_role("main")).not_to_contain_text("Being prepared")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download (").click()
    assert "organisation.json" in zipfile.ZipFile(download.value.path()).namelist()
    no_horizontal_scroll(page, PHONE)
