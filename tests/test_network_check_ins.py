"""A network's coordinators see a member's check-in trends only where an owner of the member agreed to share
them (a consent separate from sharing progress, asked on the acceptance page and withdrawn at any time), each
member's figures under its own check-in's threshold and never added together."""

import pytest

from evidence.models import Statement
from peerplan.models import Answer, NetworkMembership, Organisation
from peerplan.notify.context import unread_count
from peerplan.operations import networks
from tests.factories import make_check_in, make_checklist, make_closed_round, make_member

pytestmark = pytest.mark.django_db

NETWORK = "/app/networks/north-east/"


def statement():
    return Statement.objects.published().get(text="I know what is and is not part of my role.")


def member_service(network, number, coordinator, *, agreeing=5, share=True):
    """A member organisation with an owner, an active checklist whose check-in had one closed round in which
    `agreeing` people agreed with the Role ambiguity statement; joined sharing check-in trends or not."""
    organisation = Organisation.objects.create(name=f"Member service {number}", slug=f"member-{number}")
    owner = make_member(organisation, f"owner{number}", "owner", f"Owner{number}")
    checklist = make_checklist(organisation, f"Plan of service {number}", by=owner)
    make_closed_round(make_check_in(checklist, by=owner), [{statement(): Answer.AGREE}] * agreeing)
    invitation = networks.invite_organisation(network=network, organisation=organisation, by=coordinator)
    networks.answer_invitation(membership=invitation, accept=True, by=owner, share_check_ins=share)
    return invitation, owner


def check_in_section(client, coordinator):
    client.force_login(coordinator)
    page = client.get(NETWORK).content.decode()
    return page.partition('id="check-ins-heading"')[2].partition("</section>")[0]


def member_part(section, number):
    return section.partition(f"Member service {number}</h3>")[2].partition("<h3")[0]


def test_the_acceptance_page_asks_for_check_in_trends_separately_and_unticked(
    client, network, coordinator, org_a, owner
):
    invitation = networks.invite_organisation(network=network, organisation=org_a, by=coordinator)
    client.force_login(owner)
    page = client.get(f"/app/orgs/northside/networks/{invitation.pk}/").content.decode()
    assert "Check-in trends: a separate choice" in page
    assert "you can join without it, and an owner can start or stop it at any time" in page
    box = page.partition('id="id_share_check_ins"')[0].rpartition("<input")[2]
    assert 'type="checkbox"' in box and "checked" not in box
    client.post(f"/app/orgs/northside/networks/{invitation.pk}/", {"answer": "accept"})
    invitation.refresh_from_db()
    assert invitation.is_member and not invitation.shares_check_ins


def test_accepting_with_the_box_ticked_shares_check_in_trends(client, network, coordinator, org_a, owner):
    invitation = networks.invite_organisation(network=network, organisation=org_a, by=coordinator)
    client.force_login(owner)
    client.post(f"/app/orgs/northside/networks/{invitation.pk}/", {"answer": "accept", "share_check_ins": "yes"})
    invitation.refresh_from_db()
    assert invitation.is_member and invitation.shares_check_ins


def test_coordinators_see_the_trends_of_consenting_members_only(client, network, coordinator):
    member_service(network, 1, coordinator, share=True)
    member_service(network, 2, coordinator, share=False)
    section = check_in_section(client, coordinator)
    shared, not_shared = member_part(section, 1), member_part(section, 2)
    assert "Role ambiguity" in shared and "round 1, 100% agreeing" in shared
    assert "PeerPlan&#x27;s wording, not a validated measure" in shared
    assert "Does not share its check-in trends." in not_shared and "%" not in not_shared


def test_each_members_figures_are_under_the_threshold_and_never_pooled(client, network, coordinator):
    member_service(network, 1, coordinator, agreeing=4)
    member_service(network, 2, coordinator, agreeing=4)
    member_service(network, 3, coordinator, agreeing=5)
    section = check_in_section(client, coordinator)
    for number in (1, 2):  # four each: eight together, and still nothing shows
        assert "round 1, too few answered to show" in member_part(section, number)
        assert "% agreeing" not in member_part(section, number)
    assert "round 1, 100% agreeing" in member_part(section, 3)


def test_an_owner_withdraws_consent_and_the_figures_go(client, network, coordinator):
    invitation, owner = member_service(network, 1, coordinator)
    client.force_login(owner)
    page = client.get(f"/app/orgs/member-1/networks/{invitation.pk}/").content.decode()
    assert "Member service 1 shares its check-in trends with North East peer support network." in page
    response = client.post(f"/app/orgs/member-1/networks/{invitation.pk}/check-ins/", {"share_check_ins": "no"})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.is_member and not invitation.shares_check_ins
    assert "Does not share its check-in trends." in member_part(check_in_section(client, coordinator), 1)
    client.force_login(owner)
    client.post(f"/app/orgs/member-1/networks/{invitation.pk}/check-ins/", {"share_check_ins": "yes"})
    assert "100% agreeing" in member_part(check_in_section(client, coordinator), 1)


def test_only_an_owner_changes_the_consent(client, network, coordinator, outsider):
    invitation, _ = member_service(network, 1, coordinator)
    viewer = make_member(invitation.organisation, "vera", "viewer", "Vera")
    client.force_login(viewer)
    url = f"/app/orgs/member-1/networks/{invitation.pk}/check-ins/"
    assert client.post(url, {"share_check_ins": "no"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"share_check_ins": "no"}).status_code == 404
    assert NetworkMembership.objects.get(pk=invitation.pk).shares_check_ins


def test_leaving_ends_the_consent_and_a_new_invitation_asks_again(client, network, coordinator):
    invitation, owner = member_service(network, 1, coordinator)
    networks.leave_network(membership=invitation, by=owner)
    networks.invite_organisation(network=network, organisation=invitation.organisation, by=coordinator)
    invitation.refresh_from_db()
    assert invitation.is_invited and not invitation.shares_check_ins


def test_another_organisations_check_in_is_not_shown_by_a_member(client, network, coordinator, org_b, outsider):
    member_service(network, 1, coordinator, agreeing=5)
    theirs = make_checklist(org_b, "Southside plan", outsider)
    make_closed_round(make_check_in(theirs, by=outsider), [{statement(): Answer.DISAGREE}] * 6)
    section = check_in_section(client, coordinator)
    assert "Southside plan" not in section and ", 0% agreeing" not in section


@pytest.mark.parametrize("members", [1, 10])
def test_the_network_page_runs_the_same_queries_whatever_the_number_of_sharing_members(
    client, coordinator, network, members, django_assert_num_queries
):
    for n in range(members):
        member_service(network, n, coordinator)
    client.force_login(coordinator)
    unread_count(coordinator)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    # tests/test_networks.py's 14, and the check-in trends of the members that share them (5: the check-ins,
    # their closed rounds, tallies and statements asked, the challenges they ask about)
    with django_assert_num_queries(14 + 5):
        response = client.get(NETWORK)
    assert response.content.decode().count("round 1, 100% agreeing") == members
