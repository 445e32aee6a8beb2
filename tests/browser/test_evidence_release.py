"""A curator imports a new version of a source in the admin, previews what it adds, changes and retires
(with only counts of organisations' checklists and items), and applies it; a planner is then offered the
new findings on an active checklist and adds them with one click. The source is the invented test fixture."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.worlds import framework, version_2


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
