"""SIGNUP_MODE: open (the default), invitation (only an invitation link leads to an account) or domains
(emails at SIGNUP_ALLOWED_DOMAINS, and invitations); and the OIDC_* variables that configure single sign-on.
The settings themselves are checked in a process of their own, as an operator meets them."""

import json

from django.contrib.auth import get_user_model
from django.core import mail

from peerplan.models import Membership
from peerplan.operations import organisations
from tests.production import clean_env, manage

GOOD = "a-long-pass-phrase-9"


def sign_up(client, email, name="Nia"):
    return client.post("/accounts/signup/", {"name": name, "email": email, "password1": GOOD, "password2": GOOD})


def test_open_is_the_default_and_anyone_can_sign_up(client, db, settings):
    assert settings.SIGNUP_MODE == "open"
    assert sign_up(client, "anyone@example.net")["Location"] == "/accounts/confirm-email/"
    assert get_user_model().objects.filter(email="anyone@example.net").exists()


def test_invitation_only_refuses_sign_up_without_an_invitation(client, db, settings):
    settings.SIGNUP_MODE = "invitation"
    page = client.get("/accounts/signup/").content.decode()
    assert "Accounts are made by invitation" in page
    sign_up(client, "anyone@example.net")
    assert not get_user_model().objects.exists()
    assert mail.outbox == []


def test_invitation_only_lets_the_invited_email_sign_up_and_join(client, settings, owner, org_a):
    settings.SIGNUP_MODE = "invitation"
    invitation = organisations.invite(organisation=org_a, email="nia@example.net", role="planner", by=owner)
    path = f"/app/invitations/{invitation.token}/"
    assert "Join Northside Mental Health Service" in client.get(path).content.decode()
    assert "Create an account" in client.get("/accounts/signup/").content.decode()

    other = sign_up(client, "someone-else@example.net")
    assert "This invitation is for nia@example.net" in other.content.decode()
    assert not get_user_model().objects.filter(email="someone-else@example.net").exists()

    response = client.post(
        f"/accounts/signup/?next={path}",
        {"name": "Nia", "email": "Nia@Example.net", "password1": GOOD, "password2": GOOD, "next": path},
    )
    # PeerPlan emailed the link to that address, so the email is confirmed: signed in at once.
    assert response["Location"] == path
    client.post(path)
    assert Membership.objects.get(user__email="nia@example.net", organisation=org_a).role == "planner"


def test_allowed_domains_let_those_emails_sign_up_and_say_which_domains(client, db, settings):
    settings.SIGNUP_MODE = "domains"
    settings.SIGNUP_ALLOWED_DOMAINS = ["nhs.example", "trust.example"]
    refused = sign_up(client, "someone@gmail.example")
    assert "Accounts here are for email addresses at nhs.example, trust.example" in refused.content.decode()
    assert not get_user_model().objects.exists()
    assert sign_up(client, "Nia@NHS.example")["Location"] == "/accounts/confirm-email/"
    assert get_user_model().objects.get().email == "nia@nhs.example"


def test_allowed_domains_still_accept_an_invitation_from_elsewhere(client, settings, owner, org_a):
    settings.SIGNUP_MODE = "domains"
    settings.SIGNUP_ALLOWED_DOMAINS = ["nhs.example"]
    invitation = organisations.invite(organisation=org_a, email="guest@charity.example", role="viewer", by=owner)
    client.get(f"/app/invitations/{invitation.token}/")
    assert sign_up(client, "guest@charity.example")["Location"] == "/app/"


SHOW = "from django.conf import settings; import json; print(json.dumps({'mode': settings.SIGNUP_MODE, 'domains': settings.SIGNUP_ALLOWED_DOMAINS, 'apps': settings.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS'], 'require_2fa': settings.REQUIRE_2FA}))"


def test_the_sign_up_mode_and_single_sign_on_come_from_the_environment():
    result = manage(
        "shell",
        "-c",
        SHOW,
        env=clean_env(
            DEBUG="true",
            SIGNUP_MODE="domains",
            SIGNUP_ALLOWED_DOMAINS="NHS.net, @trust.example",
            REQUIRE_2FA="true",
            OIDC_SERVER_URL="https://login.microsoftonline.com/TENANT/v2.0",
            OIDC_CLIENT_ID="client-id",
            OIDC_CLIENT_SECRET="client-secret",
            OIDC_NAME="NHS mail",
        ),
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["mode"] == "domains" and shown["domains"] == ["nhs.net", "trust.example"]
    assert shown["require_2fa"] is True
    assert shown["apps"] == [
        {
            "provider_id": "sso",
            "name": "NHS mail",
            "client_id": "client-id",
            "secret": "client-secret",
            "settings": {"server_url": "https://login.microsoftonline.com/TENANT/v2.0"},
        }
    ]


def test_a_mistyped_sign_up_mode_stops_start_up_with_a_message():
    result = manage("check", env=clean_env(DEBUG="true", SIGNUP_MODE="invite-only"))
    assert result.returncode != 0
    assert "SIGNUP_MODE must be open, invitation or domains, not 'invite-only'" in result.stderr


def test_domains_mode_without_domains_stops_start_up():
    result = manage("check", env=clean_env(DEBUG="true", SIGNUP_MODE="domains"))
    assert result.returncode != 0
    assert "SIGNUP_MODE=domains needs SIGNUP_ALLOWED_DOMAINS" in result.stderr


def test_single_sign_on_without_its_secret_stops_start_up():
    result = manage("check", env=clean_env(DEBUG="true", OIDC_SERVER_URL="https://idp.example", OIDC_CLIENT_ID="x"))
    assert result.returncode != 0
    assert "OIDC_SERVER_URL is set, so OIDC_CLIENT_SECRET must be set too" in result.stderr
