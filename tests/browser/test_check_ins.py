"""Check-ins: a PSW answers a round on a phone without signing in, by keyboard, in two page loads and well
within two minutes; the link then refuses a second use; the manager sees nothing while the round is open,
nothing from a round four people answered, and, once five have, the trend beside the challenge's actions.
The check-in is set up and its rounds opened and closed by the real operations and the scheduled command
before and between the browser's visits; every page is checked by axe and the Nu HTML Checker."""

import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from evidence.models import Statement
from peerplan.figures import tracking
from peerplan.models import Answer, CheckInRecipient, MitigationStatus, Round
from peerplan.notify import deliver
from tests.browser.axe import assert_accessible
from tests.browser.helpers import Keyboard, no_horizontal_scroll, sign_in
from tests.factories import item_for, make_check_in, make_closed_round, make_mitigation

PHONE = 390
LINK = re.compile(r"http://[^/\s]+(/check-in/[^/\s]+/)\n")


def scheduled_run(today):
    with mock.patch.object(tracking, "today", return_value=today):
        call_command("send_notifications", verbosity=0)


@pytest.fixture
def round_open(tracked_checklist, manager):
    """A check-in of every applicable challenge of the tracked checklist, comments on; its first round opened
    by the scheduled run, which emailed five people one link each."""
    check_in = make_check_in(tracked_checklist, by=manager, comments_on=True, comments_read_by="the service manager")
    scheduled_run(tracking.today())
    return check_in, [LINK.search(message.body).group(1) for message in mail.outbox]


def test_a_psw_answers_on_a_phone_and_the_manager_sees_figures_only_once_five_have(
    live_server, page, another_context, round_open, tracked_checklist, manager
):
    check_in, links = round_open
    base = live_server.url
    role = item_for(tracked_checklist, "Role ambiguity")
    statements = list(Statement.objects.filter(theme=role.finding.theme))
    make_mitigation(role, "Agree who supervises the PSWs", status=MitigationStatus.DONE)

    # The PSW, on a phone, not signed in, by keyboard.
    phone = another_context(viewport={"width": PHONE, "height": 844}).new_page()
    loads = []
    phone.on("load", lambda _: loads.append(phone.url))
    started = time.monotonic()
    phone.goto(base + links[0])
    h1 = phone.get_by_role("heading", level=1)
    expect(h1).to_have_text("Anonymous check-in for peer workers")
    expect(phone.get_by_role("main")).to_contain_text("PeerPlan's wording, not a validated measure")
    assert_accessible(phone)
    no_horizontal_scroll(phone, PHONE)
    person = Keyboard(phone)
    for n, fieldset in enumerate(phone.locator("fieldset").all()):
        label = ["Agree", "Strongly agree", "Disagree", "Does not apply to me"][n % 4]
        person.check(fieldset.get_by_label(label, exact=True))
    person.fill(phone.get_by_label("Anything you want to add (optional)"), "More time with my supervisor, please.")
    # The thank-you heading can show before the page's load event reaches us: wait for that event, or the
    # count below misses the second load on a busy machine.
    with phone.expect_event("load"):
        person.press(phone.get_by_role("button", name="Send my answers"))
    expect(h1).to_have_text("Thank you: your answers are in")
    assert time.monotonic() - started < 120
    assert len(loads) == 2, loads
    assert_accessible(phone)
    no_horizontal_scroll(phone, PHONE)

    # The link is spent.
    phone.goto(base + links[0])
    expect(h1).to_have_text("This link cannot be used")
    expect(phone.get_by_role("main")).to_contain_text("used already")
    assert_accessible(phone)

    # The manager, while the round is open: nothing but when it closes.
    sign_in(page, base, manager.email)
    page.goto(f"{base}/app/items/{role.pk}/")
    section = page.get_by_role("region", name="What peer workers say")
    expect(section).to_contain_text("is open until")
    expect(section).not_to_contain_text("Agreeing")
    assert_accessible(page)
    page.goto(f"{base}/app/checklists/{tracked_checklist.pk}/check-ins/")
    expect(page.get_by_role("main")).to_contain_text("results show when it closes")
    expect(page.get_by_role("main")).not_to_contain_text("More time with my supervisor")
    assert_accessible(page)

    # Three more answer (four in all); the round closes: too few, so nothing shows.
    for link in links[1:4]:
        Client().post(link, {f"s{s.pk}": str(Answer.AGREE) for s in statements})
    first = Round.objects.get()
    scheduled_run(first.closes_on + timedelta(days=1))
    page.goto(f"{base}/app/items/{role.pk}/")
    expect(section).to_contain_text("Fewer than 5 people answered, so no figures are shown.")
    expect(section.locator("figure")).to_have_count(0)
    page.goto(f"{base}/app/checklists/{tracked_checklist.pk}/check-ins/")
    expect(page.get_by_role("main")).to_contain_text("Fewer than 5 people answered")
    expect(page.get_by_role("main")).not_to_contain_text("More time with my supervisor")

    # The next round, five answers: the trend beside the challenge's actions, the day an action was done marked.
    opens = first.closes_on + timedelta(days=30)
    make_closed_round(check_in, [dict.fromkeys(statements, Answer.AGREE)] * 5, opens_on=opens)
    page.goto(f"{base}/app/items/{role.pk}/")
    expect(section.get_by_role("img", name="Agreeing, by round")).to_be_visible()
    expect(section).to_contain_text("100%")
    expect(section).to_contain_text("Actions on this challenge done on")
    expect(section).to_contain_text("PeerPlan's wording, not a validated measure")
    assert_accessible(page)
    page.set_viewport_size({"width": PHONE, "height": 844})
    no_horizontal_scroll(page, PHONE)
    page.goto(f"{base}/app/checklists/{tracked_checklist.pk}/")
    card = page.locator(f"#item-{role.pk}")
    expect(card.get_by_role("img", name="Agreeing, by round")).to_be_visible()
    assert_accessible(page)
    no_horizontal_scroll(page, PHONE)


def test_a_manager_sets_up_a_check_in_and_a_small_team_is_told_no_figures_will_show(
    live_server, page, tracked_checklist, manager
):
    base = live_server.url
    sign_in(page, base, manager.email)
    page.goto(f"{base}/app/checklists/{tracked_checklist.pk}/")
    page.get_by_role("link", name="Set up a check-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a check-in")
    assert_accessible(page)
    page.get_by_label("Whom to ask").fill("ana@example.org\nben@example.org\ncai@example.org")
    page.get_by_role("button", name="Set up the check-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check-in")
    expect(page.locator(".messages")).to_contain_text("no figures will ever show")
    expect(page.get_by_role("main")).to_contain_text("No round yet")
    assert_accessible(page)
    page.get_by_role("link", name="Your own statements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your own check-in statements")
    page.get_by_label("Challenge").select_option(label="Role ambiguity")
    page.get_by_label("Statement").fill("I get time with other peer workers.")
    page.get_by_role("button", name="Add the statement").click()
    expect(page.get_by_role("main")).to_contain_text("“I get time with other peer workers.” (Role ambiguity)")
    assert_accessible(page)
    page.goto(f"{base}/check-ins/about/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("what is kept and who sees what")
    assert_accessible(page)

    # One of them stops the emails from the link at the bottom of an invitation.
    recipient = CheckInRecipient.objects.get(email="ben@example.org")
    page.goto(f"{base}/check-in/{deliver.check_in_unsubscribe_token(recipient)}/stop/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop check-in emails?")
    assert_accessible(page)
    page.get_by_role("button", name="Stop these emails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You will get no more check-in emails")
    assert_accessible(page)
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None
