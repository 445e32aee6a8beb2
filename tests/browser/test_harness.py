from playwright.sync_api import expect

from tests.browser.axe import assert_accessible


def test_the_home_page_opens_in_a_real_browser_and_passes_the_audit(live_server, page):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan peer support work with the evidence")
    page.get_by_role("link", name="Read the evidence").click()
    expect(page).to_have_url(live_server.url + "/evidence/")
    assert_accessible(page)
