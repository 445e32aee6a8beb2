"""The loser of a race between two owners gets a clear page, never a 500 (issue 12, defect 3).

The race is made deterministic here: the other owner's removal of this person lands between the page
loading their membership and the change being made (tests/test_owner_races.py runs the real race)."""

import pytest

from peerplan import access
from peerplan.models import Invitation, Membership
from peerplan.operations import organisations
from tests.factories import make_user


@pytest.fixture
def removed_on_the_way(monkeypatch):
    """Whoever asks is removed from the organisation just after the page loaded their membership."""
    real = access.load_organisation

    def load_then_lose(request, slug, need=access.READ):
        organisation, membership = real(request, slug, need)
        Membership.objects.filter(pk=membership.pk).delete()
        return organisation, membership

    monkeypatch.setattr("peerplan.views.organisations.load_organisation", load_then_lose)


@pytest.fixture
def two_owners(owner, org_a):
    other = make_user("owen", "Owen")
    Membership.objects.create(organisation=org_a, user=other, role="owner")
    return owner, other


def test_removing_someone_after_being_removed_says_so(client, two_owners, removed_on_the_way):
    olive, owen = two_owners
    client.force_login(olive)

    response = client.post(f"/app/orgs/northside/members/{Membership.objects.get(user=owen).pk}/remove/")

    assert response.status_code == 409
    assert "You are no longer a member of Northside Mental Health Service" in response.content.decode()
    assert Membership.objects.filter(user=owen, role="owner").exists()


def test_changing_a_role_after_being_removed_says_so(client, two_owners, removed_on_the_way):
    olive, owen = two_owners
    client.force_login(olive)

    response = client.post(
        f"/app/orgs/northside/members/{Membership.objects.get(user=owen).pk}/role/", {"role": "planner"}
    )

    assert response.status_code == 409
    assert "You are no longer a member" in response.content.decode()
    assert Membership.objects.get(user=owen).role == "owner"


def test_inviting_after_being_removed_says_so(client, two_owners, removed_on_the_way):
    olive, owen = two_owners
    client.force_login(olive)

    response = client.post("/app/orgs/northside/members/invite/", {"email": "x@example.org", "role": "owner"})

    assert response.status_code == 409
    assert "You are no longer a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_member_already_removed_by_someone_else_is_a_message_not_an_error(client, two_owners, planner, monkeypatch):
    olive, _ = two_owners
    target = Membership.objects.get(user=planner)
    real = organisations._lock_organisation

    def target_goes_then_lock(organisation_id):
        Membership.objects.filter(pk=target.pk).delete()  # the other owner removed Pat meanwhile
        return real(organisation_id)

    monkeypatch.setattr("peerplan.operations.organisations._lock_organisation", target_goes_then_lock)
    client.force_login(olive)

    response = client.post(f"/app/orgs/northside/members/{target.pk}/role/", {"role": "viewer"}, follow=True)

    assert response.status_code == 200
    assert "Pat is no longer a member" in response.content.decode()
