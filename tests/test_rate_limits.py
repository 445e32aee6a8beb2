"""Rate limits on sign-up, password reset and invitations (issue 12, defect 5), on django-allauth's own
limiter: per client address (as the sign-in lock-out counts it behind a proxy) and per email address or
account, counted in the shared cache, with a clear "try again in N minutes" page; nothing is sent or
created once a limit is reached, and sign-up still never says whether an email has an account."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import checks, mail
from django.db import connection

from peerplan.models import Invitation
from tests.production import Browser, gunicorn, production_env, unexpected_tracebacks

GOOD = "a-long-pass-phrase-9"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "signup": "3/h/ip",
        "reset_password": "20/h/ip,2/h/key",
    }
    settings.PEERPLAN_RATE_LIMITS = {"invite": "3/h/user,5/h/ip"}


def sign_up(client, email, address="203.0.113.7", name="Sam Lee"):
    """As a browser behind the site's proxy: the proxy appends the client's address to X-Forwarded-For."""
    data = {"name": name, "email": email, "password1": GOOD, "password2": GOOD}
    response = client.post("/accounts/signup/", data, HTTP_X_FORWARDED_FOR=address)
    client.cookies.clear()  # the next sign-up is another visitor
    return response


def assert_paused(response, minutes):
    assert response.status_code == 429
    page = response.content.decode()
    assert "<h1>Too many attempts</h1>" in page
    assert f"Try again in {minutes} minutes." in page
    assert int(response["Retry-After"]) == minutes * 60


def test_sign_up_is_limited_per_client_address_and_says_when_to_try_again(client, db):
    for number in range(3):
        assert sign_up(client, f"person{number}@example.org")["Location"] == "/accounts/confirm-email/"
    outbox = len(mail.outbox)

    response = sign_up(client, "one.more@example.org")

    assert_paused(response, 60)
    assert not get_user_model().objects.filter(email="one.more@example.org").exists()
    assert len(mail.outbox) == outbox
    assert sign_up(client, "one.more@example.org", address="198.51.100.4").status_code == 302  # elsewhere: fine


def what_is_seen(response, email):
    """The page a person sees after following the answer, with the address they typed taken out."""
    main = re.search(r"<main.*?</main>", response.content.decode(), re.S).group(0)
    return response.redirect_chain, re.sub(r"\s+", " ", main).replace(email, "EMAIL")


def test_sign_up_answers_the_same_for_an_existing_email_and_its_inbox_gets_one_email_not_many(client, owner):
    """Someone tries an address over and over, from several addresses to dodge the limit: the pages are
    the same, attempt for attempt, whether or not the address has an account, and its inbox gets one
    email (allauth sends at most one to an address every few minutes)."""
    seen = {}
    for email in ("nobody.yet@example.org", "olive@example.org"):
        seen[email] = []
        for number in range(3):
            data = {"name": "Not Olive", "email": email.upper(), "password1": GOOD, "password2": GOOD}
            response = client.post("/accounts/signup/", data, HTTP_X_FORWARDED_FOR=f"198.51.100.{number}", follow=True)
            client.cookies.clear()
            seen[email].append(what_is_seen(response, email))

    assert seen["olive@example.org"] == seen["nobody.yet@example.org"]
    assert seen["olive@example.org"][0][0] == [("/accounts/confirm-email/", 302)]
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["nobody.yet@example.org"], "Confirm your email for PeerPlan"),
        (["olive@example.org"], "You already have a PeerPlan account"),
    ]
    owner.refresh_from_db()
    assert owner.first_name == "Olive"
    assert get_user_model().objects.filter(email__iexact="olive@example.org").count() == 1


def test_people_behind_the_same_proxy_are_counted_apart_and_a_forged_address_does_not_escape(client, db):
    for number in range(3):
        sign_up(client, f"a{number}@example.org", address="203.0.113.1")
    # The proxy appends the real client address on the right; what the client put before it is its own
    # invention and ignored, so it cannot make itself a fresh address.
    assert_paused(sign_up(client, "a9@example.org", address="10.9.9.9, 203.0.113.1"), 60)
    # A colleague behind the same proxy has their own address and is not held up.
    assert sign_up(client, "b0@example.org", address="203.0.113.2").status_code == 302


def test_password_reset_is_limited_per_email_from_any_address(client, owner):
    for number in range(2):
        response = client.post(
            "/accounts/password/reset/", {"email": owner.email}, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}"
        )
        assert response["Location"] == "/accounts/password/reset/done/"
    assert len(mail.outbox) == 2

    response = client.post(
        "/accounts/password/reset/", {"email": owner.email.upper()}, HTTP_X_FORWARDED_FOR="192.0.2.50"
    )

    assert_paused(response, 60)
    assert len(mail.outbox) == 2
    # Another address's inbox is not held up by it.
    response = client.post("/accounts/password/reset/", {"email": "someone@example.org"})
    assert response["Location"] == "/accounts/password/reset/done/"


def invite(client, email, address="198.51.100.20"):
    return client.post(
        "/app/orgs/northside/members/invite/", {"email": email, "role": "planner"}, HTTP_X_FORWARDED_FOR=address
    )


def test_sending_invitations_is_limited_per_account(client, owner, manager):
    client.force_login(manager)
    for number in range(3):
        assert invite(client, f"n{number}@example.org").status_code == 302

    response = invite(client, "n9@example.org", address="198.51.100.99")  # another address: same account

    assert_paused(response, 60)
    assert Invitation.objects.count() == 3 and len(mail.outbox) == 3
    client.force_login(owner)  # another account is not held up
    assert invite(client, "n10@example.org", address="198.51.100.21").status_code == 302


def test_sending_invitations_is_limited_per_client_address_across_accounts(client, owner, manager):
    client.force_login(manager)
    for number in range(3):
        invite(client, f"m{number}@example.org")
    client.force_login(owner)
    for number in range(2):
        assert invite(client, f"o{number}@example.org").status_code == 302

    assert_paused(invite(client, "o9@example.org"), 60)
    assert Invitation.objects.count() == 5


def test_the_counts_are_kept_in_the_shared_cache_not_in_a_workers_memory(client, db, settings):
    """Every gunicorn worker on every host must count together: allauth counts in Django's default cache,
    which is the database cache here (Redis where configured), never per-process memory."""
    sign_up(client, "counted@example.org")
    if settings.CACHES["default"]["BACKEND"] == "peerplan.lib.cache_backends.RedisCache":  # CACHE_URL
        from django.core.cache import cache

        keys = [key.decode() for key in cache._cache.get_client().keys("*")]
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key FROM peerplan_cache")
            keys = [row[0] for row in cursor.fetchall()]
    assert any("allauth:rl:allauth.account:signup" in key for key in keys), keys


def test_a_per_process_cache_is_refused_by_the_system_check(settings):
    assert not [e for e in checks.run_checks(tags=[checks.Tags.security]) if e.id == "peerplan.E001"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    errors = [e for e in checks.run_checks(tags=[checks.Tags.security]) if e.id == "peerplan.E001"]
    assert len(errors) == 1 and "per process" in errors[0].msg


def test_pages_within_the_limits_are_unaffected_and_looking_costs_nothing(client, db):
    for _ in range(5):
        assert client.get("/accounts/signup/").status_code == 200
        assert client.get("/accounts/password/reset/").status_code == 200
    assert sign_up(client, "after.looking@example.org").status_code == 302


def test_the_wait_shrinks_as_the_window_passes(client, db, monkeypatch):
    import time

    start = time.time()
    for number in range(3):
        sign_up(client, f"t{number}@example.org")
    monkeypatch.setattr(time, "time", lambda: start + 45 * 60)
    response = sign_up(client, "t9@example.org")
    assert response.status_code == 429
    minutes = int(re.search(r"Try again in (\d+) minutes?\.", response.content.decode()).group(1))
    assert 14 <= minutes <= 16


def test_two_hosts_with_several_workers_count_one_limit_together(database_env, collected_static, tmp_path):
    """Over real HTTP: two gunicorn servers ("hosts", two workers each) on one database, production
    settings, a limit of 4 sign-ups an hour per address. Sign-ups from one address alternate between the
    hosts; the fifth is refused whichever host gets it. Counted per process, each worker would let 4
    through (16 in all)."""
    env = production_env(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        STATIC_ROOT=collected_static,
        RATE_LIMIT_SIGNUPS_PER_HOUR="4",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        **database_env,
    )
    answers = []
    with gunicorn(env, tmp_path / "a.log", workers=2) as host_a, gunicorn(env, tmp_path / "b.log", workers=2) as host_b:
        for number in range(8):
            browser = Browser((host_a, host_b)[number % 2].url)  # a new visitor each time, a new connection
            status, _, page = browser.request("/accounts/signup/")
            assert status == 200
            data = {
                "name": "Visitor",
                "email": f"visitor{number}@example.org",
                "password1": GOOD,
                "password2": GOOD,
                "csrfmiddlewaretoken": browser.csrf_token(page),
            }
            status, headers, page = browser.request("/accounts/signup/", data)
            answers.append(status)
            if status == 429:
                assert b"Try again in 60 minutes." in page and headers["Retry-After"] == "3600"
        logs = host_a.log() + host_b.log()
    assert answers == [302, 302, 302, 302, 429, 429, 429, 429], answers
    assert unexpected_tracebacks(logs) == []
