"""Sign up, sign in by email, sign out, change and reset a password."""

import re

from django.contrib.auth import get_user_model
from django.core import mail

GOOD = "a-long-pass-phrase-9"


def sign_up(client, **overrides):
    data = {
        "name": "Sam Lee",
        "email": "Sam.Lee@Example.org",
        "password1": GOOD,
        "password2": GOOD,
        **overrides,
    }
    return client.post("/accounts/signup/", data)


def test_signing_up_makes_an_account_named_by_the_lowercased_email_and_signs_in(client, db):
    response = sign_up(client)
    assert response.status_code == 302 and response["Location"] == "/app/"
    user = get_user_model().objects.get()
    assert (user.username, user.email, user.first_name) == (
        "sam.lee@example.org",
        "sam.lee@example.org",
        "Sam Lee",
    )
    assert client.get("/app/").status_code == 200


def test_an_email_already_used_in_another_case_is_refused_beside_the_field(client, db):
    sign_up(client)
    client.logout()
    response = sign_up(client, email="SAM.LEE@example.ORG", name="Another Sam")
    assert response.status_code == 200
    assert "An account with this email already exists" in response.content.decode()
    assert get_user_model().objects.count() == 1
    assert 'value="Another Sam"' in response.content.decode()


def test_two_different_passwords_are_refused(client, db):
    response = sign_up(client, password2="something-else-entirely")
    assert "The two passwords are not the same" in response.content.decode()
    assert not get_user_model().objects.exists()


def test_djangos_password_validators_apply(client, db):
    response = sign_up(client, password1="password", password2="password")
    assert "This password is too common" in response.content.decode()
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
    assert response["Location"] == "/app/invitations/abc/"


def test_sign_up_does_not_send_people_to_another_site(client, db):
    response = sign_up(client, next="https://evil.example.com/")
    assert response["Location"] == "/app/"


def test_the_sign_in_form_asks_for_an_email_and_offers_an_account(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert re.search(r"<label[^>]*>\s*Email", page)
    assert 'href="/accounts/signup/"' in page
    assert "Create an account" in page


def test_a_person_signs_in_with_their_email_in_any_case(client, db):
    sign_up(client)
    client.logout()
    response = client.post("/accounts/login/", {"username": "SAM.lee@example.org", "password": GOOD})
    assert response.status_code == 302 and response["Location"] == "/app/"


def test_a_wrong_password_says_so_plainly(client, db):
    sign_up(client)
    client.logout()
    response = client.post("/accounts/login/", {"username": "sam.lee@example.org", "password": "wrong-one-123"})
    assert response.status_code == 200
    assert "That email and password do not match an account" in response.content.decode()


def test_signing_out_is_a_post(client, owner):
    client.force_login(owner)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/app/").status_code == 302


def test_a_password_can_be_changed(client, owner):
    client.force_login(owner)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "correct-horse-battery-staple", "new_password1": GOOD, "new_password2": GOOD},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(GOOD)


def test_a_password_reset_emails_a_working_link(client, db):
    sign_up(client)
    client.logout()
    response = client.post("/accounts/password_reset/", {"email": "sam.lee@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == "Reset your PeerPlan password"
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", body).group(1)
    response = client.get(link, follow=True)
    assert "Choose a new password" in response.content.decode()
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "another-long-phrase-7", "new_password2": "another-long-phrase-7"},
    )
    assert response.status_code == 302
    assert get_user_model().objects.get().check_password("another-long-phrase-7")


def test_the_sign_up_link_is_in_the_navigation(client, db):
    assert 'href="/accounts/signup/"' in client.get("/evidence/").content.decode()
