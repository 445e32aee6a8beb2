"""Invitations are bound to the person they were sent to, and to the inviter's current rights
(issue 12, defect 4)."""

import re

from django.contrib.auth import get_user_model
from django.core import mail

from peerplan.models import Invitation, Membership
from peerplan.operations import organisations
from tests.factories import make_user

GOOD = "a-long-pass-phrase-9"


def invitation_for(org, by, email="intended@example.org", role="manager"):
    return organisations.invite(organisation=org, email=email, role=role, by=by)


def test_a_forwarded_link_lets_nobody_else_in(client, owner, org_a):
    invitation = invitation_for(org_a, owner)
    someone_else = make_user("forwarded")
    client.force_login(someone_else)

    shown = client.get(f"/app/invitations/{invitation.token}/")
    response = client.post(f"/app/invitations/{invitation.token}/")

    assert shown.status_code == 403 and response.status_code == 403
    page = response.content.decode()
    assert "sign up with the address this invitation was sent to" in page
    assert "intended@example.org" not in page  # the link does not tell who it was for
    assert not Membership.objects.filter(user=someone_else).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None  # still there for the person it was sent to


def test_the_email_matches_whatever_its_case(client, owner, org_a):
    invitation = invitation_for(org_a, owner, email="New.Person@Example.ORG")
    intended = make_user("newperson")
    intended.email = "NEW.PERSON@example.org"
    intended.save()
    client.force_login(intended)

    response = client.post(f"/app/invitations/{invitation.token}/")

    assert response.status_code == 302
    assert Membership.objects.get(user=intended, organisation=org_a).role == "manager"


def test_an_owner_invitation_from_someone_no_longer_an_owner_is_refused_and_shown_as_no_longer_valid(
    client, owner, manager, org_a
):
    second_owner = make_user("second")
    Membership.objects.create(organisation=org_a, user=second_owner, role="owner")
    invitation = invitation_for(org_a, second_owner, email="future.owner@example.org", role="owner")
    organisations.change_role(membership=Membership.objects.get(user=second_owner), role="planner", by=owner)
    invited = make_user("future.owner")
    client.force_login(invited)

    response = client.post(f"/app/invitations/{invitation.token}/")

    assert response.status_code == 410
    assert "no longer valid" in response.content.decode()
    assert not Membership.objects.filter(user=invited).exists()
    client.force_login(owner)
    members = client.get("/app/orgs/northside/members/").content.decode()
    assert "future.owner@example.org" in members and "No longer valid" in members
    assert invitation.token not in members  # no link to copy that would be refused


def test_an_invitation_from_someone_who_left_is_refused(client, owner, manager, org_a):
    invitation = invitation_for(org_a, manager, email="p@example.org", role="planner")
    organisations.remove_member(membership=Membership.objects.get(user=manager), by=owner)
    invited = make_user("p")
    client.force_login(invited)

    response = client.post(f"/app/invitations/{invitation.token}/")

    assert response.status_code == 410
    assert "no longer valid" in response.content.decode()
    assert not Membership.objects.filter(user=invited).exists()
    assert Invitation.objects.get().accepted_at is None


def test_a_valid_invitation_is_not_marked_on_the_members_page(client, owner, org_a):
    invitation = invitation_for(org_a, owner)
    client.force_login(owner)
    members = client.get("/app/orgs/northside/members/").content.decode()
    assert invitation.token in members and "No longer valid" not in members


def test_signing_up_from_a_forwarded_link_with_another_address_does_not_let_that_account_in(client, owner, org_a):
    """Someone who is not signed in follows a forwarded link and signs up with their own address (sign-up
    is open): the new account is theirs, the invitation is not."""
    invitation = invitation_for(org_a, owner)
    path = f"/app/invitations/{invitation.token}/"
    assert client.get(path).status_code == 200
    data = {"name": "Forwarded", "email": "forwarded@example.org", "password1": GOOD, "password2": GOOD, "next": path}
    assert client.post(f"/accounts/signup/?next={path}", data)["Location"] == "/accounts/confirm-email/"
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[-1].body).group(1)
    assert client.post(link)["Location"] == path  # confirmed, signed in, and back at the invitation

    shown = client.get(path)
    response = client.post(path)

    assert shown.status_code == response.status_code == 403
    assert "sign up with the address this invitation was sent to" in response.content.decode()
    assert not Membership.objects.filter(user__email="forwarded@example.org").exists()


def test_an_invitation_its_sender_may_no_longer_give_opens_no_invitation_only_sign_up(
    client, settings, owner, manager, org_a
):
    settings.SIGNUP_MODE = "invitation"
    invitation = invitation_for(org_a, manager, email="nia@example.net", role="planner")
    organisations.remove_member(membership=Membership.objects.get(user=manager), by=owner)

    assert client.get(f"/app/invitations/{invitation.token}/").status_code == 410
    assert "Accounts are made by invitation" in client.get("/accounts/signup/").content.decode()
    data = {"name": "Nia", "email": "nia@example.net", "password1": GOOD, "password2": GOOD}
    client.post("/accounts/signup/", data)
    assert not get_user_model().objects.filter(email="nia@example.net").exists()
