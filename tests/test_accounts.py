"""Accounts on django-allauth: sign up with name, email and a password, confirm the email, sign in by
email, sign out, change and reset a password; the same answers whether or not an email has an account."""

import importlib
import re

from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

GOOD = "a-long-pass-phrase-9"


def sign_up(client, **overrides):
    data = {
        "name": "Sam Lee",
        "email": "Sam.Lee@Example.org",
        "password1": GOOD,
        **overrides,
    }
    return client.post("/accounts/signup/", data)


def link_in(message, path):
    return re.search(rf"https?://[^/\s]+({path}\S+)", message.body).group(1)


def confirm_email(client, message):
    link = link_in(message, "/accounts/confirm-email/")
    assert "Confirm" in client.get(link).content.decode()
    return client.post(link)


def test_signing_up_asks_to_confirm_the_email_before_signing_in(client, db):
    response = sign_up(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    assert "Check your email" in client.get(response["Location"]).content.decode()
    user = get_user_model().objects.get()
    assert (user.username, user.email, user.first_name) == ("sam.lee@example.org", "sam.lee@example.org", "Sam Lee")
    assert client.get("/app/").status_code == 302
    assert [m.subject for m in mail.outbox] == ["Confirm your email for PeerPlan"]
    assert mail.outbox[0].to == ["sam.lee@example.org"]


def test_the_link_in_the_email_confirms_it_and_signs_in(client, db):
    sign_up(client)
    response = confirm_email(client, mail.outbox[0])
    assert response.status_code == 302 and response["Location"] == "/app/"
    assert client.get("/app/").status_code == 200
    assert EmailAddress.objects.get().verified


def test_account_emails_link_to_site_url_not_the_address_the_request_came_in_on(client, db, settings):
    settings.SITE_URL = "https://peerplan.example.org"
    sign_up(client)
    assert "https://peerplan.example.org/accounts/confirm-email/" in mail.outbox[-1].body
    client.logout()
    client.post("/accounts/password/reset/", {"email": "sam.lee@example.org"})
    assert "https://peerplan.example.org/accounts/password/reset/key/" in mail.outbox[-1].body
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"})  # the unknown-account email
    assert "https://peerplan.example.org/accounts/signup/" in mail.outbox[-1].body
    assert not any("testserver" in message.body for message in mail.outbox)


def test_a_new_account_cannot_sign_in_until_its_email_is_confirmed(client, db):
    sign_up(client)
    client.logout()
    response = client.post("/accounts/login/", {"login": "sam.lee@example.org", "password": GOOD})
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/app/").status_code == 302


def test_signing_up_with_an_email_that_has_an_account_answers_exactly_as_for_a_new_one(client, owner):
    new = sign_up(client)
    client.cookies.clear()
    mail.outbox.clear()
    response = sign_up(client, email="OLIVE@example.ORG", name="Another Olive")
    # Nobody learns from the page that the email has an account: the owner of the inbox does.
    assert response.status_code == new.status_code == 302
    assert response["Location"] == new["Location"] == "/accounts/confirm-email/"
    assert get_user_model().objects.filter(email__iexact="olive@example.org").count() == 1
    owner.refresh_from_db()
    assert owner.first_name == "Olive" and owner.check_password("correct-horse-battery-staple")
    assert [m.subject for m in mail.outbox] == ["You already have a PeerPlan account"]
    assert "/accounts/password/reset/" in mail.outbox[0].body


def test_sign_up_asks_for_the_password_once_so_no_mismatch_empties_it(client, db):
    page = client.get("/accounts/signup/").content.decode()
    assert page.count('type="password"') == 1 and "Password again" not in page
    response = sign_up(client, password1="password")  # refused (too common): the rest is kept, never the password
    page = response.content.decode()
    assert 'value="Sam Lee"' in page and 'value="Sam.Lee@Example.org"' in page
    assert 'value="password"' not in page
    assert not get_user_model().objects.exists()


def test_djangos_password_validators_apply(client, db):
    response = sign_up(client, password1="password", password2="password")
    assert "This password is too common" in response.content.decode()
    assert not get_user_model().objects.exists()


def test_a_name_is_required(client, db):
    response = sign_up(client, name="")
    assert "Your name is required." in response.content.decode()
    assert not get_user_model().objects.exists()


def test_sign_up_returns_to_the_page_the_person_came_from(client, db):
    response = client.post(
        "/accounts/signup/?next=/app/invitations/abc/",
        {
            "name": "Sam",
            "email": "s@example.org",
            "password1": GOOD,
            "password2": GOOD,
            "next": "/app/invitations/abc/",
        },
    )
    assert response["Location"] == "/accounts/confirm-email/"
    response = confirm_email(client, mail.outbox[0])
    assert response["Location"] == "/app/invitations/abc/"


def test_sign_up_does_not_send_people_to_another_site(client, db):
    sign_up(client, next="https://evil.example.com/")
    response = confirm_email(client, mail.outbox[0])
    assert response["Location"] == "/app/"


def test_the_sign_in_form_asks_for_an_email_and_offers_an_account(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert re.search(r"<label[^>]*>\s*Email", page)
    assert 'type="email"' in page
    assert 'href="/accounts/signup/"' in page
    assert "Create an account" in page
    assert 'href="/accounts/password/reset/"' in page


def test_a_person_signs_in_with_their_email_in_any_case(client, owner):
    response = client.post(
        "/accounts/login/", {"login": "OLIVE@example.org", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 302 and response["Location"] == "/app/"


def test_a_wrong_password_and_an_unknown_email_get_the_same_plain_answer(client, owner):
    wrong = client.post("/accounts/login/", {"login": "olive@example.org", "password": "wrong-one-123"})
    unknown = client.post("/accounts/login/", {"login": "nobody@example.org", "password": "wrong-one-123"})
    message = "That email and password do not match an account. Check both and try again."
    assert wrong.status_code == unknown.status_code == 200
    assert message in wrong.content.decode() and message in unknown.content.decode()


def test_signing_out_is_a_post(client, owner):
    client.force_login(owner)
    assert client.get("/accounts/logout/").status_code == 200  # a page asking, not a sign-out
    assert client.get("/app/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/app/").status_code == 302


def test_a_password_can_be_changed(client, owner):
    client.force_login(owner)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "correct-horse-battery-staple", "password1": GOOD, "password2": GOOD},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(GOOD)


def test_a_password_reset_emails_a_working_link(client, owner):
    response = client.post("/accounts/password/reset/", {"email": "olive@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    assert [m.subject for m in mail.outbox] == ["Reset your PeerPlan password"]
    link = link_in(mail.outbox[0], "/accounts/password/reset/key/")
    response = client.get(link, follow=True)
    assert "Choose a new password" in response.content.decode()
    response = client.post(
        response.redirect_chain[-1][0], {"password1": "another-long-phrase-7", "password2": "another-long-phrase-7"}
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("another-long-phrase-7")
    response = client.post("/accounts/login/", {"login": "olive@example.org", "password": "another-long-phrase-7"})
    assert response["Location"] == "/app/"


def test_a_password_reset_for_an_unknown_email_answers_the_same(client, owner):
    known = client.post("/accounts/password/reset/", {"email": "olive@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    # The unknown address hears that it has no account; nobody else learns it.
    assert [m.subject for m in mail.outbox] == ["Reset your PeerPlan password", "No PeerPlan account uses this email"]


def test_the_sign_up_link_is_in_the_navigation(client, db):
    assert 'href="/accounts/signup/"' in client.get("/evidence/").content.decode()


def test_people_who_had_accounts_before_allauth_sign_in_with_their_password(client, db):
    """The migration to allauth confirms every existing account's email (README: "Accounts")."""
    User = get_user_model()
    before = User.objects.create_user(username="sam@example.org", email="Sam@Example.org", password=GOOD)
    twin = User.objects.create_user(username="sam-admin", email="sam@example.org", password=GOOD)
    User.objects.create_user(username="no-email", password=GOOD)
    migration = importlib.import_module("peerplan.migrations.0003_accounts_on_allauth")
    migration.confirm_existing_emails(apps, None)
    address = EmailAddress.objects.get()
    assert (address.user, address.email, address.verified, address.primary) == (before, "sam@example.org", True, True)
    assert not EmailAddress.objects.filter(user=twin).exists()
    response = client.post("/accounts/login/", {"login": "sam@example.org", "password": GOOD})
    assert response.status_code == 302 and response["Location"] == "/app/"


def test_an_account_made_in_the_admin_confirms_its_email_at_first_sign_in(client, db):
    get_user_model().objects.create_user(username="ada", email="ada@example.org", password=GOOD)
    response = client.post("/accounts/login/", {"login": "ada@example.org", "password": GOOD})
    assert response["Location"] == "/accounts/confirm-email/"
    assert [m.subject for m in mail.outbox] == ["Confirm your email for PeerPlan"]
    response = confirm_email(client, mail.outbox[0])
    assert client.get("/app/").status_code == 200


def test_confirming_an_hour_after_signing_up_still_signs_in(client, db, settings):
    assert settings.ACCOUNT_LOGIN_TIMEOUT == 3600  # allauth's 15 minutes sent people back to the sign-in form
    sign_up(client)
    session = client.session
    session["account_login"]["initiated_at"] -= 50 * 60  # signed up 50 minutes ago
    session.save()
    response = confirm_email(client, mail.outbox[0])
    assert response["Location"] == "/app/"


def test_confirming_in_another_browser_says_to_sign_in_with_that_email(client, db):
    sign_up(client)
    other = Client()
    response = other.post(link_in(mail.outbox[0], "/accounts/confirm-email/"), follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    page = response.content.decode()
    assert "Your email is confirmed" in page
    assert "Sign in with sam.lee@example.org and your password to start." in page
