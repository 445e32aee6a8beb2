"""The signed-in person and their session are read from the shared cache (peerplan/accounts/person.py,
SESSION_ENGINE cached_db), and still every change that must end a session or shut a person out does so at
their next request: signing out, a password changed elsewhere, an account switched off or deleted, two-factor
taken away where an organisation requires it. Each is checked with the person already in the cache, both
inside the test's transaction and once committed (the generation replaced for every worker)."""

from importlib import import_module

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from peerplan.models.person_generations import record_key
from peerplan.operations import accounts, organisations
from tests.factories import PASSWORD
from tests.worlds import turn_on_two_factor

NEW_PASSWORD = "a-new-and-long-phrase-42"


def signed_in(user):
    """A browser of the person's, signed in, that has opened a page (so the person is in the cache)."""
    browser = Client()
    browser.force_login(user)
    assert browser.get("/app/").status_code == 200
    return browser


def is_signed_in(browser):
    return browser.get("/app/").status_code == 200


@pytest.fixture(params=["in the transaction", "committed"])
def writes(request, django_capture_on_commit_callbacks):
    """Runs a write as the test's own transaction sees it, or as a committed one (its generation replaced)."""

    def write(change):
        if request.param == "committed":
            with django_capture_on_commit_callbacks(execute=True):
                change()
        else:
            change()

    return write


def test_the_person_is_read_from_the_cache_not_the_database_once_signed_in(planner):
    browser = signed_in(planner)
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/app/").status_code == 200
    assert not [q for q in queries.captured_queries if '"auth_user"' in q["sql"].split("WHERE")[0]]


def test_a_password_changed_in_one_browser_signs_out_every_other(client, planner):
    other = signed_in(planner)
    client.force_login(planner)
    response = client.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert is_signed_in(client)  # the browser that changed it stays signed in
    assert not is_signed_in(other)


def test_a_password_changed_anywhere_signs_out_at_the_next_request(planner, writes):
    browser = signed_in(planner)

    def change():
        planner.set_password(NEW_PASSWORD)
        planner.save()

    writes(change)
    assert not is_signed_in(browser)


def test_an_account_switched_off_is_signed_out_at_the_next_request(planner, writes):
    browser = signed_in(planner)

    def switch_off():
        planner.is_active = False
        planner.save()

    writes(switch_off)
    assert not is_signed_in(browser)


def test_signing_out_ends_the_session_for_whoever_holds_its_cookie(planner):
    browser = signed_in(planner)
    copy = Client()
    copy.cookies = browser.cookies.__class__(browser.cookies)  # the same session cookie, elsewhere
    assert is_signed_in(copy)
    assert browser.post("/accounts/logout/").status_code == 302
    assert not is_signed_in(copy)


def test_deleting_an_account_ends_its_sessions_in_the_cache_too(planner, org_a, django_capture_on_commit_callbacks):
    browser = signed_in(planner)
    session_key = browser.session.session_key
    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert store().exists(session_key)
    assert cache.get(record_key(planner.pk)) is not None  # their account row, kept for their requests
    with django_capture_on_commit_callbacks(execute=True):
        accounts.delete_account(user=planner, confirm_email=planner.email)
    assert not store().exists(session_key)
    assert cache.get(record_key(planner.pk)) is None  # with its password hash: not left in the shared cache
    assert not is_signed_in(browser)


def test_a_changed_account_leaves_the_shared_cache_when_its_change_commits(transactional_db, planner):
    # Each write commits, as in production (the test's own transaction would hold the commit back).
    signed_in(planner)
    assert cache.get(record_key(planner.pk)) is not None
    planner.first_name = "Renamed"
    planner.save()
    assert cache.get(record_key(planner.pk)) is None
    signed_in(planner)  # read again from the database, and kept again
    _read_in, kept = cache.get(record_key(planner.pk))
    assert kept.first_name == "Renamed"


def test_two_factor_taken_away_shuts_the_person_out_where_it_is_required(owner, planner, org_a, writes):
    turn_on_two_factor(owner)
    turn_on_two_factor(planner)
    organisations.set_two_factor_requirement(organisation=org_a, required=True, by=owner)
    browser = signed_in(planner)
    assert browser.get(f"/app/orgs/{org_a.slug}/").status_code == 200
    writes(lambda: Authenticator.objects.filter(user=planner).delete())
    response = browser.get(f"/app/orgs/{org_a.slug}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/totp/activate/")
    writes(lambda: turn_on_two_factor(planner))
    assert browser.get(f"/app/orgs/{org_a.slug}/").status_code == 200


def test_a_removed_member_is_turned_away_at_their_next_request(owner, planner, org_a):
    browser = signed_in(planner)
    assert browser.get(f"/app/orgs/{org_a.slug}/").status_code == 200
    organisations.remove_member(membership=planner.memberships.get(organisation=org_a), by=owner)
    assert browser.get(f"/app/orgs/{org_a.slug}/").status_code == 404
