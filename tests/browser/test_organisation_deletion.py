"""Deleting an organisation the way an owner does it: from the members page, typing its name (a wrong name
first), then finding it on their start page and restoring it. Every page is checked with axe at 390 px
without sideways scroll (and by the Nu HTML Checker: conftest)."""

from playwright.sync_api import expect

from tests.browser.helpers import check_on_a_phone, sign_in


def test_an_owner_deletes_the_organisation_then_restores_it(live_server, page, tracked_checklist):
    base = live_server.url
    h1 = page.get_by_role("heading", level=1)
    messages = page.locator(".messages")
    sign_in(page, base, "olive@example.org")
    page.goto(base + "/app/orgs/northside/members/")
    page.get_by_role("link", name="Delete Northside Mental Health Service").click()
    expect(h1).to_have_text("Delete Northside Mental Health Service?")
    expect(page.locator("main")).to_contain_text("for 30 days")
    check_on_a_phone(page)

    # A wrong name deletes nothing, and says so beside the field.
    name = page.get_by_label("Type the organisation's name to confirm")
    name.fill("Northside")
    page.get_by_role("button", name="Delete organisation").click()
    expect(page.locator("main")).to_contain_text("does not match the organisation's name, so nothing was deleted")
    check_on_a_phone(page)

    name.fill("Northside Mental Health Service")
    page.get_by_role("button", name="Delete organisation").click()
    expect(h1).to_have_text("Your organisations")
    expect(messages).to_contain_text("Northside Mental Health Service is deleted. Nobody can see it now.")
    deleted = page.get_by_role("listitem").filter(has_text="Deleted: restore until")
    expect(deleted).to_contain_text("Northside Mental Health Service")
    expect(page.get_by_role("link", name="Northside Mental Health Service")).to_have_count(0)
    check_on_a_phone(page)
    assert page.goto(base + "/app/orgs/northside/").status == 404

    page.goto(base + "/app/")
    page.get_by_role("button", name="Restore Northside Mental Health Service").click()
    expect(h1).to_have_text("Northside Mental Health Service")
    expect(messages).to_contain_text("is restored: everything in it is back as it was")
    expect(page.locator("main")).to_contain_text(tracked_checklist.title)
    check_on_a_phone(page)
