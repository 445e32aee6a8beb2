"""The API's pages: the docs at /api/docs/ (Swagger UI from vendored files under the strict CSP, with no
violation; a token made on the tokens page works from "Try it out"), and the tokens pages, accessible on a
desktop and on a phone."""

import re

from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import no_horizontal_scroll, sign_in


def test_the_docs_render_every_operation_under_the_strict_csp(page, live_server, db):
    violations, requests = [], []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: requests.append(r.url))

    response = page.goto(live_server.url + "/api/docs/")

    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    expect(page.get_by_role("heading", name=re.compile("PeerPlan API"))).to_be_visible()
    expect(page.get_by_text("/api/mitigations/{id}/").first).to_be_visible()
    expect(page.get_by_text("/api/evidence/", exact=True)).to_be_visible()
    assert violations == []
    assert all(url.startswith(live_server.url) for url in requests), "everything is served from PeerPlan itself"


def test_a_token_made_on_the_tokens_page_reads_through_the_docs(page, live_server, org_a, planner):
    sign_in(page, live_server.url, planner.email)
    page.goto(live_server.url + "/app/tokens/")
    page.get_by_label("Name").fill("Trying the docs")
    page.get_by_role("button", name="Make the token").click()
    secret = page.get_by_label("Token").input_value()
    assert secret.startswith("pp_")

    page.goto(live_server.url + "/api/docs/")
    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".dialog-ux")
    dialog.locator("input").fill(secret)
    dialog.locator("button.modal-btn.authorize").click()
    dialog.locator("button.btn-done").click()
    operation = page.locator("#operations-organisations-list_organisations")
    operation.locator("button.opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_contain_text("200")
    expect(operation.locator(".live-responses-table")).to_contain_text("Northside Mental Health Service")


def test_the_tokens_pages_are_accessible_on_a_desktop_and_a_phone(page, live_server, org_a, owner, planner):
    from tests.api_helpers import token_for

    token_for(planner, org_a)
    sign_in(page, live_server.url, owner.email)
    page.goto(live_server.url + "/app/tokens/")
    page.get_by_role("button", name="Make the token").click()
    name = page.get_by_label("Name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("Name is required"))
    assert_accessible(page)
    name.fill("Board report")
    page.get_by_role("button", name="Make the token").click()
    expect(page.get_by_role("status")).to_contain_text("shown only once")
    assert_accessible(page)
    page.get_by_role("link", name="Tokens in Northside Mental Health Service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens in Northside Mental Health Service")
    expect(page.get_by_role("cell", name="Pat", exact=True)).to_be_visible()
    assert_accessible(page)

    page.set_viewport_size({"width": 390, "height": 844})
    for url in ("/app/tokens/", "/app/tokens/orgs/northside/"):
        page.goto(live_server.url + url)
        assert_accessible(page)
        no_horizontal_scroll(page, 390)
