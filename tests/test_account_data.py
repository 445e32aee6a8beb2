"""A person downloads everything PeerPlan holds about them, from their account page: their own data, all of
it, and nothing of anyone else's; never a secret."""

import json
from pathlib import Path

import jsonschema
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password

from peerplan.api.models import AccessToken
from peerplan.models import Membership
from peerplan.models.notifications import Kind
from peerplan.notify import events
from peerplan.operations import comments, notifications, organisations
from tests.api_helpers import token_for

# The documented format: every download in these tests is held to it.
SCHEMA = json.loads(
    (Path(__file__).parent.parent / "peerplan" / "pages" / "peerplan-person-1.schema.json").read_text(encoding="utf-8")
)


def download(client, person):
    client.force_login(person)
    response = client.get("/app/account/data.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="peerplan-my-data-')
    data = json.loads(response.content)
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return response.content.decode(), data


def test_the_schema_refuses_what_the_format_never_holds():
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert not validator.is_valid({"format": "peerplan-person/1"})
    assert any("password" in error.message for error in validator.iter_errors({"password": "x"}))


def test_the_account_page_links_to_the_download_and_to_deleting_the_account(client, planner):
    client.force_login(planner)
    page = client.get("/accounts/").content.decode()
    assert 'href="/app/account/data.json"' in page
    assert 'href="/app/account/delete/"' in page


def test_the_download_holds_the_persons_profile_memberships_comments_notifications_and_tokens(
    client, planner, owner, org_a, org_b, action
):
    Membership.objects.create(organisation=org_b, user=planner, role="viewer")
    comments.post_comment(body="I will draft it by Friday", by=planner, organisation=org_a, mitigation=action)
    events.record(recipient=planner, kind=Kind.ASSIGNED, organisation=org_a, actor=owner, mitigation=action)
    notifications.set_preferences(user=planner, choices={"digest": "off"})
    token_for(planner, org_a)
    AccessToken.objects.filter(user=planner).update(last_used_at="2026-11-30T10:00:00Z")

    _, data = download(client, planner)

    assert data["format"] == "peerplan-person/1"
    assert data["exported"]
    assert data["profile"]["first_name"] == "Pat"
    assert data["email_addresses"] == [{"email": "pat@example.org", "sign_in_email": True, "confirmed": True}]
    assert [(m["organisation"], m["role"]) for m in data["memberships"]] == [
        ("Northside Mental Health Service", "Planner"),
        ("Southside Trust", "Viewer"),
    ]
    [comment] = data["comments"]
    assert comment["text"] == "I will draft it by Friday"
    assert comment["where"]["organisation"] == "Northside Mental Health Service"
    assert comment["where"]["checklist"] == "Community team plan"
    assert comment["where"]["action"] == "Write the PSW job description"
    assert comment["where"]["link"].endswith(f"/app/mitigations/{action.pk}/#comment-{comment_pk(planner)}")
    [notification] = data["notifications"]
    assert notification["text"] == "Olive assigned you an action: “Write the PSW job description”"
    assert data["notification_settings"]["Daily digest of your overdue actions and those due soon"] == "off"
    [token] = data["api_tokens"]
    assert token["name"] == "pat script"
    assert token["organisation"] == "Northside Mental Health Service"
    assert token["last_used"].startswith("2026-11-30T10:00:00")
    assert token["created"]
    assert [a["action"] for a in data["actions_owned"]] == ["Write the PSW job description"]


def comment_pk(person):
    from peerplan.models import Comment

    return Comment.objects.get(author=person).pk


def test_the_download_never_holds_a_secret(client, planner, org_a):
    planner.password = make_password("a-password-only-pat-knows")
    planner.save()
    TOTP.activate(planner, "JBSWY3DPEHPK3PXP")
    secret = token_for(planner, org_a)
    digest = AccessToken.objects.get(user=planner).digest

    text, data = download(client, planner)

    assert data["two_factor"][0]["type"]  # that it is on, and when it was set up: never its secret
    for never in (secret, digest, planner.password, "JBSWY3DPEHPK3PXP", client.session.session_key):
        assert never not in text
    assert "password" not in text.lower()


def test_the_download_holds_nothing_of_anyone_else(client, planner, owner, viewer, outsider, org_a, action):
    comments.post_comment(body="Olive's own words", by=owner, organisation=org_a, mitigation=action)
    comments.post_comment(body="Otto's note", by=outsider, organisation=org_a, mitigation=action)
    events.record(recipient=viewer, kind=Kind.ASSIGNED, organisation=org_a, actor=owner, mitigation=action)
    token_for(owner, org_a)

    text, data = download(client, planner)

    for theirs in ("Olive's own words", "Otto's note", "olive@example.org", "vic@example.org", "olive script"):
        assert theirs not in text
    assert data["comments"] == [] and data["api_tokens"] == []
    # Pat's own: the two comments on the action he owns. Vic's assignment is not among them.
    assert [n["kind"] for n in data["notifications"]] == ["A comment on an action you own"] * 2


def test_of_an_organisation_the_person_may_no_longer_read_only_its_name_is_given(client, planner, owner, org_a, action):
    comments.post_comment(body="Pat's comment", by=planner, organisation=org_a, mitigation=action)
    events.record(recipient=planner, kind=Kind.ASSIGNED, organisation=org_a, actor=owner, mitigation=action)
    organisations.remove_member(membership=Membership.objects.get(user=planner), by=owner)

    text, data = download(client, planner)

    assert data["comments"][0]["text"] == "Pat's comment"  # their own words
    assert data["comments"][0]["where"] == {"organisation": "Northside Mental Health Service"}
    assert "text" not in data["notifications"][0]
    assert "Write the PSW job description" not in text and "Community team plan" not in text


def test_the_download_needs_a_sign_in(client, db):
    assert client.get("/app/account/data.json")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("size", [1, 10])
def test_the_download_reads_the_same_number_of_queries_whatever_the_person_has(
    client, planner, owner, org_a, action, django_assert_num_queries, size
):
    for n in range(size):
        comment = comments.post_comment(body=f"Note {n}", by=planner, organisation=org_a, mitigation=action)
        events.record(recipient=planner, kind=Kind.MENTIONED, organisation=org_a, actor=owner, comment=comment)
        events.record(recipient=planner, kind=Kind.ASSIGNED, organisation=org_a, actor=owner, mitigation=action)
        token_for(planner, org_a)
    client.force_login(planner)
    # the session and the person (two cache reads), readable organisations, email addresses, two-factor, SSO,
    # memberships, comments, actions owned, notifications, notification settings, tokens
    with django_assert_num_queries(12):
        assert client.get("/app/account/data.json").status_code == 200
