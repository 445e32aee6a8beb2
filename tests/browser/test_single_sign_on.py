"""Single sign-on through a real OpenID Connect provider on this machine: django-oauth-toolkit in its own
process on a loopback port (tests/oidc_provider), with PeerPlan registered as its client. No mock of the
protocol: discovery, the redirect, signing in at the provider, the code exchange, the ID token (signed
with a key made for this run) and the userinfo endpoint are all the provider's own."""

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import expect

from peerplan.models import Membership, SignOnDomain
from tests.browser.helpers import sign_in
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "peerplan-test-client", "peerplan-test-secret-not-for-production"
PEOPLE = [
    # A new person at a domain an organisation lists: joins it on first sign-in.
    {"username": "nia", "password": "nia-provider-pass", "email": "nia@nhs.example", "name": "Nia Provider"},
    # The same verified email as PeerPlan's owner Olive: signs in to Olive's account.
    {"username": "olive-sso", "password": "olive-provider-pass", "email": "olive@example.org", "name": "Olive"},
    # Claims viewer Vic's email, but the provider has not verified it: must not get into Vic's account.
    {
        "username": "mallory",
        "password": "mallory-provider-pass",
        "email": "vic@example.org",
        "name": "Mallory",
        "groups": ["unverified"],
    },
    # Sent back with an ID token whose nonce belongs to another sign-in.
    {
        "username": "replay",
        "password": "replay-provider-pass",
        "email": "replay@nhs.example",
        "name": "Replay",
        "groups": ["replayed"],
    },
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def identity_provider(live_server, tmp_path_factory):
    """Start the provider for this run; stop it (by its own process) at the end."""
    folder = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    port = free_port()
    config = {
        "port": port,
        "database": str(folder / "provider.sqlite3"),
        "key_file": str(folder / "key.pem"),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [
            f"{live_server.url}/accounts/oidc/{provider_id}/login/callback/"
            for provider_id in ("test-idp", "admin-idp")
        ],
        "people": PEOPLE,
    }
    (folder / "config.json").write_text(json.dumps(config))
    log = open(folder / "provider.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(folder / "config.json")],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/o/.well-known/openid-configuration", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the test identity provider did not start:\n{(folder / 'provider.log').read_text()}")
        time.sleep(0.3)
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


def provider_app(server_url, provider_id="test-idp", name="Test IdP"):
    return {
        "provider_id": provider_id,
        "name": name,
        "client_id": CLIENT_ID,
        "secret": CLIENT_SECRET,
        "settings": {"server_url": server_url},
    }


@pytest.fixture
def configured(settings, identity_provider):
    """PeerPlan configured as the OIDC_* variables configure it (settings.py turns them into this)."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
            "APPS": [provider_app(identity_provider + "/o")],
        }
    }
    return identity_provider


def sign_in_at_provider(page, username, password):
    expect(page.get_by_role("heading", level=1)).to_have_text("Test identity provider: sign in")
    page.get_by_label("Provider username").fill(username)
    page.get_by_label("Provider password").fill(password)
    page.get_by_role("button", name="Sign in at the provider").click()


def start_single_sign_on(page, base_url, name="Test IdP"):
    page.goto(base_url + "/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {name}").click()


def test_a_new_person_signs_in_through_the_provider_and_joins_the_organisation_of_their_domain(
    live_server, page, configured, org_a
):
    SignOnDomain.objects.create(domain="nhs.example", organisation=org_a, role="planner")
    start_single_sign_on(page, live_server.url)
    page.wait_for_url(configured + "/login/**")  # at the provider, on another origin
    sign_in_at_provider(page, "nia", "nia-provider-pass")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organisations")
    expect(page.get_by_role("link", name="Northside Mental Health Service")).to_be_visible()
    membership = Membership.objects.get(user__email="nia@nhs.example")
    assert (membership.organisation, membership.role) == (org_a, "planner")
    assert membership.user.first_name == "Nia Provider"
    assert SocialAccount.objects.get(user=membership.user).extra_data["id_token"]["email_verified"] is True
    page.goto(live_server.url + "/accounts/")
    expect(page.get_by_role("region", name="Single sign-on")).to_contain_text("Test IdP")


def test_an_existing_account_is_matched_by_the_verified_email(live_server, page, configured, owner):
    start_single_sign_on(page, live_server.url)
    sign_in_at_provider(page, "olive-sso", "olive-provider-pass")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organisations")
    assert SocialAccount.objects.get().user == owner
    page.goto(live_server.url + "/app/orgs/northside/members/")
    expect(page.get_by_role("row", name="Olive (you)")).to_be_visible()


def test_an_email_the_provider_has_not_verified_is_not_matched_to_an_account(live_server, page, configured, viewer):
    start_single_sign_on(page, live_server.url)
    sign_in_at_provider(page, "mallory", "mallory-provider-pass")
    # Not signed in as Vic. allauth either asks for the details of a new account or, because the address
    # belongs to an account and sign-up must not reveal that, answers "Check your email" (and mails Vic).
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("^(Finish creating your account|Check your email)$")
    )
    assert not SocialAccount.objects.exists()
    page.goto(live_server.url + "/app/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    viewer.refresh_from_db()
    assert viewer.check_password(PASSWORD)


def test_an_id_token_with_another_sign_ins_nonce_is_refused(live_server, page, configured, org_a):
    SignOnDomain.objects.create(domain="nhs.example", organisation=org_a, role="planner")
    start_single_sign_on(page, live_server.url)
    sign_in_at_provider(page, "replay", "replay-provider-pass")
    expect(page.get_by_role("heading", level=1)).to_have_text("Single sign-on did not work")
    assert not SocialAccount.objects.exists()
    assert not Membership.objects.filter(user__email="replay@nhs.example").exists()
    page.goto(live_server.url + "/app/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_an_answer_with_a_wrong_state_is_refused(live_server, page, configured, org_a):
    """The provider's real answers (a code and a state) are replayed in another browser session, as is,
    and with a forged state: neither signs anyone in."""
    SignOnDomain.objects.create(domain="nhs.example", organisation=org_a, role="planner")
    callbacks = []
    page.on("request", lambda request: "/login/callback/" in request.url and callbacks.append(request.url))
    start_single_sign_on(page, live_server.url)
    sign_in_at_provider(page, "nia", "nia-provider-pass")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organisations")
    answer = urlsplit(callbacks[0])
    query = dict(parse_qsl(answer.query))
    assert set(query) >= {"code", "state"}
    page.context.clear_cookies()  # another browser session: not the one that started the sign-in
    for state in (query["state"], "forged-state"):
        page.goto(urlunsplit(answer._replace(query=urlencode({**query, "state": state}))))
        expect(page.get_by_role("heading", level=1)).to_have_text("Single sign-on did not work")
        page.goto(live_server.url + "/app/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert SocialAccount.objects.count() == 1  # Nia's own sign-in, and nothing more


def test_when_the_provider_is_down_the_page_says_so_and_password_sign_in_still_works(
    live_server, page, settings, planner
):
    closed = free_port()  # nothing listens there
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            **settings.SOCIALACCOUNT_PROVIDERS["openid_connect"],
            "APPS": [provider_app(f"http://127.0.0.1:{closed}/o")],
        }
    }
    start_single_sign_on(page, live_server.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_contain_text("We could not reach Test IdP to sign you in just now")
    sign_in(page, live_server.url, planner.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organisations")


def test_a_provider_added_in_the_admin_works_without_any_setting(live_server, page, identity_provider, org_a):
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="admin-idp",
        name="Admin IdP",
        client_id=CLIENT_ID,
        secret=CLIENT_SECRET,
        settings={"server_url": identity_provider + "/o"},
    )
    SignOnDomain.objects.create(domain="nhs.example", organisation=org_a, role="viewer")
    start_single_sign_on(page, live_server.url, name="Admin IdP")
    sign_in_at_provider(page, "nia", "nia-provider-pass")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organisations")
    assert Membership.objects.get(user__email="nia@nhs.example").role == "viewer"
