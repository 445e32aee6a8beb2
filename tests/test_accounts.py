"""Sign up, sign in by email, sign out, change and reset a password."""

import re

from django.contrib.auth import get_user_model
from django.core import mail

GOOD = "a-long-pass-phrase-9"


def confirm_from_email(client, message=None):
    """Open the link in the confirmation email and press its button, as the person would; the answer."""
    message = message or mail.outbox[-1]
    link = re.search(r"https?://[^/\s]+(/accounts/\S+)", message.body).group(1)
    page = client.get(link)
    assert page.status_code == 200 and "Confirm and sign in" in page.content.decode()
    return client.post(link, {"next": re.search(r'name="next" value="([^"]*)"', page.content.decode()).group(1)})


def sign_up(client, **overrides):
    data = {
        "name": "Sam Lee",
        "email": "Sam.Lee@Example.org",
        "password1": GOOD,
        "password2": GOOD,
        **overrides,
    }
    return client.post("/accounts/signup/", data)


def test_signing_up_sends_a_link_that_confirms_the_email_and_signs_in(client, db):
    response = sign_up(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/sent/"
    assert "Check your email" in client.get("/accounts/signup/sent/").content.decode()
    assert client.get("/app/").status_code == 302  # not signed in until the address is confirmed
    assert [m.to for m in mail.outbox] == [["sam.lee@example.org"]]
    assert "Confirm your email" in mail.outbox[0].subject

    response = confirm_from_email(client)

    assert response.status_code == 302 and response["Location"] == "/app/"
    user = get_user_model().objects.get()
    assert (user.username, user.email, user.first_name, user.is_active) == (
        "sam.lee@example.org",
        "sam.lee@example.org",
        "Sam Lee",
        True,
    )
    assert client.get("/app/").status_code == 200
    used = re.search(r"(/accounts/\S+)", mail.outbox[0].body).group(1)
    assert client.get(used).status_code == 410  # the link works once


def test_sign_up_answers_the_same_for_an_existing_email_and_tells_its_owner_by_email(client, db):
    sign_up(client)
    confirm_from_email(client)
    client.logout()
    mail.outbox.clear()
    new = sign_up(client, email="someone.new@example.org", name="Someone New")
    client.logout()

    existing = sign_up(
        client,
        email="SAM.LEE@example.ORG",
        name="Another Sam",
        password1="x-other-pass-77",
        password2="x-other-pass-77",
    )

    assert (existing.status_code, existing["Location"]) == (new.status_code, new["Location"])
    assert "already exists" not in client.get(existing["Location"]).content.decode()
    to_sam = [m for m in mail.outbox if m.to == ["sam.lee@example.org"]]
    assert len(to_sam) == 1 and "You already have a PeerPlan account" in to_sam[0].subject
    assert "/accounts/login/" in to_sam[0].body and "/accounts/password_reset/" in to_sam[0].body
    sam = get_user_model().objects.get(email="sam.lee@example.org")
    assert sam.first_name == "Sam Lee" and sam.check_password(GOOD)  # nothing changed
    assert get_user_model().objects.filter(email__iexact="sam.lee@example.org").count() == 1


def test_an_unconfirmed_sign_up_can_be_made_again_and_only_the_latest_link_works(client, db):
    sign_up(client, password1="first-pass-phrase-1", password2="first-pass-phrase-1")
    first = mail.outbox[-1]
    sign_up(client, name="Sam Again")

    confirm_from_email(client)

    user = get_user_model().objects.get()
    assert user.first_name == "Sam Again" and user.check_password(GOOD) and user.is_active
    client.logout()
    stale = re.search(r"(/accounts/\S+)", first.body).group(1)
    assert client.get(stale).status_code == 410


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
    assert response["Location"] == "/accounts/signup/sent/"
    assert confirm_from_email(client)["Location"] == "/app/invitations/abc/"


def test_sign_up_does_not_send_people_to_another_site(client, db):
    sign_up(client, next="https://evil.example.com/")
    assert confirm_from_email(client)["Location"] == "/app/"


def test_the_sign_in_form_asks_for_an_email_and_offers_an_account(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert re.search(r"<label[^>]*>\s*Email", page)
    assert 'href="/accounts/signup/"' in page
    assert "Create an account" in page


def test_a_person_signs_in_with_their_email_in_any_case(client, db):
    sign_up(client)
    confirm_from_email(client)
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
    confirm_from_email(client)
    client.logout()
    mail.outbox.clear()
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
