"""A curator signs in and lands on the curation home, follows it to import a release, applies it, and finds it
in the list of releases; the home and the list read cleanly (axe, the Nu HTML Checker) at desktop width and
on a 390 px phone. The source is the invented test fixture."""

import json

from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import no_horizontal_scroll, sign_in
from tests.worlds import framework, version_2


def readable_at_both_widths(page):
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    no_horizontal_scroll(page, 390)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_curator_lands_on_the_curation_home_imports_a_release_from_it_and_finds_it_in_the_list(
    live_server, page, curator, tmp_path
):
    from evidence.interchange import import_evidence
    from peerplan.models import SuggestedMitigation

    import_evidence(framework())
    SuggestedMitigation.objects.create(
        title="Draft: a buddy for each new PSW", provenance="curator", is_published=False
    )
    release = tmp_path / "framework-v2.json"
    release.write_text(json.dumps(version_2()), encoding="utf-8")
    base = live_server.url

    sign_in(page, base, curator.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Curation home")
    source = page.locator(".curation-source", has=page.get_by_role("heading", name="Example framework (test fixture)"))
    expect(source).to_contain_text("Version 1")
    expect(source).to_contain_text("No release imported from the browser yet.")
    expect(page.get_by_role("link", name="Draft: a buddy for each new PSW")).to_be_visible()
    readable_at_both_widths(page)

    page.get_by_role("link", name="Import a release").click()
    page.get_by_label("Release file").set_input_files(str(release))
    page.get_by_role("button", name="Preview the release").click()
    expect(page.locator("#content")).to_contain_text("Nothing has changed yet.")
    page.get_by_label("What this release changes").fill("Version 2 revises a barrier and adds two findings.")
    page.get_by_role("button", name="Apply this release").click()
    expect(page.locator(".messagelist")).to_contain_text("2 findings added, 1 changed, 1 retired")

    # Back home from any admin page, through the header.
    page.get_by_role("link", name="Curation home").click()
    expect(source).to_contain_text("Version 2, released")
    expect(source.get_by_role("listitem").filter(has_text="framework-v2.json")).to_contain_text("applied")

    page.get_by_role("link", name="All releases").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("release")
    row = page.get_by_role("row").filter(has_text="framework-v2.json")
    expect(row).to_contain_text("Example framework (test fixture) version 2")
    expect(row).to_contain_text("Applied")
    readable_at_both_widths(page)
