"""A curator imports a new version of a source in the admin, previews what it adds, changes and retires
(with only counts of organisations' checklists and items), and applies it; a planner is then offered the
new findings on an active checklist and adds them with one click. The source is the invented test fixture."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import no_horizontal_scroll, sign_in
from tests.worlds import framework, new_source, version_2


@pytest.fixture
def framework_checklist(db, org_a, owner):
    """An active checklist "Ward 4" made after version 1 of the invented framework is imported, so it has the
    framework's items (the release preview counts them); the shared `active_checklist` is made without it."""
    from evidence.interchange import import_evidence
    from peerplan.operations.checklists import create_checklist_from_evidence

    import_evidence(framework())
    return create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=owner, status="active")


def test_a_curator_previews_and_applies_a_release_and_a_planner_adds_the_new_findings(
    live_server, page, another_context, curator, planner, framework_checklist, tmp_path
):
    base = live_server.url
    release = tmp_path / "framework-v2.json"
    release.write_text(json.dumps(version_2()), encoding="utf-8")

    sign_in(page, base, curator.email)
    page.goto(base + "/admin/evidence/source/")
    page.get_by_role("link", name="Import a release").click()
    page.get_by_label("Release file").set_input_files(str(release))
    page.get_by_role("button", name="Preview the release").click()

    expect(page.locator("#content")).to_contain_text("Nothing has changed yet.")
    expect(page.get_by_role("heading", name="Example framework (test fixture): version 1 → version 2")).to_be_visible()
    expect(page.locator(".release-added li")).to_have_text(
        ["Peer career pathway: barrier", "Peer career pathway: facilitator"]
    )
    expect(page.locator(".release-changed")).to_contain_text("Supervision by a peer lead: barrier")
    expect(page.locator(".release-retired")).to_contain_text("Protected time for reflection: barrier")
    row = page.get_by_role("row", name="Northside Mental Health Service")
    expect(row.locator("td")).to_have_text(["Northside Mental Health Service", "1", "2"])
    expect(page.locator("#content")).not_to_contain_text("Ward 4")

    # The changed finding is a major change unless marked minor, so the release carries a change note.
    page.get_by_label("What this release changes").fill("The barrier's text is revised in version 2.")
    page.get_by_role("button", name="Apply this release").click()
    expect(page.locator(".messagelist")).to_contain_text("2 findings added, 1 changed, 1 retired")

    # The planner, in a browser of their own.
    planner_page = another_context().new_page()
    sign_in(planner_page, base, planner.email)
    planner_page.goto(f"{base}/app/checklists/{framework_checklist.pk}/")
    offer = planner_page.locator(".evidence-offer")
    expect(offer).to_contain_text(
        "1 new barrier and 1 new facilitator from Example framework (test fixture) version 2: add them to this checklist?"
    )
    offer.get_by_role("button", name="Add all 2").click()
    expect(planner_page.locator("body")).to_contain_text(
        "Added to this checklist: Peer career pathway (barrier), Peer career pathway (facilitator)."
    )
    expect(planner_page.locator(".evidence-offer")).to_have_count(0)
    expect(planner_page.get_by_role("link", name="Peer career pathway").first).to_be_visible()
    # The retired finding's item is still there, marked.
    expect(planner_page.locator("body")).to_contain_text("No longer in the current evidence (removed in version 2)")


PEER_LEAD = "Fixture text: a named peer lead met each worker monthly."
CORRECTED = "Fixture text: a named peer lead met each peer worker monthly."


def test_a_curator_downloads_the_current_version_edits_it_and_sees_the_texts_and_the_undone_edit_in_the_preview(
    live_server, page, curator, framework_checklist, tmp_path
):
    from evidence.models import Perspective

    base = live_server.url
    sign_in(page, base, curator.email)
    page.goto(base + "/admin/evidence/source/")
    assert_accessible(page)

    # Download the current version of the framework: the file a researcher edits.
    with page.expect_download() as download:
        page.get_by_role(
            "link", name="Download the current version of Example framework (test fixture)", exact=True
        ).click()
    assert download.value.suggested_filename == "example-framework-version-1.json"
    exported = tmp_path / "exported.json"
    download.value.save_as(exported)
    data = json.loads(exported.read_text(encoding="utf-8"))

    # Meanwhile a curator corrects a sample in the admin, which the downloaded file does not have.
    perspective = Perspective.objects.get(summary=PEER_LEAD)
    page.goto(f"{base}/admin/evidence/perspective/{perspective.pk}/change/")
    page.get_by_label("Summary").fill(CORRECTED)
    page.get_by_label("Minor change (a typo or formatting)").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # The edited download, as version 2: one sample revised, still with the text from before the correction.
    source = data["sources"][0]
    source["version"] = 2
    barrier = source["categories"][0]["themes"][0]["findings"][0]["samples"][0]
    barrier["summary"] = barrier["summary"].replace("no peer lead was available", "no peer lead was free")
    release = tmp_path / "framework-v2.json"
    release.write_text(json.dumps(data), encoding="utf-8")

    page.goto(base + "/admin/evidence/source/")
    page.get_by_role("link", name="Import a release").click()
    page.get_by_label("Release file").set_input_files(str(release))
    page.get_by_role("button", name="Preview the release").click()

    expect(page.locator("#content")).to_contain_text("Nothing has changed yet.")
    changed = page.locator(
        ".release-finding", has=page.get_by_role("heading", name="Supervision by a peer lead: barrier")
    )
    expect(changed.locator("del")).to_have_text("available ")
    expect(changed.locator("ins")).to_have_text("free ")
    undone = page.locator(".release-undo")
    expect(undone).to_have_count(1)
    expect(undone).to_contain_text("This file would undo the edit Cora made on")
    expect(undone.locator("blockquote")).to_have_text([CORRECTED, PEER_LEAD])
    # Each undone edit is kept unless the curator chooses the file's text.
    expect(undone.get_by_role("radio", name="Keep the admin's edit")).to_be_checked()
    expect(undone.get_by_role("radio", name="Use the file's text")).not_to_be_checked()
    expect(page.locator(".errornote")).to_contain_text("This file would undo 1 edit made in the admin")
    row = page.get_by_role("row", name="Northside Mental Health Service")
    expect(row.locator("td")).to_have_text(["Northside Mental Health Service", "1", "2"])
    assert_accessible(page)
    # On a phone too: the texts wrap, nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    no_horizontal_scroll(page, 390)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    # The curator takes the file's text over the correction, and applies the rest with it.
    undone.get_by_role("radio", name="Use the file's text").check()
    page.get_by_label("What this release changes").fill("The barrier's wording is revised.")
    page.get_by_role("button", name="Apply this release").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "0 findings added, 2 changed, 0 retired. 1 admin edit replaced by the file's text."
    )
    page.goto(f"{base}/admin/evidence/perspective/{perspective.pk}/change/")
    expect(page.get_by_label("Summary")).to_have_value(PEER_LEAD)

    # A broken file is refused in words, with the allowed values.
    barrier["group"] = "Carers"
    release.write_text(json.dumps(data), encoding="utf-8")
    page.goto(base + "/admin/evidence/source/import/")
    page.get_by_label("Release file").set_input_files(str(release))
    page.get_by_role("button", name="Preview the release").click()
    expect(page.locator(".errorlist")).to_contain_text(
        "Example framework (test fixture) › theme “Supervision by a peer lead” › finding 1 (barrier) › sample 1 › group"
    )
    expect(page.locator(".errorlist")).to_contain_text("unknown group 'Carers': use one of PSWs, Service users")
    assert_accessible(page)


def test_the_preview_of_a_new_source_lists_what_it_adds_and_the_checklists_offered_it(
    live_server, page, curator, framework_checklist, tmp_path
):
    release = tmp_path / "survey.json"
    release.write_text(json.dumps(new_source()), encoding="utf-8")
    base = live_server.url
    sign_in(page, base, curator.email)
    page.goto(base + "/admin/evidence/source/import/")
    assert_accessible(page)
    page.get_by_label("Release file").set_input_files(str(release))
    page.get_by_role("button", name="Preview the release").click()

    expect(page.get_by_role("heading", name="Invented survey (test fixture): new source, version 1")).to_be_visible()
    expect(page.locator("#content")).to_contain_text("A new source: it adds 2 themes with 3 findings.")
    expect(page.locator(".release-themes li")).to_have_text(
        ["Supervision by a peer lead (survey)", "Protected time for reflection (survey)"]
    )
    expect(page.locator(".release-added li")).to_have_count(3)
    row = page.get_by_role("row", name="Northside Mental Health Service")
    expect(row.locator("td")).to_have_text(["Northside Mental Health Service", "1", "0"])
    assert_accessible(page)
    page.get_by_role("button", name="Apply this release").click()
    expect(page.locator(".messagelist")).to_contain_text("3 findings added, 0 changed, 0 retired")
