"""The dashboard's check-in lists as a manager reads them: a challenge whose answers got worse, with the
statement and both rounds' % agreeing in words, marked as PeerPlan's wording, and a link to the challenge."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evidence.models import Statement
from peerplan.models import Answer
from tests.browser.axe import assert_accessible
from tests.browser.helpers import sign_in
from tests.factories import item_for, make_check_in, make_closed_round


@pytest.fixture
def falling(tracked_checklist, owner):
    """Role ambiguity's first statement: 8 of 10 agree in round 1, 5 of 10 in round 2."""
    statement = Statement.objects.filter(theme=item_for(tracked_checklist, "Role ambiguity").finding.theme).first()
    check_in = make_check_in(tracked_checklist, by=owner)
    today = timezone.localdate()
    for days_ago, agreeing in ((100, 8), (50, 5)):
        people = [{statement: Answer.AGREE}] * agreeing + [{statement: Answer.DISAGREE}] * (10 - agreeing)
        make_closed_round(check_in, people, opens_on=today - timedelta(days=days_ago))
    return statement


def test_a_manager_reads_which_challenges_answers_got_worse_and_opens_one(live_server, page, manager, falling):
    base = live_server.url
    sign_in(page, base, manager.email)
    page.goto(base + "/app/orgs/northside/dashboard/")
    section = page.locator("section", has=page.get_by_role("heading", name="What check-in answers say"))
    worse = section.locator("#answers-worse-list")
    expect(worse).to_contain_text("Role ambiguity in Community team 2026")
    expect(worse).to_contain_text(
        f"“{falling.text}” (PeerPlan's wording, not a validated measure): 80% agreeing in round 1, 50% in round 2"
    )
    expect(section).to_contain_text("A change is a move of 10 points or more in the percent who agree.")
    expect(section.locator("#answers-not-improved ~ p").first).to_have_text(
        "The last round that closed before the last action was done, against the latest round that opened after it."
    )
    assert_accessible(page)
    worse.get_by_role("link", name="Role ambiguity").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Role ambiguity")
