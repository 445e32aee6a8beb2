from playwright.sync_api import expect

from tests.browser.axe import assert_accessible


def test_the_home_page_opens_in_a_real_browser_and_passes_the_audit(live_server, page):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan peer support work with the evidence")
    page.get_by_role("link", name="Read the evidence").click()
    expect(page).to_have_url(live_server.url + "/evidence/")
    assert_accessible(page)


def test_a_style_the_policy_refuses_is_reported_so_the_test_would_fail(live_server, page, page_problems):
    page.goto(live_server.url + "/")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.evaluate("console.error('something broke')")
    page.wait_for_timeout(200)  # the reports come back from the page asynchronously
    problems = page_problems.take()
    assert any(p.startswith("CSP violation: style-src-attr refused inline") for p in problems), problems
    assert any(p.startswith("console error: something broke") for p in problems), problems
