"""A manager records what the service's own people reported and a planner adds its challenge to a checklist,
in the browser: every page passes axe, a blank field's error is tied to it, and the pages work at 390 px."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import no_horizontal_scroll, sign_in


@pytest.fixture
def ward(db, org_a, owner):
    from tests.factories import make_checklist

    return make_checklist(org_a, "Ward 4", owner)


def test_a_manager_adds_own_evidence_and_a_planner_adds_its_challenge_to_a_checklist(
    live_server, page, another_context, manager, planner, ward
):
    base = live_server.url
    sign_in(page, base, manager.email)
    page.goto(base + "/app/orgs/northside/evidence/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Northside Mental Health Service’s own evidence")
    assert_accessible(page)
    page.get_by_label("Name").fill("Staff survey 2026")
    page.get_by_label("Title").fill("Northside staff survey")
    page.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Add the source").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff survey 2026")

    # A blank theme is refused beside its field, and what was typed stays.
    page.get_by_label("Group of themes").fill("Support")
    page.get_by_label("What they reported").fill("Fixture text: no one to debrief with after nights.")
    page.get_by_role("button", name="Add it").click()
    theme = page.get_by_label(re.compile(r"^\s*Theme"))
    expect(theme).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("What they reported")).to_have_value("Fixture text: no one to debrief with after nights.")
    assert_accessible(page)
    theme.fill("Debrief after night shifts")
    page.get_by_label("Kind").select_option("challenge")
    page.get_by_role("button", name="Add it").click()
    expect(page.locator("body")).to_contain_text(
        "Added to “Staff survey 2026”: Debrief after night shifts (challenge)."
    )
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 800})
    no_horizontal_scroll(page, 390)

    planner_page = another_context(viewport={"width": 390, "height": 800}).new_page()
    sign_in(planner_page, base, planner.email)
    planner_page.goto(f"{base}/app/checklists/{ward.pk}/")
    offer = planner_page.locator(".evidence-offer")
    expect(offer).to_contain_text("1 new challenge from Staff survey 2026 version 1: add them to this checklist?")
    expect(offer).to_contain_text("Your service's own evidence")
    assert_accessible(planner_page)
    offer.get_by_role("button", name="Add Debrief after night shifts (challenge)").click()
    expect(planner_page.locator("body")).to_contain_text(
        "Added to this checklist: Debrief after night shifts (challenge)."
    )
    planner_page.get_by_role("link", name="Debrief after night shifts").first.click()
    expect(planner_page.get_by_role("heading", level=1)).to_contain_text("Debrief after night shifts")
    expect(planner_page.locator("body")).to_contain_text("Fixture text: no one to debrief with after nights.")
    expect(planner_page.locator("body")).to_contain_text("Not published evidence.")
    assert_accessible(planner_page)
    no_horizontal_scroll(planner_page, 390)
