"""Journey 2: a planner signs up, creates an organisation and a checklist, says one challenge does not
apply, adopts and edits a suggested mitigation for "Role ambiguity", adds an own mitigation with an owner
and a due date for "The value of the PSW role and low pay", and sees coverage rise.

Written once, done twice: with the mouse, and with the keyboard alone (Tab, Enter, Space, arrows,
typing), where every control reached must show a visible focus indicator."""

import re
from datetime import date, timedelta

from django.core import mail
from playwright.sync_api import expect

from tests.browser.helpers import Keyboard, Mouse, numbers
from tests.factories import PASSWORD

ADOPTED = "Write and adopt local guidelines for peer support work"
OWN_ACTION = "Benchmark PSW pay against comparable band 4 roles and take it to the pay panel"


def _plan(person, base_url):
    page = person.page
    h1 = page.get_by_role("heading", level=1)
    messages = page.locator(".messages")

    # Sign up.
    page.goto(base_url + "/")
    person.follow(page.get_by_role("link", name="Create an account").first)
    expect(h1).to_have_text("Create an account")
    person.fill(page.get_by_label("Your name"), "Priya Patel")
    person.fill(page.get_by_label("Email"), "priya@example.org")
    person.fill(page.get_by_label(re.compile(r"^\s*Password\*?\s*$")), PASSWORD)
    person.press(page.get_by_role("button", name="Create account"))
    expect(h1).to_have_text("Check your email")
    # The confirmation link from the email (the test mailbox), opened in the same browser.
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body).group(0)
    page.goto(link)
    person.press(page.get_by_role("button", name="Confirm"))
    expect(messages).to_contain_text("Your email is confirmed and your account is ready. Welcome to PeerPlan.")
    expect(h1).to_have_text("Your organisations")
    expect(page.get_by_text("You do not belong to an organisation yet.")).to_be_visible()

    # Create an organisation.
    person.follow(page.get_by_role("link", name="Create an organisation"))
    expect(h1).to_have_text("Create an organisation")
    person.fill(page.get_by_label("Name of the service or trust"), "Riverside Recovery Service")
    person.press(page.get_by_role("button", name="Create organisation"))
    expect(h1).to_have_text("Riverside Recovery Service")
    expect(messages).to_contain_text("Riverside Recovery Service is created and you are its owner.")
    expect(page.get_by_text("No checklists yet.")).to_be_visible()

    # Create a checklist.
    person.follow(page.get_by_role("link", name="New checklist"))
    expect(h1).to_have_text("New checklist")
    person.fill(page.get_by_label("Title"), "Peer support in the recovery team")
    person.fill(page.get_by_label("Service or setting"), "Community recovery team")
    person.press(page.get_by_role("button", name="Create checklist"))
    expect(h1).to_have_text("Peer support in the recovery team")
    expect(messages).to_contain_text("The checklist is created with every challenge and benefit")
    coverage = page.locator("#coverage-figure")
    # Nothing reviewed yet: the figure does not call the challenges applicable.
    expect(coverage).to_contain_text("challenges covered (0%), none reviewed yet")
    covered, applicable, percent = numbers(coverage.inner_text())
    assert (covered, percent) == (0, 0) and applicable > 2
    checklist_url = page.url
    challenges = page.locator("section[aria-labelledby=challenges-heading]")

    def row(name):
        return challenges.locator(".item-row", has=page.get_by_role("link", name=name, exact=True))

    # One challenge does not apply, with a reason.
    person.follow(challenges.get_by_role("link", name="Treatment models", exact=True))
    expect(h1).to_have_text("Treatment models")
    person.check(page.get_by_role("radio", name="Does not apply"))
    person.fill(page.get_by_label("Why it does not apply"), "Our team already works to a recovery model with PSWs.")
    person.press(page.get_by_role("button", name="Save decision"))
    expect(messages).to_contain_text("Your decision is saved.")
    expect(page.get_by_role("radio", name="Does not apply")).to_be_checked()
    person.follow(page.get_by_role("link", name="Peer support in the recovery team"))
    expect(coverage).to_have_text(f"0 of {applicable - 1} applicable challenges covered (0%)")
    expect(challenges).to_contain_text("Does not apply: Our team already works to a recovery model with PSWs.")

    # Adopt a suggested mitigation for Role ambiguity, and make it the service's own.
    person.follow(challenges.get_by_role("link", name="Role ambiguity", exact=True))
    expect(h1).to_have_text("Role ambiguity")
    suggestion = page.locator("article", has=page.get_by_role("heading", name=ADOPTED))
    expect(suggestion).to_contain_text("From the evidence")
    expect(suggestion).to_contain_text("Source: Cooper et al. 2024, Table 6 [")
    person.press(suggestion.get_by_role("button", name="Adopt"))
    expect(h1).to_have_text("Edit action")
    expect(messages).to_contain_text("The suggestion is adopted as an action.")
    expect(page.get_by_text(f"Adopted from suggestion: “{ADOPTED}”")).to_be_visible()
    person.append(page.get_by_label("Title"), ", agreed with the PSWs and the team leads")
    person.choose(page.get_by_label("Owner (a member of this organisation)"), "Priya Patel (priya@example.org)")
    person.fill_date(page.get_by_label("Due date"), date.today() + timedelta(days=60))
    person.press(page.get_by_role("button", name="Save action"))
    expect(messages).to_contain_text("The action is saved.")
    mitigation = page.locator("section[aria-labelledby=mitigations-heading] li")
    expect(mitigation).to_have_count(1)
    expect(mitigation).to_contain_text("agreed with the PSWs and the team leads")
    expect(mitigation).to_contain_text("Owner: Priya Patel")
    expect(mitigation).to_contain_text(f"Adopted from suggestion: “{ADOPTED}”")
    person.follow(page.get_by_role("link", name="Peer support in the recovery team"))
    expect(coverage).to_contain_text(f"1 of {applicable - 1} applicable challenges covered")
    expect(row("Role ambiguity")).not_to_contain_text("Not covered")

    # An own mitigation for low pay, with an owner and a due date.
    due = date.today() + timedelta(days=45)
    expect(row("The value of the PSW role and low pay")).to_contain_text("Not covered")
    person.follow(challenges.get_by_role("link", name="The value of the PSW role and low pay", exact=True))
    expect(h1).to_have_text("The value of the PSW role and low pay")
    expect(page.get_by_text("No actions yet.")).to_be_visible()
    person.follow(page.get_by_role("link", name="Add your own action"))
    expect(h1).to_have_text("New action")
    person.fill(page.get_by_label("Title"), OWN_ACTION)
    person.choose(page.get_by_label("Owner (a member of this organisation)"), "Priya Patel (priya@example.org)")
    person.fill_date(page.get_by_label("Due date"), due)
    person.press(page.get_by_role("button", name="Save action"))
    expect(messages).to_contain_text("The action is saved.")
    mitigation = page.locator("section[aria-labelledby=mitigations-heading] li")
    expect(mitigation).to_contain_text(OWN_ACTION)
    expect(mitigation).to_contain_text("Owner: Priya Patel")
    expect(mitigation).to_contain_text(f"Due: {due.day} {due:%B %Y}")

    # Coverage rose: two of the applicable challenges are covered now.
    person.follow(page.get_by_role("link", name="Peer support in the recovery team"))
    expect(page).to_have_url(checklist_url)
    covered, now_applicable, percent = numbers(coverage.inner_text())
    assert (covered, now_applicable) == (2, applicable - 1)
    assert percent == round(100 * 2 / (applicable - 1))
    expect(row("The value of the PSW role and low pay")).not_to_contain_text("Not covered")


def test_a_planner_signs_up_and_plans_until_coverage_rises(live_server, page):
    _plan(Mouse(page), live_server.url)


def test_a_planner_does_the_same_with_the_keyboard_alone_and_always_sees_where_the_focus_is(live_server, page):
    keyboard = Keyboard(page)
    _plan(keyboard, live_server.url)
    assert keyboard.focus_checks >= 25
