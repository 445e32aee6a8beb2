"""axe-core on every main page, as the person who would use it sees it: no serious or critical
violation, one h1, one main landmark; and a form's errors tied to their fields."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import sign_in


def test_the_evidence_index_is_accessible_unfiltered_and_filtered(live_server, page):
    page.goto(live_server.url + "/evidence/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence on peer support work")
    assert_accessible(page)
    page.goto(live_server.url + "/evidence/?group=Service+users&valence=challenge")
    expect(page.get_by_role("status")).to_contain_text("match")
    assert_accessible(page)


def test_a_theme_page_is_accessible(live_server, page):
    page.goto(live_server.url + "/evidence/themes/role-ambiguity/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Role ambiguity")
    assert_accessible(page)


def test_sign_in_is_accessible_empty_and_with_its_error(live_server, page, planner):
    page.goto(live_server.url + "/accounts/login/")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_sign_up_is_accessible_empty_and_with_errors_tied_to_their_fields(live_server, page):
    page.goto(live_server.url + "/accounts/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    assert_accessible(page)
    page.get_by_label("Your name").fill("Sam")
    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Create account").click()
    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Enter an email address like name@example.org.")
    assert_accessible(page)


@pytest.fixture
def signed_in_owner(live_server, page, owner, tracked_checklist):
    sign_in(page, live_server.url, owner.email)
    return page


def _item_url(checklist, theme):
    from tests.factories import item_for

    return f"/app/items/{item_for(checklist, theme).pk}/"


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        pytest.param(lambda c: "/app/", "Your organisations", id="start"),
        pytest.param(lambda c: "/app/orgs/northside/", "Northside Mental Health Service", id="organisation"),
        pytest.param(
            lambda c: "/app/orgs/northside/members/", "Members of Northside Mental Health Service", id="members"
        ),
        pytest.param(lambda c: "/app/orgs/northside/dashboard/", "Dashboard", id="dashboard"),
        pytest.param(lambda c: "/app/orgs/northside/actions/", "Actions", id="actions"),
        pytest.param(lambda c: "/app/my-actions/", "My actions", id="my actions"),
        pytest.param(lambda c: f"/app/checklists/{c.pk}/", "Community team 2026", id="checklist"),
        pytest.param(lambda c: _item_url(c, "Role ambiguity"), "Role ambiguity", id="challenge item"),
        pytest.param(lambda c: "/app/orgs/northside/checklists/new/", "New checklist", id="new checklist"),
        pytest.param(lambda c: f"/app/checklists/{c.pk}/report/", "Community team 2026", id="report"),
        pytest.param(
            lambda c: f"/app/checklists/{c.pk}/history/", "History of Community team 2026", id="checklist history"
        ),
    ],
)
def test_every_signed_in_page_is_accessible(live_server, signed_in_owner, tracked_checklist, path, heading):
    page = signed_in_owner
    page.goto(live_server.url + path(tracked_checklist))
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page)


def test_the_mitigation_form_shows_its_errors_tied_to_their_fields_accessibly(
    live_server, signed_in_owner, tracked_checklist
):
    page = signed_in_owner
    page.goto(live_server.url + _item_url(tracked_checklist, "Workload"))
    page.get_by_role("link", name="Add your own action").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New action")
    assert_accessible(page)
    page.get_by_label("Due date").fill("2026-02-30")
    page.get_by_role("button", name="Save action").click()
    action = page.get_by_label("Title")
    expect(action).to_have_attribute("aria-invalid", "true")
    expect(action).to_have_accessible_description(re.compile(r"Give the action a title: say what will be done\."))
    assert_accessible(page)


# The headings axe-core sees, in document order, at their accessible level (aria-level before the tag's): a
# level may go down any number of steps, up only one.
HEADING_LEVELS = """() => [...document.querySelectorAll("h1, h2, h3, h4, h5, h6, [role=heading]")]
    .filter((h) => h.getClientRects().length > 0)
    .map((h) => [Number(h.getAttribute("aria-level") || h.tagName[1]), h.textContent.trim().slice(0, 60)])"""


def assert_no_skipped_heading_level(page):
    previous = 0
    for level, text in page.evaluate(HEADING_LEVELS):
        assert level <= previous + 1, f"{page.url}: h{level} “{text}” after h{previous}"
        previous = level


def test_the_api_docs_are_accessible_closed_and_with_an_operation_open(live_server, page, db):
    page.goto(live_server.url + "/api/docs/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("PeerPlan API")
    expect(page.locator("meta[name=description]")).to_have_attribute("content", re.compile(r".{40,}"))
    expect(page.locator(".opblock").first).to_be_visible()
    assert_accessible(page)
    assert_no_skipped_heading_level(page)

    operation = page.locator("#operations-organisations-list_actions")
    operation.locator("button.opblock-summary-control").click()
    expect(operation.get_by_role("button", name="Try it out")).to_be_visible()
    assert_accessible(page)
    assert_no_skipped_heading_level(page)

    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)


def _luminance(rgb):
    channels = [c / 255 for c in rgb]
    channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(one, other):
    lighter, darker = sorted([_luminance(one), _luminance(other)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_in_dark_mode_a_drop_down_shows_its_arrow_in_a_colour_that_stands_out(live_server, page):
    """WCAG 1.4.11: the arrow is what tells a drop-down from a text box, so it needs 3:1 against the box."""
    page.emulate_media(color_scheme="dark")
    page.goto(live_server.url + "/evidence/")
    select = page.locator("#filter-valence")
    arrow = select.evaluate("el => getComputedStyle(el).backgroundImage")
    stroke = re.search(r"stroke='%23([0-9a-f]{6})'", arrow).group(1)
    box = select.evaluate("el => getComputedStyle(el).backgroundColor")
    assert box == "rgb(17, 26, 28)"  # the dark surface
    ratio = contrast(bytes.fromhex(stroke), (17, 26, 28))
    assert ratio >= 3, f"the arrow #{stroke} is {ratio:.1f}:1 on the dark surface"
