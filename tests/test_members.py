"""Members, roles and invitations: who may invite and change roles, single-use expiring links,
the last owner."""

import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from peerplan.models import Invitation, Membership
from peerplan.operations import organisations
from tests.factories import make_user


def test_the_members_page_lists_members_and_roles(client, owner, planner, viewer):
    client.force_login(viewer)
    page = client.get("/app/orgs/northside/members/").content.decode()
    assert "olive@example.org" in page and "pat@example.org" in page and "vic@example.org" in page
    assert "Send invitation" not in page


def test_a_manager_invites_by_email_and_role_and_the_link_is_emailed_and_shown(client, manager):
    client.force_login(manager)
    response = client.post(
        "/app/orgs/northside/members/invite/", {"email": "New.Person@example.org", "role": "planner"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "new.person@example.org",
        "planner",
        manager,
    )
    link = f"/app/invitations/{invitation.token}/"
    assert len(mail.outbox) == 1 and link in mail.outbox[0].body
    assert mail.outbox[0].to == ["new.person@example.org"]
    assert link in client.get("/app/orgs/northside/members/").content.decode()


def test_an_invitation_expires_after_the_configured_days(manager, settings):
    settings.INVITATION_DAYS = 3
    invitation = organisations.invite(
        organisation=manager.memberships.get().organisation, email="a@b.org", role="viewer", by=manager
    )
    assert abs(invitation.expires_at - (timezone.now() + timedelta(days=3))) < timedelta(minutes=1)


def test_a_bad_invitation_email_is_refused_beside_the_field(client, manager):
    client.force_login(manager)
    response = client.post("/app/orgs/northside/members/invite/", {"email": "not an email", "role": "planner"})
    assert response.status_code == 400
    assert "Enter an email address like name@example.org." in response.content.decode()
    assert 'value="not an email"' in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_manager_cannot_invite_an_owner(client, manager):
    client.force_login(manager)
    response = client.post("/app/orgs/northside/members/invite/", {"email": "x@example.org", "role": "owner"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_a_planner_cannot_invite(client, planner):
    client.force_login(planner)
    response = client.post("/app/orgs/northside/members/invite/", {"email": "x@example.org", "role": "viewer"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_signed_in_person_accepts_once_and_becomes_a_member(client, owner, org_a):
    invitation = organisations.invite(organisation=org_a, email="newbie@example.org", role="planner", by=owner)
    newbie = make_user("newbie")
    client.force_login(newbie)
    page = client.get(f"/app/invitations/{invitation.token}/").content.decode()
    assert "Join Northside Mental Health Service" in page and "as planner" in page
    response = client.post(f"/app/invitations/{invitation.token}/")
    assert response["Location"] == "/app/orgs/northside/"
    assert Membership.objects.get(user=newbie, organisation=org_a).role == "planner"
    invitation.refresh_from_db()
    assert invitation.accepted_by == newbie and invitation.accepted_at is not None


def test_a_used_link_says_so_and_lets_nobody_else_in(client, owner, org_a):
    invitation = organisations.invite(organisation=org_a, email="n@example.org", role="planner", by=owner)
    organisations.accept_invitation(token=invitation.token, user=make_user("n"))
    second = make_user("second")
    client.force_login(second)
    response = client.post(f"/app/invitations/{invitation.token}/")
    assert response.status_code == 410
    assert "This invitation has already been used" in response.content.decode()
    assert not Membership.objects.filter(user=second).exists()


def test_an_expired_link_says_so(client, owner, org_a):
    invitation = organisations.invite(organisation=org_a, email="n@example.org", role="planner", by=owner)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    late = make_user("late")
    client.force_login(late)
    response = client.post(f"/app/invitations/{invitation.token}/")
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    assert not Membership.objects.filter(user=late).exists()


def test_a_person_not_signed_in_is_sent_to_sign_in_or_sign_up_and_comes_back(client, owner, org_a):
    invitation = organisations.invite(organisation=org_a, email="n@example.org", role="viewer", by=owner)
    path = f"/app/invitations/{invitation.token}/"
    page = client.get(path).content.decode()
    assert f'href="/accounts/signup/?next={path}"' in page
    assert f'href="/accounts/login/?next={path}"' in page
    response = client.post(
        f"/accounts/signup/?next={path}",
        {
            "name": "Nia",
            "email": "n@example.org",
            "password1": "a-long-pass-9",
            "password2": "a-long-pass-9",
            "next": path,
        },
    )
    # The invitation was emailed to this address, so following it confirms the email: signed in at once.
    assert response["Location"] == path
    client.post(path)
    assert Membership.objects.get(user__email="n@example.org", organisation=org_a).role == "viewer"


def test_a_revoked_invitation_no_longer_works(client, manager, org_a):
    invitation = organisations.invite(organisation=org_a, email="n@example.org", role="planner", by=manager)
    client.force_login(manager)
    client.post(f"/app/orgs/northside/invitations/{invitation.pk}/revoke/")
    assert not Invitation.objects.exists()
    client.force_login(make_user("n"))
    assert client.get(f"/app/invitations/{invitation.token}/").status_code == 410


def test_a_manager_changes_a_role(client, manager, planner):
    client.force_login(manager)
    client.post(f"/app/orgs/northside/members/{Membership.objects.get(user=planner).pk}/role/", {"role": "viewer"})
    assert Membership.objects.get(user=planner).role == "viewer"


def test_a_manager_cannot_make_an_owner_or_change_an_owner(client, manager, planner, owner):
    client.force_login(manager)
    response = client.post(
        f"/app/orgs/northside/members/{Membership.objects.get(user=planner).pk}/role/",
        {"role": "owner"},
        follow=True,
    )
    assert "Only an owner can make someone an owner" in response.content.decode()
    client.post(f"/app/orgs/northside/members/{Membership.objects.get(user=owner).pk}/role/", {"role": "viewer"})
    assert Membership.objects.get(user=planner).role == "planner"
    assert Membership.objects.get(user=owner).role == "owner"


def test_a_planner_cannot_change_roles(client, planner, viewer):
    client.force_login(planner)
    response = client.post(
        f"/app/orgs/northside/members/{Membership.objects.get(user=viewer).pk}/role/", {"role": "manager"}
    )
    assert response.status_code == 403
    assert Membership.objects.get(user=viewer).role == "viewer"


def test_the_last_owner_cannot_be_demoted(client, owner):
    client.force_login(owner)
    response = client.post(
        f"/app/orgs/northside/members/{Membership.objects.get(user=owner).pk}/role/",
        {"role": "manager"},
        follow=True,
    )
    assert "is the last owner. Make someone else an owner first." in response.content.decode()
    assert Membership.objects.get(user=owner).role == "owner"


def test_the_last_owner_cannot_be_removed(client, owner):
    client.force_login(owner)
    response = client.post(f"/app/orgs/northside/members/{Membership.objects.get(user=owner).pk}/remove/", follow=True)
    assert "is the last owner and cannot be removed" in response.content.decode()
    assert Membership.objects.filter(user=owner).exists()


def test_an_owner_can_step_down_once_there_is_another_owner(client, owner, manager):
    client.force_login(owner)
    client.post(f"/app/orgs/northside/members/{Membership.objects.get(user=manager).pk}/role/", {"role": "owner"})
    client.post(f"/app/orgs/northside/members/{Membership.objects.get(user=owner).pk}/role/", {"role": "planner"})
    assert Membership.objects.get(user=manager).role == "owner"
    assert Membership.objects.get(user=owner).role == "planner"


def test_a_manager_removes_a_member_after_a_confirmation_page(client, manager, planner):
    client.force_login(manager)
    url = f"/app/orgs/northside/members/{Membership.objects.get(user=planner).pk}/remove/"
    assert re.search(r"<h1>Remove Pat from", client.get(url).content.decode())
    client.post(url)
    assert not Membership.objects.filter(user=planner).exists()


def test_a_manager_cannot_remove_an_owner(client, manager, owner):
    client.force_login(manager)
    client.post(f"/app/orgs/northside/members/{Membership.objects.get(user=owner).pk}/remove/")
    assert Membership.objects.filter(user=owner).exists()


def test_a_member_of_another_organisation_cannot_be_changed_through_this_one(client, manager, outsider):
    client.force_login(manager)
    other = Membership.objects.get(user=outsider)
    assert client.post(f"/app/orgs/northside/members/{other.pk}/role/", {"role": "viewer"}).status_code == 404
    assert Membership.objects.get(user=outsider).role == "owner"
