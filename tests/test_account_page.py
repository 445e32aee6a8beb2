"""The account page: what allauth's pages manage, gathered in one place, at a fixed number of queries."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.socialaccount.models import SocialAccount

from peerplan.models import Membership, Organisation
from peerplan.notify.context import unread_count


def test_the_account_page_shows_email_password_two_factor_and_tokens(client, planner):
    client.force_login(planner)
    page = client.get("/accounts/").content.decode()
    assert "<h1>Your account</h1>" in page
    assert "pat@example.org" in page and "confirmed" in page
    assert 'href="/accounts/password/change/"' in page and 'href="/accounts/email/"' in page
    assert 'href="/accounts/2fa/totp/activate/"' in page
    assert 'href="/app/tokens/"' in page


def test_the_account_page_needs_a_sign_in(client, db):
    assert client.get("/accounts/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("size", [1, 10])
def test_the_account_page_reads_the_same_number_of_queries_whatever_the_person_has(
    client, planner, django_assert_num_queries, size
):
    TOTP.activate(planner, "JBSWY3DPEHPK3PXP")
    RecoveryCodes.activate(planner)
    for n in range(size):
        organisation = Organisation.objects.create(name=f"Service {n}", slug=f"service-{n}")
        Membership.objects.create(organisation=organisation, user=planner, role="viewer")
        EmailAddress.objects.create(user=planner, email=f"pat{n}@example.net", verified=n % 2 == 0)
        SocialAccount.objects.create(user=planner, provider=f"idp{n}", uid=str(n), extra_data={})
    client.force_login(planner)
    unread_count(planner)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    # session, person with the bell's count (two cache reads), configured apps, social accounts, email addresses, authenticators, the two-factor rule,
    # the configured apps again for the page's CSP (SingleSignOnFormActionMiddleware), and the unread
    # notifications in the navigation
    with django_assert_num_queries(8):
        response = client.get("/accounts/")
    assert response.status_code == 200
