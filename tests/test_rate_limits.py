"""Rate limits on sign-up, password reset and invitations (issue 12, defect 5): per client address (as
the sign-in lock-out counts it behind a proxy) and per email address or account, with a clear "try again
in N minutes" page; nothing is sent or created once the limit is reached."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from peerplan.models import Invitation
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.RATE_LIMIT_SIGNUPS = 3
    settings.RATE_LIMIT_PASSWORD_RESETS = 2
    settings.RATE_LIMIT_INVITATIONS = 3


def sign_up(client, email, address="203.0.113.7"):
    data = {"name": "Sam", "email": email, "password1": "a-long-pass-9x", "password2": "a-long-pass-9x"}
    return client.post("/accounts/signup/", data, HTTP_X_FORWARDED_FOR=address)


def assert_paused(response):
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts" in page
    assert re.search(r"Try again in \d+ minutes?\.", page)
    assert int(response["Retry-After"]) > 0


def test_sign_up_is_limited_per_address(client, db):
    for number in range(3):
        sign_up(client, f"person{number}@example.org")
        client.logout()
    before = get_user_model().objects.count()
    outbox = len(mail.outbox)

    response = sign_up(client, "one.more@example.org")

    assert_paused(response)
    assert get_user_model().objects.count() == before and len(mail.outbox) == outbox


def test_sign_up_is_limited_per_email_from_any_address(client, db):
    for number in range(3):
        sign_up(client, "same@example.org", address=f"198.51.100.{number}")
        client.logout()

    assert_paused(sign_up(client, "SAME@example.org", address="198.51.100.99"))


def test_people_behind_the_same_proxy_are_counted_apart_and_a_forged_address_does_not_escape(client, db):
    for number in range(3):
        sign_up(client, f"a{number}@example.org", address="203.0.113.1")
        client.logout()
    # The proxy appends the real client address on the right; what the client put before it is ignored.
    assert_paused(sign_up(client, "a9@example.org", address="10.9.9.9, 203.0.113.1"))
    assert sign_up(client, "b0@example.org", address="203.0.113.2").status_code != 429


def test_password_reset_is_limited_per_email_and_says_when_to_try_again(client, owner):
    for _ in range(2):
        assert client.post("/accounts/password_reset/", {"email": owner.email}).status_code == 302
    assert len(mail.outbox) == 2

    response = client.post("/accounts/password_reset/", {"email": owner.email.upper()}, REMOTE_ADDR="192.0.2.50")

    assert_paused(response)
    assert "Try again in" in response.content.decode()
    assert len(mail.outbox) == 2


def test_invitations_are_limited_per_account(client, owner, manager):
    client.force_login(manager)
    for number in range(3):
        response = client.post(
            "/app/orgs/northside/members/invite/", {"email": f"n{number}@example.org", "role": "planner"}
        )
        assert response.status_code == 302

    response = client.post(
        "/app/orgs/northside/members/invite/",
        {"email": "n9@example.org", "role": "planner"},
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )

    assert_paused(response)
    assert Invitation.objects.count() == 3 and len(mail.outbox) == 3
    client.force_login(owner)  # another account, from another address, is not held up
    response = client.post(
        "/app/orgs/northside/members/invite/",
        {"email": "n10@example.org", "role": "planner"},
        HTTP_X_FORWARDED_FOR="198.51.100.21",
    )
    assert response.status_code == 302


def test_the_limits_are_counted_in_the_shared_cache_every_worker_reads(settings):
    """Several gunicorn workers (and hosts) must count together: not a per-process memory cache."""
    backend = settings.CACHES["default"]["BACKEND"]
    assert not backend.endswith(("LocMemCache", "DummyCache")), backend


def test_a_page_within_the_limit_is_unaffected(client, db):
    make_user("x")
    assert client.get("/accounts/signup/").status_code == 200
    assert client.get("/accounts/password_reset/").status_code == 200
