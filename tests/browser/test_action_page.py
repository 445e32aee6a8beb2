"""The action's page and form in the browser: an action for 3 challenges made from its own form in one page
load (the challenges found with the filter box, which without JavaScript stays hidden behind the plain
list); saving from a filtered action list lands back on that list; the action page at desktop and phone
width, light and dark, screenshotted into test-output/screenshots/ and checked with axe (the Nu HTML
Checker checks every page: conftest)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from peerplan.models import Mitigation
from peerplan.operations import attachments, comments, mitigations
from tests.browser.axe import assert_accessible
from tests.browser.conftest import OUTPUT
from tests.browser.helpers import no_horizontal_scroll, sign_in
from tests.factories import item_for

SCREENSHOTS = OUTPUT.parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
THREE = ["Role ambiguity", "Workload", "Boundaries"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_an_action_for_three_challenges_is_made_from_its_own_form_in_one_page_load(
    live_server, page, active_checklist, planner
):
    first, *others = [item_for(active_checklist, name) for name in THREE]
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}/app/items/{first.pk}/")
    page.get_by_role("link", name="Add your own action").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New action")
    page.wait_for_load_state("load")
    loads = []
    page.on("load", lambda _: loads.append(page.url))
    page.get_by_label("Title").fill("Agree the PSW job plan with each team")
    page.get_by_label("Details (optional)").fill("Start with the community team, then the wards.")
    challenges = page.get_by_role("group", name="Challenges this action addresses")
    expect(challenges.get_by_label("Role ambiguity")).to_be_checked()  # the challenge it was opened from
    find = page.get_by_label("Find a challenge")
    for name in ("Workload", "Boundaries"):
        find.fill(name.lower())
        expect(challenges.locator(".challenge-option:visible")).to_have_count(1)
        challenges.get_by_label(name).check()
    expect(page.locator("#challenge-filter-count")).to_contain_text("3 ticked")
    find.fill("")
    assert_accessible(page)
    assert loads == []  # choosing the challenges loaded nothing, and nothing typed went anywhere
    page.get_by_role("button", name="Save action").click()
    expect(page.locator(".messages")).to_contain_text("The action is saved.")
    assert page.url == f"{live_server.url}/app/items/{first.pk}/"  # back where it was started
    action = Mitigation.objects.get()
    assert {item.finding.theme.name for item in action.items.all()} == set(THREE)
    assert action.details == "Start with the community team, then the wards."


def test_without_javascript_the_whole_list_is_there_to_tick(live_server, another_context, active_checklist, planner):
    item = item_for(active_checklist, "Workload")
    page = another_context(java_script_enabled=False).new_page()
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}/app/items/{item.pk}/mitigations/new/")
    expect(page.get_by_label("Find a challenge")).to_be_hidden()
    options = page.locator(".challenge-option")
    assert options.count() == active_checklist.items.offered_to_actions().count()
    page.get_by_label("Title").fill("Cap caseloads at twelve")
    page.get_by_label("Workload").uncheck()
    page.get_by_role("button", name="Save action").click()
    # Nothing ticked: told plainly, with the title still there.
    expect(page.get_by_role("alert")).to_contain_text("Tick at least one challenge for this action to address.")
    expect(page.get_by_label("Title")).to_have_value("Cap caseloads at twelve")
    page.get_by_label("Workload").check()
    page.get_by_role("button", name="Save action").click()
    expect(page.locator(".messages")).to_contain_text("is saved")
    assert Mitigation.objects.get().action == "Cap caseloads at twelve"


def test_after_saving_from_a_filtered_action_list_the_same_filtered_list(live_server, page, active_checklist, planner):
    item = item_for(active_checklist, "Workload")
    action = mitigations.create_mitigation(items=[item], changes={"action": "Cap caseloads at twelve"}, by=planner)
    listing = "/app/orgs/northside/actions/?q=caseloads&status=planned"
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(live_server.url + listing)
    expect(page.locator("input[name=q]").first).to_have_value("caseloads")
    page.goto(f"{live_server.url}/app/mitigations/{action.pk}/edit/?next={listing.replace('&', '%26')}")
    page.get_by_label("Details (optional)").fill("Agreed with the team leads.")
    page.get_by_role("button", name="Save action").click()
    expect(page.locator(".messages")).to_contain_text("is saved")
    assert page.url == live_server.url + listing
    expect(page.locator("input[name=q]").first).to_have_value("caseloads")
    action.refresh_from_db()
    assert action.details == "Agreed with the team leads."


@pytest.fixture
def lived_in_action(active_checklist, planner, manager, org_a):
    """An action with three challenges, details, an owner and due date, comments, a file and some history."""
    items = [item_for(active_checklist, name) for name in THREE]
    action = mitigations.create_mitigation(
        items=items,
        changes={
            "action": "Agree the PSW job plan with each team",
            "details": "Start with the community team, then the wards.\n\nReview it with the PSWs after three months.",
            "owner": planner,
            "due_date": date(2030, 3, 31),
        },
        by=planner,
    )
    action = mitigations.update_mitigation(
        mitigation_id=action.pk, changes={"status": "in_progress"}, version=action.version, by=manager
    )
    comments.post_comment(body="Draft shared with the team leads.", by=planner, organisation=org_a, mitigation=action)
    comments.post_comment(body="@Pat the wards want a week more.", by=manager, organisation=org_a, mitigation=action)
    attachments.add_attachment(
        upload=SimpleUploadedFile("job-plan.pdf", PDF), by=planner, organisation=org_a, mitigation=action
    )
    return action


def test_the_action_page_at_desktop_and_phone_width_light_and_dark(live_server, page, lived_in_action):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server.url, "pat@example.org")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.goto(f"{live_server.url}/app/mitigations/{lived_in_action.pk}/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Agree the PSW job plan with each team")
            for theme in THREE:
                expect(page.locator("#addresses").get_by_role("link", name=theme)).to_be_visible()
            expect(page.get_by_label("Status of “Agree the PSW job plan with each team”")).to_have_value("in_progress")
            expect(page.locator("#details")).to_contain_text("Review it with the PSWs after three months.")
            expect(page.locator("#comments")).to_contain_text("the wards want a week more")
            expect(page.locator("#attachments")).to_contain_text("job-plan.pdf")
            expect(page.get_by_role("link", name="The history of this action")).to_be_visible()
            if viewport is PHONE:
                no_horizontal_scroll(page, PHONE["width"])
            assert_accessible(page)
            page.screenshot(path=str(SCREENSHOTS / f"action-{name}-{scheme}.png"), full_page=True, caret="initial")


def test_the_status_changes_in_place_on_the_action_page(live_server, page, lived_in_action):
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}/app/mitigations/{lived_in_action.pk}/")
    page.wait_for_load_state("load")
    loads = []
    page.on("load", lambda _: loads.append(1))
    block = page.locator(f"#quick-{lived_in_action.pk}")
    # Saved on change, as in the lists: no button to press, no page load, and Undo offered.
    block.get_by_label("Status of “Agree the PSW job plan with each team”").select_option(label="Done")
    expect(block.get_by_role("status")).to_have_text("Saved.")
    expect(
        block.get_by_role("button", name="Undo the change to “Agree the PSW job plan with each team”")
    ).to_be_visible()
    assert loads == []
    lived_in_action.refresh_from_db()
    assert lived_in_action.status == "done"
