"""Security headers, CSRF and the sign-in rate limit (django-axes, counting by the email typed on allauth's
sign-in form: 5 failures per account and per address, a 15-minute pause, unlocked early by an administrator or by an owner or manager of the organisation)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from tests.factories import PASSWORD, make_user

LOGIN = "/accounts/login/"
PAGES = ["/", "/evidence/", LOGIN]


def sign_in(client, username, password, address="10.0.0.1"):
    """Through allauth's sign-in form, by email (a bare name means the conftest person's email)."""
    email = username if "@" in username else f"{username}@example.org"
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, address="10.0.0.1"):
    return [sign_in(client, username, "wrong password", address).status_code for _ in range(times)]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_a_content_security_policy_without_inline_script_or_style(client, db, url):
    response = client.get(url)

    assert response.status_code == 200
    policy = dict(directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_refuses_framing_and_keeps_the_referrer_on_the_site(client, db, url):
    response = client.get(url)

    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_https_answers_carry_hsts_in_production_settings(client, db):
    response = client.get("/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_http_is_redirected_to_https_in_production_settings(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/evidence/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/evidence/"


def test_signing_in_without_a_csrf_token_is_refused(db):
    make_user("maya")
    client = Client(enforce_csrf_checks=True)

    response = sign_in(client, "maya", PASSWORD)

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_signing_in_with_the_csrf_token_works(db):
    make_user("maya")
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    token = client.cookies["csrftoken"].value

    response = client.post(LOGIN, {"login": "maya@example.org", "password": PASSWORD, "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_five_wrong_passwords_pause_sign_in_with_a_clear_page(client, db):
    make_user("maya")

    statuses = fail(client, "maya", 5)

    assert statuses == [200, 200, 200, 200, 429]
    response = sign_in(client, "maya", "wrong password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "<h1>Sign-in paused</h1>" in page
    assert "Try again in 15 minutes" in page
    assert "ask an owner or manager of your organisation to unlock your sign-in on its members page" in page


def test_the_right_password_is_refused_while_the_account_is_paused(client, db):
    make_user("maya")
    fail(client, "maya", 5)

    response = sign_in(client, "maya", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_account_is_paused_from_every_address(client, db):
    make_user("maya")
    fail(client, "maya", 5, address="10.0.0.1")

    response = sign_in(client, "maya", PASSWORD, address="10.9.9.9")

    assert response.status_code == 429


def test_an_address_that_fails_for_many_accounts_is_paused_for_all(client, db):
    for name in ["ann", "bob", "cat", "dan", "eve", "maya"]:
        make_user(name)
    for name in ["ann", "bob", "cat", "dan", "eve"]:
        fail(client, name, 1, address="10.6.6.6")

    assert sign_in(client, "maya", PASSWORD, address="10.6.6.6").status_code == 429
    assert sign_in(client, "maya", PASSWORD, address="10.0.0.2").status_code == 302


def test_people_behind_the_same_proxy_are_counted_apart(client, db):
    """Behind the TLS proxy every request comes from the proxy's address; the client's own address is
    the last one in X-Forwarded-For, so one person's mistakes do not lock out everyone else."""
    make_user("maya")
    make_user("ann")
    for _ in range(5):
        client.post(
            LOGIN,
            {"login": "ann@example.org", "password": "nope"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="10.1.1.1",
        )

    response = client.post(
        LOGIN,
        {"login": "maya@example.org", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.2.2.2",
    )

    assert response.status_code == 302


def test_a_forged_forwarded_address_does_not_escape_the_limit(client, db):
    make_user("ann")
    make_user("maya")
    for number in range(5):  # the client forges a different first entry each time; the proxy appends the real one
        client.post(
            LOGIN,
            {"login": "ann@example.org", "password": "nope"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, 10.1.1.1",
        )

    response = client.post(
        LOGIN,
        {"login": "maya@example.org", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.99, 10.1.1.1",
    )

    assert response.status_code == 429


def test_fewer_failures_than_the_limit_do_not_pause_and_success_clears_them(client, db):
    make_user("maya")
    fail(client, "maya", 4)

    assert sign_in(client, "maya", PASSWORD).status_code == 302
    client.logout()
    assert fail(client, "maya", 4) == [200, 200, 200, 200]  # counting started again


def test_the_pause_ends_after_the_cool_off_time(client, db):
    make_user("maya")
    fail(client, "maya", 5)
    assert sign_in(client, "maya", PASSWORD).status_code == 429

    # Fifteen minutes and a second later.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=15, seconds=1)
    )
    response = sign_in(client, "maya", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_an_administrator_unlocks_an_account_with_the_management_command(client, db, capsys):
    make_user("maya")
    fail(client, "maya", 5, address="10.0.0.1")

    call_command("axes_reset_username", "maya@example.org")

    assert "attempts removed" in capsys.readouterr().out
    assert sign_in(client, "maya", PASSWORD, address="10.0.0.3").status_code == 302


def test_an_administrator_unlocks_an_account_in_the_admin(client, db, admin_client):
    make_user("maya")
    fail(client, "maya", 5)
    attempt = AccessAttempt.objects.get(username="maya@example.org")

    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "maya" in listing.content.decode()
    deleted = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert sign_in(client, "maya", PASSWORD).status_code == 302


def test_passwords_are_checked_by_djangos_validators(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = make_user("maya")
    for weak in ["password", "12345678", "maya", "short"]:
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("correct-horse-battery-staple", user)


def test_the_lock_out_page_says_a_longer_pause_in_hours(client, db, settings):
    settings.AXES_COOLOFF_TIME = timedelta(hours=2)
    make_user("maya")

    fail(client, "maya", 5)

    response = sign_in(client, "maya", PASSWORD)

    assert response.status_code == 429
    assert "Try again in 2 hours" in response.content.decode()


def members_page(client, slug="northside"):
    return client.get(f"/app/orgs/{slug}/members/").content.decode()


def test_a_manager_sees_a_members_paused_sign_in_and_unlocks_it(client, manager, planner):
    staff = Client()
    staff.force_login(manager)
    assert "Sign-in paused" not in members_page(staff)
    fail(client, "pat@example.org", 5)
    assert sign_in(client, "pat@example.org", PASSWORD).status_code == 429

    page = members_page(staff)
    assert "Sign-in paused" in page
    assert 'Unlock sign-in<span class="visually-hidden"> for pat@example.org' in page
    membership = planner.memberships.get()
    response = staff.post(f"/app/orgs/northside/members/{membership.pk}/unlock/", follow=True)

    assert "Pat can sign in again now." in response.content.decode()
    assert "Sign-in paused" not in members_page(staff)
    assert sign_in(client, "pat@example.org", PASSWORD, address="10.0.0.7").status_code == 302


def test_unlocking_is_only_for_members_of_the_managers_organisation(client, manager, outsider):
    fail(client, "otto@example.org", 5)
    staff = Client()
    staff.force_login(manager)
    theirs = outsider.memberships.get()

    assert staff.post(f"/app/orgs/northside/members/{theirs.pk}/unlock/").status_code == 404
    assert staff.post(f"/app/orgs/southside/members/{theirs.pk}/unlock/").status_code == 404
    assert sign_in(client, "otto@example.org", PASSWORD, address="10.0.0.8").status_code == 429


def test_planners_cannot_unlock_and_the_unlock_is_a_post(client, planner, viewer, manager):
    fail(client, "vic@example.org", 5)
    target = viewer.memberships.get()
    colleague = Client()
    colleague.force_login(planner)
    staff = Client()
    staff.force_login(manager)

    assert colleague.post(f"/app/orgs/northside/members/{target.pk}/unlock/").status_code == 403
    assert "Unlock sign-in" not in members_page(colleague)
    assert staff.get(f"/app/orgs/northside/members/{target.pk}/unlock/").status_code == 405
    assert sign_in(client, "vic@example.org", PASSWORD, address="10.0.0.9").status_code == 429
