"""Accounts as a person meets them: sign up and confirm the email (read from the test mailbox), set up
two-factor from the account page, sign in with a code computed by pyotp and with a recovery code, an
owner requiring two-factor of the members, and invitation-only sign-up."""

import re

import pyotp
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail
from playwright.sync_api import expect

from peerplan.operations import organisations
from tests.browser.helpers import sign_in
from tests.factories import PASSWORD

GOOD = "a-long-pass-phrase-9"


def heading(page):
    return page.get_by_role("heading", level=1)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()


def confirm_password(page, password):
    expect(heading(page)).to_have_text("Confirm it is you")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()


def set_up_two_factor(page, password):
    """From the account page; returns the secret the app would hold and the recovery codes shown."""
    page.get_by_role("link", name="Set up two-factor").click()
    confirm_password(page, password)
    expect(heading(page)).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    secret = page.get_by_label("Cannot scan? Type this key into the app instead").input_value()
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(heading(page)).to_have_text("Recovery codes")
    codes = page.get_by_role("list", name="Unused recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10
    return secret, codes


def two_factor_step(page, code):
    expect(heading(page)).to_have_text("Two-factor sign-in")
    page.get_by_label("Code from your app, or a recovery code").fill(code)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_sign_up_confirm_the_email_and_sign_in_with_two_factor_and_a_recovery_code(live_server, page):
    base = live_server.url
    page.goto(base + "/accounts/signup/")
    page.get_by_label("Your name").fill("Sam Lee")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill(GOOD)
    page.get_by_role("button", name="Create account").click()
    expect(heading(page)).to_have_text("Check your email")

    (message,) = mail.outbox
    assert message.to == ["sam@example.org"] and message.subject == "Confirm your email for PeerPlan"
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body).group(0)
    page.goto(link)
    expect(heading(page)).to_have_text("Confirm your email")
    page.get_by_role("button", name="Confirm").click()
    expect(heading(page)).to_have_text("Your organisations")

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("region", name="Two-factor sign-in")).to_contain_text("Off.")
    secret, codes = set_up_two_factor(page, GOOD)
    page.get_by_role("link", name="Back to your account").click()
    expect(page.get_by_role("region", name="Two-factor sign-in")).to_contain_text("10 unused recovery codes")
    sign_out(page)

    # The password alone is not enough any more: the code from the app (computed here with pyotp).
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(GOOD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    two_factor_step(page, "000000")
    expect(page.get_by_role("alert").or_(page.locator(".invalid-feedback"))).to_contain_text("That code is not right")
    two_factor_step(page, pyotp.TOTP(secret).now())
    expect(heading(page)).to_have_text("Your organisations")
    sign_out(page)

    # Without the phone: a recovery code, once.
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(GOOD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    two_factor_step(page, codes[0])
    expect(heading(page)).to_have_text("Your organisations")
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("region", name="Two-factor sign-in")).to_contain_text("9 unused recovery codes")


def test_an_owner_requires_two_factor_and_a_member_is_led_to_set_it_up(live_server, another_context, owner, planner):
    base = live_server.url
    secret = pyotp.random_base32()
    TOTP.activate(owner, secret)
    RecoveryCodes.activate(owner)

    owner_page = another_context().new_page()
    sign_in_with_code = owner_page.goto(base + "/accounts/login/")
    assert sign_in_with_code.ok
    owner_page.get_by_label("Email").fill(owner.email)
    owner_page.get_by_label("Password").fill(PASSWORD)
    owner_page.get_by_role("button", name="Sign in", exact=True).click()
    two_factor_step(owner_page, pyotp.TOTP(secret).now())
    owner_page.goto(base + "/app/orgs/northside/members/")
    owner_page.get_by_label("Require two-factor sign-in for every member").check()
    owner_page.get_by_role("button", name="Save two-factor rule").click()
    expect(owner_page.get_by_role("status")).to_contain_text("Members must now set up two-factor sign-in")

    member = another_context().new_page()
    sign_in(member, base, planner.email)
    member.get_by_role("link", name="Northside Mental Health Service").click()
    expect(member.get_by_role("status")).to_contain_text(
        "Northside Mental Health Service asks its members to set up two-factor sign-in"
    )
    confirm_password(member, PASSWORD)
    expect(heading(member)).to_have_text("Set up two-factor sign-in")
    key = member.get_by_label("Cannot scan? Type this key into the app instead").input_value()
    member.get_by_label("Authenticator code").fill(pyotp.TOTP(key).now())
    member.get_by_role("button", name="Turn on two-factor").click()
    expect(heading(member)).to_have_text("Recovery codes")
    member.get_by_role("link", name="Continue where you were going").click()
    expect(heading(member)).to_have_text("Northside Mental Health Service")


def test_invitation_only_sign_up_goes_through_the_invitation_link(live_server, page, settings, owner, org_a):
    settings.SIGNUP_MODE = "invitation"
    base = live_server.url
    page.goto(base + "/accounts/signup/")
    expect(heading(page)).to_have_text("Accounts are made by invitation")

    invitation = organisations.invite(organisation=org_a, email="nia@example.net", role="planner", by=owner)
    page.goto(base + f"/app/invitations/{invitation.token}/")
    page.locator("#main").get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name").fill("Nia")
    page.get_by_label("Email").fill("nia@example.net")
    page.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill(GOOD)
    page.get_by_role("button", name="Create account").click()
    # Back on the invitation, signed in: the link was emailed to this address, so it is confirmed.
    page.get_by_role("button", name="Accept and join Northside Mental Health Service").click()
    expect(heading(page)).to_have_text("Northside Mental Health Service")
