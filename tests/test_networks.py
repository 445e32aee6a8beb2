"""Networks: a coordinator invites an organisation, one of its owners reads what is shared and accepts,
declines or leaves; the network page shows its members' shared counts, and nothing else."""

import pytest

from peerplan.models import MitigationStatus, Network, NetworkMembership, NetworkState, Organisation
from peerplan.models import networks as network_rules
from peerplan.notify.context import unread_count
from tests.factories import bulk_mitigations, item_for, make_checklist, make_member, make_mitigation

SECRET_ACTION = "Ask Zebedee Quixotic about the xylophone budget"
SECRET_NOTE = "Confidential: Wilhelmina's sickness absence"


def join(network, organisation, by):
    """An accepted membership, made through the operations (invite, then an owner accepts)."""
    from peerplan.operations import networks

    membership = networks.invite_organisation(
        network=network, organisation=organisation, by=network.coordinators.first()
    )
    return networks.answer_invitation(membership=membership, accept=True, by=by)


def test_a_coordinator_finds_an_organisation_by_name_and_invites_it(client, coordinator, network, org_a, owner):
    client.force_login(coordinator)
    page = client.get("/app/networks/north-east/invite/?q=north").content.decode()
    assert "Northside Mental Health Service" in page
    response = client.post("/app/networks/north-east/invite/", {"organisation": "northside"})
    assert response.status_code == 302
    membership = NetworkMembership.objects.get(network=network, organisation=org_a)
    assert membership.state == NetworkState.INVITED and membership.invited_by == coordinator
    # The owner sees the invitation on the organisation's page.
    client.force_login(owner)
    page = client.get("/app/orgs/northside/").content.decode()
    assert "North East peer support network" in page and "accept or decline" in page


def test_every_owner_is_notified_of_the_invitation_and_led_to_the_page_that_answers_it(
    client, coordinator, network, org_a, owner, manager
):
    from peerplan.models import Notification
    from peerplan.models.notifications import Kind

    make_member(org_a, "olga", "owner", "Olga")
    client.force_login(coordinator)
    client.post("/app/networks/north-east/invite/", {"organisation": "northside"})
    membership = NetworkMembership.objects.get(network=network, organisation=org_a)

    told = Notification.objects.filter(kind=Kind.NETWORK)
    assert sorted(n.recipient.username for n in told) == sorted([owner.username, "olga"])  # owners only
    client.force_login(owner)
    page = client.get("/app/notifications/").content.decode()
    assert (
        "Cody invited Northside Mental Health Service to share its progress with North East peer support network: "
        "an owner answers"
    ) in page
    mine = told.get(recipient=owner)
    opened = client.get(f"/app/notifications/{mine.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == f"/app/orgs/northside/networks/{membership.pk}/"
    assert client.get(opened["Location"]).status_code == 200


def test_inviting_an_unknown_short_name_says_so_and_changes_nothing(client, coordinator, network):
    client.force_login(coordinator)
    response = client.post("/app/networks/north-east/invite/", {"organisation": "nowhere-at-all"})
    assert response.status_code == 400
    assert "No organisation has this short name" in response.content.decode()
    assert not NetworkMembership.objects.exists()


def test_inviting_nobody_asks_for_an_organisation(client, coordinator, network):
    client.force_login(coordinator)
    response = client.post("/app/networks/north-east/invite/", {})
    assert response.status_code == 400
    assert "Choose an organisation to invite." in response.content.decode()


def test_inviting_a_member_again_is_refused_in_words(client, coordinator, network, org_a, owner):
    join(network, org_a, owner)
    client.force_login(coordinator)
    response = client.post("/app/networks/north-east/invite/", {"organisation": "northside"})
    assert response.status_code == 400
    assert "already a member" in response.content.decode()


def test_the_acceptance_page_says_exactly_what_is_shared_and_with_whom(client, coordinator, network, org_a, owner):
    from peerplan.operations import networks

    membership = networks.invite_organisation(network=network, organisation=org_a, by=coordinator)
    client.force_login(owner)
    page = client.get(f"/app/orgs/northside/networks/{membership.pk}/").content.decode()
    assert "Cody" in page  # the coordinator who will see it, named
    for line in network_rules.SHARED + network_rules.NOT_SHARED:
        assert line.replace("'", "&#x27;") in page
    assert "Accept and share" in page and "Decline" in page


def test_an_owner_accepts_and_the_organisation_appears_on_the_network_page(client, coordinator, network, org_a, owner):
    from peerplan.operations import networks

    make_checklist(org_a, "Community team plan", by=owner)
    membership = networks.invite_organisation(network=network, organisation=org_a, by=coordinator)
    client.force_login(owner)
    response = client.post(f"/app/orgs/northside/networks/{membership.pk}/", {"answer": "accept"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.state == NetworkState.ACCEPTED and membership.answered_by == owner
    assert membership.answered_at is not None
    client.force_login(coordinator)
    page = client.get("/app/networks/north-east/").content.decode()
    assert "Northside Mental Health Service" in page and "Community team plan" in page


def test_declining_shares_nothing(client, coordinator, network, org_a, owner):
    from peerplan.operations import networks

    membership = networks.invite_organisation(network=network, organisation=org_a, by=coordinator)
    client.force_login(owner)
    client.post(f"/app/orgs/northside/networks/{membership.pk}/", {"answer": "decline"})
    membership.refresh_from_db()
    assert membership.state == NetworkState.DECLINED
    client.force_login(coordinator)
    assert "Northside" not in client.get("/app/networks/north-east/").content.decode()


def test_an_answer_that_is_neither_accept_nor_decline_changes_nothing(client, coordinator, network, org_a, owner):
    from peerplan.operations import networks

    membership = networks.invite_organisation(network=network, organisation=org_a, by=coordinator)
    client.force_login(owner)
    response = client.post(f"/app/orgs/northside/networks/{membership.pk}/", {"answer": "maybe"})
    assert response.status_code == 400
    assert "Choose to accept or to decline" in response.content.decode()
    membership.refresh_from_db()
    assert membership.state == NetworkState.INVITED


@pytest.mark.parametrize("role", ["manager", "planner", "viewer"])
def test_only_owners_answer_or_leave(client, coordinator, network, org_a, owner, role, request):
    from peerplan.operations import networks

    person = request.getfixturevalue(role)
    membership = networks.invite_organisation(network=network, organisation=org_a, by=coordinator)
    client.force_login(person)
    page = client.get(f"/app/orgs/northside/networks/{membership.pk}/")
    assert page.status_code == 200 and "Only an owner" in page.content.decode()
    assert client.post(f"/app/orgs/northside/networks/{membership.pk}/", {"answer": "accept"}).status_code == 403
    networks.answer_invitation(membership=membership, accept=True, by=owner)
    assert client.post(f"/app/orgs/northside/networks/{membership.pk}/leave/").status_code == 403
    membership.refresh_from_db()
    assert membership.state == NetworkState.ACCEPTED


def test_leaving_asks_first_then_removes_the_organisation_from_the_network_page_at_once(
    client, coordinator, network, org_a, owner
):
    membership = join(network, org_a, owner)
    client.force_login(owner)
    confirm = client.get(f"/app/orgs/northside/networks/{membership.pk}/leave/").content.decode()
    assert "Leave North East peer support network?" in confirm
    membership.refresh_from_db()
    assert membership.state == NetworkState.ACCEPTED  # reading the confirmation changes nothing
    assert client.post(f"/app/orgs/northside/networks/{membership.pk}/leave/").status_code == 302
    membership.refresh_from_db()
    assert membership.state == NetworkState.LEFT and membership.left_at is not None
    client.force_login(coordinator)
    assert "Northside" not in client.get("/app/networks/north-east/").content.decode()


def test_a_coordinator_may_invite_again_after_a_departure(client, coordinator, network, org_a, owner):
    from peerplan.operations import networks

    membership = join(network, org_a, owner)
    networks.leave_network(membership=membership, by=owner)
    client.force_login(coordinator)
    assert client.post("/app/networks/north-east/invite/", {"organisation": "northside"}).status_code == 302
    membership.refresh_from_db()
    assert membership.state == NetworkState.INVITED and membership.left_at is None


def test_people_who_are_not_coordinators_do_not_see_the_network(
    client, network, org_a, owner, outsider, planner, viewer
):
    join(network, org_a, owner)
    # An outsider learns nothing: the same 404 as a network that does not exist.
    client.force_login(outsider)
    assert client.get("/app/networks/north-east/").status_code == 404
    assert client.get("/app/networks/north-east/invite/").status_code == 404
    assert client.get("/app/networks/no-such-network/").status_code == 404
    # A member organisation's owners know the network exists (they answered its invitation), and may not see
    # its page; its other people learn nothing, as the README promises.
    client.force_login(owner)
    assert client.get("/app/networks/north-east/").status_code == 403
    assert client.post("/app/networks/north-east/invite/", {"organisation": "southside"}).status_code == 403
    for person in (planner, viewer):
        client.force_login(person)
        assert client.get("/app/networks/north-east/").status_code == 404
        assert client.post("/app/networks/north-east/invite/", {"organisation": "southside"}).status_code == 404
    assert NetworkMembership.objects.count() == 1


def test_the_coordinator_finds_the_network_on_the_start_page(client, coordinator, network):
    client.force_login(coordinator)
    page = client.get("/app/").content.decode()
    assert 'href="/app/networks/north-east/"' in page


def _member_org(network, number, by_coordinator):
    """A member organisation with an owner and an active checklist."""
    from peerplan.operations import networks

    organisation = Organisation.objects.create(name=f"Member service {number}", slug=f"member-{number}")
    owner = make_member(organisation, f"owner{number}", "owner", f"Owner{number}")
    checklist = make_checklist(organisation, f"Plan of service {number}", by=owner)
    membership = networks.invite_organisation(network=network, organisation=organisation, by=by_coordinator)
    networks.answer_invitation(membership=membership, accept=True, by=owner)
    return organisation, owner, checklist


def test_the_network_page_shows_each_members_counts_and_nothing_they_wrote(
    client, coordinator, network, org_a, owner, planner
):
    checklist = make_checklist(org_a, "Community team plan", by=owner)
    item = item_for(checklist, "Role ambiguity")
    make_mitigation(item, SECRET_ACTION, MitigationStatus.DONE, notes=SECRET_NOTE, owner=planner)
    make_mitigation(item_for(checklist, "Workload"), "Another secret plan", MitigationStatus.BLOCKED)
    join(network, org_a, owner)
    client.force_login(coordinator)
    page = client.get("/app/networks/north-east/").content.decode()
    assert "Community team plan" in page
    assert "2 actions: 1 done, 1 blocked" in page
    assert "Role ambiguity" in page  # a challenge of the published evidence
    for secret in (SECRET_ACTION, SECRET_NOTE, "Another secret plan", "Pat", "pat@example.org", "Olive", "olive@"):
        assert secret not in page


def test_draft_and_archived_checklists_are_not_shared(client, coordinator, network, org_a, owner):
    make_checklist(org_a, "A draft we keep to ourselves", by=owner, status="draft")
    make_checklist(org_a, "An old archived plan", by=owner, status="archived")
    join(network, org_a, owner)
    client.force_login(coordinator)
    page = client.get("/app/networks/north-east/").content.decode()
    assert "A draft we keep to ourselves" not in page and "An old archived plan" not in page
    assert "No active checklist" in page


def test_the_challenges_most_members_have_not_planned_for_are_named(client, coordinator, network):
    members = [_member_org(network, n, coordinator) for n in range(3)]
    # Two of three members plan for Workload; nobody plans for Role ambiguity.
    for _, _, checklist in members[:2]:
        make_mitigation(item_for(checklist, "Workload"))
    client.force_login(coordinator)
    page = client.get("/app/networks/north-east/").content.decode()
    gaps = page.split('id="gaps-heading"')[1].split("</section>")[0]
    assert "<strong>Role ambiguity</strong>: not covered by 3 of 3 members" in gaps
    assert "<strong>Workload</strong>" not in gaps


@pytest.mark.parametrize("members", [1, 10])
def test_the_network_page_runs_the_same_queries_whatever_the_number_of_members(
    client, coordinator, network, members, django_assert_num_queries
):
    for n in range(members):
        _, owner, checklist = _member_org(network, n, coordinator)
        bulk_mitigations(
            (item, {"action": f"A{n}", "status": MitigationStatus.DONE})
            for item in checklist.items.applicable_challenges()[:3]
        )
    client.force_login(coordinator)
    unread_count(coordinator)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    # session, person with the bell's count (two cache reads), the network, whether the person coordinates it, its members with their organisations,
    # their active checklists, review progress, coverage per checklist, actions by status, the published
    # challenges, coverage per challenge and member, the actions' and challenges' history and which
    # challenges each action addresses (the trends)
    with django_assert_num_queries(14):
        response = client.get("/app/networks/north-east/")
    assert response.status_code == 200
    assert response.content.decode().count('data-label="Member service') == 16 * members


def test_a_range_other_than_3_6_or_12_months_is_refused_in_words(client, coordinator, network):
    client.force_login(coordinator)
    response = client.get("/app/networks/north-east/?months=7")
    assert response.status_code == 400
    assert "Choose 3, 6 or 12 months" in response.content.decode()


def test_only_members_appear_never_the_invited_the_departed_or_the_uninvited(client, coordinator, network, org_b):
    from peerplan.operations import networks

    member, _, _ = _member_org(network, 1, coordinator)
    invited = Organisation.objects.create(name="Invited but silent", slug="invited")
    networks.invite_organisation(network=network, organisation=invited, by=coordinator)
    left, left_owner, _ = _member_org(network, 2, coordinator)
    networks.leave_network(membership=NetworkMembership.objects.get(organisation=left), by=left_owner)
    make_checklist(org_b, "Southside's own plan")
    client.force_login(coordinator)
    page = client.get("/app/networks/north-east/").content.decode()
    assert "Member service 1" in page
    for absent in ("Invited but silent", "Member service 2", "Southside", "Southside's own plan"):
        assert absent not in page


def test_an_owner_cannot_reach_another_organisations_invitation_through_their_own(
    client, coordinator, network, org_a, owner, org_b, outsider
):
    from peerplan.operations import networks

    membership = networks.invite_organisation(network=network, organisation=org_a, by=coordinator)
    client.force_login(outsider)  # the owner of organisation B
    assert client.get(f"/app/orgs/southside/networks/{membership.pk}/").status_code == 404
    assert client.post(f"/app/orgs/southside/networks/{membership.pk}/", {"answer": "accept"}).status_code == 404
    assert client.post(f"/app/orgs/southside/networks/{membership.pk}/leave/").status_code == 404
    membership.refresh_from_db()
    assert membership.state == NetworkState.INVITED


def test_a_site_administrator_creates_a_network_and_names_its_coordinators_in_the_admin(client, coordinator, db):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    assert client.get("/admin/peerplan/network/add/").status_code == 200
    response = client.post(
        "/admin/peerplan/network/add/",
        {
            "name": "South West network",
            "slug": "south-west",
            "description": "",
            "coordinators": [coordinator.pk],
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    network = Network.objects.get(slug="south-west")
    assert list(network.coordinators.all()) == [coordinator]
    client.force_login(coordinator)
    assert client.get("/app/networks/south-west/").status_code == 200


def test_seed_demo_puts_its_organisations_in_a_demo_network_sharing_anonymously(client, db):
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from peerplan.models import ChallengeFigure

    call_command("seed_demo", "--orgs", "6", "--checklists-per-org", "1", stdout=StringIO())
    network = Network.objects.get(slug="demo-network")
    assert network.memberships.accepted().count() == 6
    assert Organisation.objects.filter(share_anonymously=True).count() == 6
    call_command("compute_shared_learning", stdout=StringIO())
    assert ChallengeFigure.objects.filter(deciding__gte=5).exists()
    client.force_login(get_user_model().objects.get(username="owner@demo.peerplan.test"))
    page = client.get("/app/networks/demo-network/").content.decode()
    assert "Riverside Community Mental Health Service" in page and "6 member services" in page
