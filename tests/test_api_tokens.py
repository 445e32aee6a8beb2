"""Personal access tokens on the pages: made on the API tokens page for one organisation, read or read and
write, optional expiry; the secret shown once and stored only as a digest; listed with last use; revoked by
their person or by an owner of their organisation, and refused at once when revoked or expired."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from peerplan.api.models import AccessToken, digest
from tests.api_helpers import call, token_for


def make_token(client, **fields):
    data = {"organisation": "", "name": "Power BI", "access": "read", "expires_on": "", **fields}
    return client.post("/app/tokens/", data)


def secret_on(page):
    match = re.search(r'id="new-token"[^>]*value="(pp_[^"]+)"', page)
    return match and match.group(1)


def test_a_member_makes_a_token_and_sees_it_once(client, org_a, planner):
    client.force_login(planner)

    response = make_token(client, organisation=org_a.pk, access="write")

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = secret_on(page)
    assert secret and "shown only once" in page
    token = AccessToken.objects.get()
    assert token.digest == digest(secret) and secret not in (token.prefix, token.digest, token.name)
    assert secret.startswith(token.prefix)
    assert (token.user, token.organisation, token.access) == (planner, org_a, "write")
    # The list shows it by name and first characters, never the secret again.
    again = client.get("/app/tokens/").content.decode()
    assert "Power BI" in again and f"{token.prefix}…" in again and secret not in again
    assert call(client, "GET", "/api/organisations/", secret).status_code == 200


def test_the_list_shows_when_a_token_was_last_used(client, org_a, planner):
    secret = token_for(planner, org_a)
    client.force_login(planner)
    assert "Never used" in client.get("/app/tokens/").content.decode()

    call(client, "GET", "/api/organisations/", secret)

    token = AccessToken.objects.get()
    assert token.last_used_at is not None and timezone.now() - token.last_used_at < timedelta(minutes=1)
    assert "Never used" not in client.get("/app/tokens/").content.decode()


def test_a_viewer_cannot_make_a_write_token(client, org_a, viewer):
    client.force_login(viewer)

    response = make_token(client, organisation=org_a.pk, access="write")

    assert response.status_code == 400
    assert "a token can only read" in response.content.decode()
    assert not AccessToken.objects.exists()


def test_a_token_is_only_for_ones_own_organisations(client, org_a, org_b, planner, outsider):
    client.force_login(planner)

    response = make_token(client, organisation=org_b.pk)

    assert response.status_code == 400
    assert "Choose one of your organisations." in response.content.decode()
    assert not AccessToken.objects.exists()


def test_an_expiry_in_the_past_is_refused_and_an_expired_token_stops_working(client, org_a, planner):
    client.force_login(planner)
    yesterday = (date.today() - timedelta(days=1)).isoformat()

    assert make_token(client, organisation=org_a.pk, expires_on=yesterday).status_code == 400
    secret = secret_on(make_token(client, organisation=org_a.pk, expires_on=date.today().isoformat()).content.decode())
    assert call(client, "GET", "/api/organisations/", secret).status_code == 200

    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert call(client, "GET", "/api/organisations/", secret).status_code == 401
    assert "Expired" in client.get("/app/tokens/").content.decode()


def test_a_person_revokes_their_token_and_it_stops_working_at_once(client, org_a, planner):
    secret = token_for(planner, org_a)
    token = AccessToken.objects.get()
    client.force_login(planner)

    response = client.post(f"/app/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == planner
    assert call(client, "GET", "/api/organisations/", secret).status_code == 401


def test_an_owner_sees_and_revokes_the_members_tokens(client, org_a, owner, planner):
    secret = token_for(planner, org_a)
    token = AccessToken.objects.get()
    client.force_login(owner)

    page = client.get("/app/tokens/orgs/northside/").content.decode()
    assert "Pat" in page and token.name in page
    response = client.post(f"/app/tokens/{token.pk}/revoke/", {"next": "/app/tokens/orgs/northside/"})

    assert response.status_code == 302 and response["Location"] == "/app/tokens/orgs/northside/"
    assert call(client, "GET", "/api/organisations/", secret).status_code == 401


@pytest.mark.parametrize("role", ["manager", "planner", "viewer"])
def test_only_owners_see_the_organisations_tokens(client, org_a, owner, role, request):
    token_for(owner, org_a)
    client.force_login(request.getfixturevalue(role))

    assert client.get("/app/tokens/orgs/northside/").status_code == 403


def test_other_members_and_outsiders_cannot_revoke_a_token_they_do_not_own(
    client, org_a, owner, manager, planner, outsider
):
    token_for(owner, org_a)
    token = AccessToken.objects.get()
    for person in (manager, planner, outsider):
        client.force_login(person)
        assert client.post(f"/app/tokens/{token.pk}/revoke/").status_code == 404
    client.force_login(outsider)
    assert client.get("/app/tokens/orgs/northside/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_tokens_page_needs_sign_in_and_revoking_needs_post(client, org_a, planner):
    token_for(planner, org_a)
    token = AccessToken.objects.get()
    assert client.get("/app/tokens/")["Location"].startswith("/accounts/login/")
    client.force_login(planner)
    assert client.get(f"/app/tokens/{token.pk}/revoke/").status_code == 405
    assert client.get("/app/tokens/").content.decode().count("<h1") == 1


def test_api_tokens_are_under_account_not_in_every_members_main_menu(client, planner):
    client.force_login(planner)
    page = client.get("/app/").content.decode()
    menu = page[page.index('aria-label="Main"') : page.index("</nav>")]
    assert "API tokens" not in menu
    account = client.get("/accounts/").content.decode()
    assert '<a class="btn btn-outline-primary" href="/app/tokens/">Your API tokens</a>' in account
