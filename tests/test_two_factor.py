"""Two-factor sign-in (allauth's TOTP with recovery codes): set up from the account page, asked for at
sign-in, required by an organisation's owner for its members, or by the site (REQUIRE_2FA)."""

import time

import pyotp
import pytest
from allauth.mfa.models import Authenticator

from tests.factories import PASSWORD
from tests.worlds import SECRET, turn_on_two_factor


def sign_in(client, user, password=PASSWORD):
    return client.post("/accounts/login/", {"login": user.email, "password": password})


def confirm_password(client, password=PASSWORD):
    """allauth asks for the password again (within 5 minutes) before two-factor is set up or turned off."""
    return client.post("/accounts/reauthenticate/", {"password": password})


def test_the_account_page_offers_two_factor_and_says_it_is_off(client, planner):
    client.force_login(planner)
    page = client.get("/accounts/").content.decode()
    assert "Two-factor sign-in" in page and "Off." in page
    assert 'href="/accounts/2fa/totp/activate/"' in page


def test_setting_up_two_factor_takes_a_code_from_the_app_and_gives_recovery_codes(client, planner):
    sign_in(client, planner)
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    confirm_password(client)
    page = client.get("/accounts/2fa/totp/activate/").content.decode()
    secret = page.split('id="authenticator_secret"')[1].split('value="')[1].split('"')[0]
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    assert not Authenticator.objects.filter(user=planner).exists()
    response = client.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    codes = client.get("/accounts/2fa/recovery-codes/").content.decode()
    assert "Recovery codes" in codes and "10 of 10 unused" in codes
    assert "On: when you sign in" in client.get("/accounts/").content.decode()


def test_signing_in_asks_for_the_code_after_the_password(client, planner):
    turn_on_two_factor(planner)
    response = sign_in(client, planner)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/app/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert "That code is not right" in wrong.content.decode()
    response = client.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(SECRET).now()})
    assert response["Location"] == "/app/"
    assert client.get("/app/").status_code == 200


def test_a_code_of_the_window_before_or_after_is_accepted_but_not_two_windows_away(client, planner):
    """A code typed as it turns over is not refused (one 30-second step either way), an older one is."""
    turn_on_two_factor(planner)
    totp = pyotp.TOTP(SECRET)
    sign_in(client, planner)
    stale = client.post("/accounts/2fa/authenticate/", {"code": totp.at(time.time() - 90)})
    assert "That code is not right" in stale.content.decode()
    response = client.post("/accounts/2fa/authenticate/", {"code": totp.at(time.time() - 30)})
    assert response["Location"] == "/app/"


def test_a_recovery_code_works_once_instead_of_the_app(client, planner):
    codes = turn_on_two_factor(planner)
    sign_in(client, planner)
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]})["Location"] == "/app/"
    client.post("/accounts/logout/")
    sign_in(client, planner)
    again = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert again.status_code == 200 and "That code is not right" in again.content.decode()
    assert client.get("/app/").status_code == 302


def test_an_owner_requires_two_factor_only_after_setting_it_up_themselves(client, owner, org_a):
    client.force_login(owner)
    response = client.post("/app/orgs/northside/two-factor/", {"require_two_factor": "on"}, follow=True)
    assert "Set up two-factor sign-in for yourself first" in response.content.decode()
    org_a.refresh_from_db()
    assert not org_a.require_two_factor
    turn_on_two_factor(owner)
    response = client.post("/app/orgs/northside/two-factor/", {"require_two_factor": "on"}, follow=True)
    assert "Members must now set up two-factor sign-in" in response.content.decode()
    org_a.refresh_from_db()
    assert org_a.require_two_factor


@pytest.mark.parametrize("person", ["manager", "planner", "viewer"])
def test_only_an_owner_changes_the_two_factor_rule(client, org_a, person, request):
    client.force_login(request.getfixturevalue(person))
    assert client.post("/app/orgs/northside/two-factor/", {"require_two_factor": "on"}).status_code == 403
    org_a.refresh_from_db()
    assert not org_a.require_two_factor


def test_a_member_without_two_factor_is_led_to_set_it_up_before_seeing_the_organisation(client, org_a, planner):
    org_a.require_two_factor = True
    org_a.save()
    sign_in(client, planner)
    for path in ["/app/orgs/northside/", "/app/orgs/northside/dashboard/", "/app/orgs/northside/members/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"/accounts/2fa/totp/activate/?next={path.replace('/', '%2F')}"
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Northside Mental Health Service asks its members to set up two-factor sign-in" in page
    turn_on_two_factor(planner)
    assert client.get("/app/orgs/northside/").status_code == 200


def test_a_checklist_of_an_organisation_requiring_two_factor_is_not_shown_without_it(client, org_a, owner, planner):
    from peerplan.operations import checklists

    checklist = checklists.create_checklist_from_evidence(organisation=org_a, title="Plan", by=owner)
    org_a.require_two_factor = True
    org_a.save()
    client.force_login(planner)
    response = client.get(f"/app/checklists/{checklist.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/totp/activate/")
    assert "Plan" not in client.get(f"/app/checklists/{checklist.pk}/export.csv").content.decode()


def test_two_factor_cannot_be_turned_off_while_required(client, org_a, planner):
    turn_on_two_factor(planner)
    org_a.require_two_factor = True
    org_a.save()
    sign_in(client, planner)
    client.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(SECRET).now()})
    confirm_password(client)
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert "Two-factor sign-in stays on" in response.content.decode()
    assert Authenticator.objects.filter(user=planner, type=Authenticator.Type.TOTP).exists()


def test_the_site_can_require_two_factor_of_everyone(client, settings, outsider):
    settings.REQUIRE_2FA = True
    sign_in(client, outsider)
    response = client.get("/app/")
    assert response["Location"] == "/accounts/2fa/totp/activate/?next=%2Fapp%2F"
    assert client.get("/evidence/").status_code == 200  # the public evidence stays open
    confirm_password(client)
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    turn_on_two_factor(outsider)
    assert client.get("/app/").status_code == 200


def test_an_api_token_of_a_member_without_two_factor_is_refused_while_the_organisation_requires_it(
    client, org_a, planner
):
    from tests.api_helpers import call, token_for

    secret = token_for(planner, org_a)
    assert call(client, "GET", "/api/organisations/northside/", secret).status_code == 200
    org_a.require_two_factor = True
    org_a.save()
    response = call(client, "GET", "/api/organisations/northside/", secret)
    assert response.status_code == 403 and response["Content-Type"].startswith("application/json")
    assert "requires two-factor sign-in of its members" in response.content.decode()
    turn_on_two_factor(planner)
    assert call(client, "GET", "/api/organisations/northside/", secret).status_code == 200


def test_the_admin_signs_in_through_the_sites_sign_in(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
