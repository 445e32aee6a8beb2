"""A person takes their data out and deletes their account, on a phone-sized screen: the download from the
account page, then the confirmation allauth asks for, their email typed, and the account gone."""

import json

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from peerplan.models import Comment, former_member
from peerplan.operations import comments
from tests.browser.axe import assert_accessible
from tests.browser.helpers import no_horizontal_scroll, sign_in
from tests.factories import PASSWORD

PHONE = 390


def test_a_person_downloads_their_data_then_deletes_their_account(live_server, page, owner, planner, org_a, action):
    comments.post_comment(body="I will draft it by Friday", by=planner, organisation=org_a, mitigation=action)
    base = live_server.url
    page.set_viewport_size({"width": PHONE, "height": 844})
    sign_in(page, base, planner.email)

    page.goto(base + "/accounts/")
    region = page.get_by_role("region", name="Your data")
    with page.expect_download() as download:
        region.get_by_role("link", name="Download your data").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert data["format"] == "peerplan-person/1"
    assert data["email_addresses"][0]["email"] == "pat@example.org"
    assert data["comments"][0]["text"] == "I will draft it by Friday"

    region.get_by_role("link", name="Delete your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account")
    expect(page.get_by_role("main")).to_contain_text("What organisations keep")
    assert_accessible(page)
    no_horizontal_scroll(page, PHONE)

    page.get_by_label("Type your email address to confirm").fill("not-me@example.org")
    page.get_by_role("button", name="Delete your account").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Type the email address you sign in with")
    page.get_by_label("Type your email address to confirm").fill("pat@example.org")
    page.get_by_role("button", name="Delete your account").click()

    page.wait_for_url(base + "/")
    expect(page.get_by_role("status")).to_contain_text("Your account is deleted")
    expect(page.get_by_role("main").get_by_role("link", name="Sign in")).to_be_visible()  # signed out
    assert not get_user_model().objects.filter(email="pat@example.org").exists()
    assert Comment.objects.get(body="I will draft it by Friday").author == former_member()  # kept, as "a former member"
    no_horizontal_scroll(page, PHONE)
