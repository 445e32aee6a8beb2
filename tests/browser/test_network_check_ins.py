"""A network's check-in trends, the way people use them: the owner ticks the separate consent when accepting,
the coordinator reads the member's trend, the owner stops sharing it, and it is gone. axe at 390 px without
sideways scroll on each page (and the Nu HTML Checker: conftest)."""

import pytest
from playwright.sync_api import expect

from evidence.models import Statement
from peerplan.models import Answer
from peerplan.operations import networks
from tests.browser.helpers import check_on_a_phone, sign_in
from tests.factories import item_for, make_check_in, make_closed_round


@pytest.fixture
def invited(network, coordinator, org_a, owner, tracked_checklist):
    """Northside, invited to the network, with a check-in whose one closed round six people answered."""
    statement = Statement.objects.filter(theme=item_for(tracked_checklist, "Role ambiguity").finding.theme).first()
    make_closed_round(make_check_in(tracked_checklist, by=owner), [{statement: Answer.AGREE}] * 6)
    return networks.invite_organisation(network=network, organisation=org_a, by=coordinator)


def test_an_owner_shares_check_in_trends_separately_and_stops(live_server, page, invited):
    base = live_server.url
    main = page.locator("main")
    sign_in(page, base, "olive@example.org")
    page.goto(f"{base}/app/orgs/northside/networks/{invited.pk}/")
    expect(page.get_by_role("heading", name="Check-in trends: a separate choice")).to_be_visible()
    box = page.get_by_label("Also share our check-in trends (the percent agreeing, as above), not only our progress")
    expect(box).not_to_be_checked()
    check_on_a_phone(page)
    box.check()
    page.get_by_role("button", name="Accept and share").click()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "cody@example.org")
    page.goto(base + "/app/networks/north-east/")
    trends = page.locator("section[aria-labelledby=check-ins-heading]")
    expect(trends).to_contain_text("Role ambiguity")
    expect(trends).to_contain_text("round 1, 100% agreeing")
    check_on_a_phone(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "olive@example.org")
    page.goto(f"{base}/app/orgs/northside/networks/{invited.pk}/")
    expect(main).to_contain_text("Northside Mental Health Service shares its check-in trends")
    page.get_by_role("button", name="Stop sharing check-in trends").click()
    expect(page.locator(".messages")).to_contain_text("no longer see your check-in trends")
    expect(main).to_contain_text("Northside Mental Health Service does not share its check-in trends")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "cody@example.org")
    page.goto(base + "/app/networks/north-east/")
    expect(trends).to_contain_text("Does not share its check-in trends.")
    expect(trends).not_to_contain_text("% agreeing")
