"""Networks and "what services like yours did", the way people use them: a coordinator invites an
organisation; its owner reads what is shared, accepts, and later leaves; a planner reads the anonymous
figures on a challenge. Every page is checked with axe at 390 px without sideways scroll (and by the Nu
HTML Checker: conftest)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import check_on_a_phone, sign_in
from tests.factories import make_member, make_user


@pytest.fixture
def network(db, org_a, owner, tracked_checklist):
    from peerplan.models import Network

    coordinator = make_user("cody", "Cody")
    network = Network.objects.create(name="North East peer support network", slug="north-east")
    network.coordinators.add(coordinator)
    return network


def test_a_coordinator_invites_and_an_owner_accepts_then_leaves(live_server, page, network):
    base = live_server.url
    h1 = page.get_by_role("heading", level=1)
    messages = page.locator(".messages")

    # The coordinator finds the network on the start page and invites Northside by searching its name.
    sign_in(page, base, "cody@example.org")
    page.get_by_role("link", name="North East peer support network").first.click()
    expect(h1).to_have_text("North East peer support network")
    expect(page.locator("main")).to_contain_text("No organisation has joined yet")
    check_on_a_phone(page)
    page.get_by_role("link", name="Invite an organisation").click()
    expect(h1).to_have_text("Invite an organisation")
    page.get_by_label("Search organisations by name").fill("northside")
    page.get_by_role("button", name="Search").click()
    # The search is a navigation: wait for its result before measuring the page, or the check can
    # run while the new document is still empty.
    invite = page.get_by_role("button", name="Invite Northside Mental Health Service")
    expect(invite).to_be_visible()
    check_on_a_phone(page)
    invite.click()
    expect(messages).to_contain_text("Northside Mental Health Service is invited.")
    page.get_by_role("button", name="Sign out").click()

    # The owner sees the invitation on the organisation's page and reads exactly what is shared.
    sign_in(page, base, "olive@example.org")
    page.get_by_role("link", name="Northside Mental Health Service").first.click()
    invitation = page.get_by_role("region", name="Invitation from North East peer support network")
    expect(invitation).to_contain_text("invites Northside Mental Health Service to share its progress")
    invitation.get_by_role("link", name="Read exactly what is shared, then accept or decline").click()
    expect(h1).to_have_text("North East peer support network")
    main = page.locator("main")
    expect(main).to_contain_text("The network’s coordinators: Cody")
    expect(main).to_contain_text("the name of each active checklist")
    expect(main).to_contain_text("what any action says, its notes, owner or due date")
    expect(main).to_contain_text("anyone's name or email address")
    check_on_a_phone(page)
    page.get_by_role("button", name="Accept and share").click()
    expect(messages).to_contain_text("You joined North East peer support network.")
    expect(page.locator("main")).to_contain_text("Shares its progress with the coordinators of")
    page.get_by_role("button", name="Sign out").click()

    # The coordinator now sees Northside's checklist, its progress and its coverage, and no one's words.
    sign_in(page, base, "cody@example.org")
    page.goto(base + "/app/networks/north-east/")
    members = page.locator("section[aria-labelledby=members-heading]")
    expect(members).to_contain_text("Northside Mental Health Service")
    expect(members).to_contain_text("Community team 2026")
    expect(members).to_contain_text("1 overdue")
    expect(page.locator("main")).not_to_contain_text("Agree a PSW role description with the team")
    expect(page.locator("main")).not_to_contain_text("Maya")
    grid = page.get_by_role("table", name="Challenges against member services")
    expect(grid.get_by_role("row", name="Role ambiguity")).to_contain_text("Covered")
    check_on_a_phone(page)
    page.get_by_role("button", name="Sign out").click()

    # The owner leaves, after a confirmation; the network page no longer shows Northside at all.
    sign_in(page, base, "olive@example.org")
    page.goto(base + "/app/orgs/northside/sharing/")
    page.get_by_role("link", name="North East peer support network").click()
    page.get_by_role("link", name="Leave North East peer support network").click()
    expect(h1).to_have_text("Leave North East peer support network?")
    check_on_a_phone(page)
    page.get_by_role("button", name="Leave the network").click()
    expect(messages).to_contain_text("You left North East peer support network.")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, "cody@example.org")
    page.goto(base + "/app/networks/north-east/")
    expect(page.locator("main")).not_to_contain_text("Northside")


@pytest.fixture
def figures(db, org_a, planner):
    """Six services that share anonymously decided "Role ambiguity" applies, adopted the theme's first
    suggestion and got it done; then the figures are computed, as cron would."""
    from peerplan.models import Mitigation, MitigationStatus, Organisation, SuggestedMitigation
    from peerplan.operations import checklists, mitigations
    from tests.factories import item_for, make_checklist

    suggestion = (
        SuggestedMitigation.objects.filter(themes__name="Role ambiguity", is_published=True)
        .order_by("position")
        .first()
    )
    for n in range(6):
        organisation = Organisation.objects.create(
            name=f"Sharing service {n}", slug=f"sharing-{n}", share_anonymously=True
        )
        person = make_member(organisation, f"sharer{n}", "owner", "Sharer")
        item = item_for(make_checklist(organisation, "Their plan", by=person), "Role ambiguity")
        checklists.decide_item(item=item, applies=True, by=person)
        action = mitigations.adopt_suggestion(suggestion=suggestion, item=item, by=person)
        Mitigation.objects.filter(pk=action.pk).update(created_at=timezone.now() - timedelta(days=20))
        mitigations.update_mitigation(
            mitigation_id=action.pk, changes={"status": MitigationStatus.DONE}, version=action.version, by=person
        )
    call_command("compute_shared_learning", verbosity=0)
    checklist = make_checklist(org_a, "Northside plan", by=planner)
    return item_for(checklist, "Role ambiguity"), suggestion


def test_a_planner_reads_what_services_like_theirs_did_on_a_challenge(live_server, page, figures):
    item, suggestion = figures
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}/app/checklists/{item.checklist_id}/")
    page.get_by_role("link", name="Role ambiguity").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Role ambiguity")
    section = page.locator("section[aria-labelledby=peers-heading]")
    expect(section.get_by_role("heading", name="What services like yours did")).to_be_visible()
    expect(section).to_contain_text("found it applies to them")
    expect(section).to_contain_text(f"{suggestion.title}: adopted by about 5 services, done by about 5")
    expect(section).to_contain_text("20 days from adoption to done (median)")
    expect(section).to_contain_text("counts are rounded to the nearest 5")
    expect(section).to_contain_text("last computed on")
    expect(section.get_by_role("link", name="sharing")).to_be_visible()  # Northside does not share
    card = page.locator("article", has=page.get_by_role("heading", name=suggestion.title))
    expect(card).to_contain_text("Services like yours: adopted by about 5 for this challenge, done by about 5")
    check_on_a_phone(page)
