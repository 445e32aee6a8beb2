"""Every organisation-owned URL under the `peerplan` namespace, walked from the URL resolver: an outsider
gets 404 for GET and POST (or 405 where the URL does not take that method at all: Django's require_POST and
require_safe answer before anything is loaded, the same for every id, so a 405 tells nothing about the
data), and a viewer gets 403 for everything that changes data, with nothing changed.

The list is built from the resolver, so a URL added later without scoping fails here by default. Only
URLs that are not about one organisation's data are allowed through, by name, below.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse

from evidence import own
from evidence.models import Perspective, Source
from peerplan.models import (
    Attachment,
    Checklist,
    Comment,
    Invitation,
    Item,
    Membership,
    Mitigation,
    Network,
    NetworkMembership,
    Organisation,
    SuggestedMitigation,
)
from peerplan.notify import events
from peerplan.operations import attachments, checklists, comments, mitigations, networks, organisations

# Not organisation-owned: the person's own start page and actions, creating a new organisation, and the
# invitation link (the token is the credential; it is tested in test_members.py). A person's notifications
# are their own: anyone else, of any organisation, gets a 404 (PERSON_OWNED, tested below).
PERSON_OWNED = {
    "notifications",
    "notifications_read_all",
    "notification_preferences",
    "notification_open",
    "notification_read",
}
NOT_ORGANISATION_OWNED = {"home", "organisation_create", "my_actions", "invitation_accept"} | PERSON_OWNED
# Viewers read and comment: a comment changes no plan, so these accept a viewer's POST.
VIEWERS_MAY_POST = {"item_comment", "mitigation_discussion"}
# A network's own pages are its coordinators': of a member organisation only its owners, who answered the
# invitation, learn that the network exists (403); a viewer of it gets the outsider's 404.
NETWORK_PAGES = {"network", "network_invite"}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from _walk(pattern.url_patterns, route)
        else:
            yield pattern.name, route


def planning_urls():
    """(name, route) of every URL in the `peerplan` namespace, straight from the resolver."""
    _, resolver = get_resolver().namespace_dict["peerplan"]
    return sorted(set(_walk(resolver.url_patterns)))


SCOPED = [(name, route) for name, route in planning_urls() if name not in NOT_ORGANISATION_OWNED]


def test_the_walk_finds_the_planning_urls():
    names = {name for name, _ in SCOPED}
    assert {"organisation", "members", "checklist", "checklist_delete", "item", "mitigation_edit"} <= names
    assert all(name for name, _ in planning_urls()), "every planning URL needs a name"


@pytest.fixture
def world(org_a, owner, planner, viewer, outsider):
    """One of everything in organisation A."""
    checklist = checklists.create_checklist_from_evidence(organisation=org_a, title="Northside plan", by=owner)
    item = checklist.items.challenges().select_related("finding__theme").first()
    suggestion = SuggestedMitigation.objects.filter(themes=item.finding.theme_id, is_published=True).first()
    mitigation = mitigations.adopt_suggestion(item=item, suggestion=suggestion, by=owner)
    invitation = organisations.invite(organisation=org_a, email="new@example.org", role="planner", by=owner)
    own_source = own.create_own_source(organisation=org_a, name="Staff survey 2026", title="Our survey", year=2026)
    own.add_own_finding(
        source=own_source, heading="Support", theme="Supervision", kind="challenge", group="PSWs", summary="Ours."
    )
    comment = comments.post_comment(body="A comment by Olive", by=owner, organisation=org_a, mitigation=mitigation)
    attachment = attachments.add_attachment(
        upload=SimpleUploadedFile("minutes.txt", b"Minutes of the meeting"), by=owner, organisation=org_a, item=item
    )
    # A network the owner coordinates, which organisation A joined: its pages are the coordinators' only.
    network = Network.objects.create(name="North East network", slug="north-east")
    network.coordinators.add(owner)
    network_membership = networks.invite_organisation(network=network, organisation=org_a, by=owner)
    networks.answer_invitation(membership=network_membership, accept=True, by=owner)
    return {
        "network": network.slug,
        "network_membership": network_membership.pk,
        "slug": org_a.slug,
        "checklist": checklist.pk,
        "item": item.pk,
        "mitigation": mitigation.pk,
        "membership": Membership.objects.get(user=planner).pk,
        "invitation": invitation.pk,
        "suggestion": suggestion.pk,
        "token": invitation.token,
        "history_id": mitigation.history.earliest().history_id,
        "own_source": own_source.pk,
        "comment": comment.pk,
        "attachment": attachment.pk,
        "notification": events.record(recipient=owner, kind="assigned", organisation=org_a).pk,
    }


# What a URL's <int:pk> is, by the path segment before it (tests/test_one_gate.py reads this table too).
PK_OWNERS = {
    "checklists": "checklist",
    "items": "item",
    "mitigations": "mitigation",
    "members": "membership",
    "invitations": "invitation",
    "evidence": "own_source",
    "comments": "comment",
    "attachments": "attachment",
    "notifications": "notification",
    "networks": "network_membership",
}


def kwargs_for(route, world):
    """Fill each URL parameter from what the route says it is about; an unknown one fails the test."""
    kwargs = {}
    for part in route.split("/"):
        if not part.startswith("<"):
            continue
        converter_and_name = part.strip("<>")
        name = converter_and_name.split(":")[-1]
        if name == "network":
            kwargs[name] = world["network"]
        elif name == "slug":
            kwargs[name] = world["slug"]
        elif name == "token":
            kwargs[name] = world["token"]
        elif name == "suggestion_pk":
            kwargs[name] = world["suggestion"]
        elif name == "history_id":
            kwargs[name] = world["history_id"]
        elif name == "pk":
            owner_of_pk = route.split("<int:pk>")[0].rstrip("/").split("/")[-1]
            if owner_of_pk not in PK_OWNERS:
                pytest.fail(f"isolation test does not know what the pk in {route!r} is: add it to PK_OWNERS")
            kwargs[name] = world[PK_OWNERS[owner_of_pk]]
        else:
            pytest.fail(f"isolation test does not know how to fill <{converter_and_name}> in {route!r}")
    return kwargs


def snapshot():
    """What must not change when someone is refused."""
    return {
        "checklists": list(Checklist.objects.order_by("pk").values_list("pk", "title", "status", "review_date")),
        "items": list(Item.objects.order_by("pk").values_list("pk", "applies", "not_applicable_reason", "priority")),
        "mitigations": list(
            Mitigation.objects.order_by("pk").values_list("pk", "action", "status", "owner_id", "version")
        ),
        "memberships": list(Membership.objects.order_by("pk").values_list("pk", "user_id", "role")),
        "invitations": list(Invitation.objects.order_by("pk").values_list("pk", "accepted_at")),
        "own_evidence": list(
            Perspective.objects.filter(finding__theme__category__source__organisation__isnull=False)
            .order_by("pk")
            .values_list("pk", "summary")
        ),
        "sources": list(Source.objects.order_by("pk").values_list("pk", "version", "name")),
        "comments": list(Comment.objects.order_by("pk").values_list("pk", "body", "hidden_at")),
        "attachments": list(Attachment.objects.order_by("pk").values_list("pk", "file")),
        "networks": list(NetworkMembership.objects.order_by("pk").values_list("pk", "organisation_id", "state")),
        "sharing": list(Organisation.objects.order_by("pk").values_list("pk", "share_anonymously")),
    }


@pytest.mark.parametrize(("name", "route"), SCOPED, ids=[name for name, _ in SCOPED])
def test_an_outsider_gets_404_for_get_and_post(client, world, outsider, name, route):
    client.force_login(outsider)
    url = reverse(f"peerplan:{name}", kwargs=kwargs_for(route, world))
    before = snapshot()
    got = client.get(url).status_code
    posted = client.post(url, {"role": "owner", "applies": "no", "action": "x", "version": 1}).status_code
    assert got in (404, 405), f"GET {url}"
    assert posted in (404, 405), f"POST {url}"
    assert 404 in (got, posted), f"{url} must load its object (and refuse the outsider) for one method at least"
    assert snapshot() == before


@pytest.mark.parametrize(("name", "route"), SCOPED, ids=[name for name, _ in SCOPED])
def test_a_viewer_gets_403_for_every_change_and_nothing_changes(client, world, viewer, owner, name, route):
    url = reverse(f"peerplan:{name}", kwargs=kwargs_for(route, world))
    data = {"role": "owner", "applies": "no", "not_applicable_reason": "x", "action": "Changed", "version": 1}
    client.force_login(viewer)
    before = snapshot()
    viewer_status = client.post(url, data).status_code
    assert snapshot() == before
    if name in VIEWERS_MAY_POST:
        assert viewer_status in (302, 400), f"POST {url} as a viewer: viewers comment"
        return
    if name in NETWORK_PAGES:
        assert viewer_status in (404, 405), f"POST {url} as a viewer of a member organisation"
        return
    # A URL that refuses POST from its owner too (405) only shows things; every other one changes data.
    client.force_login(owner)
    if client.post(url, data).status_code == 405:
        assert viewer_status == 405
    else:
        assert viewer_status == 403, f"POST {url} as a viewer"


def test_a_person_not_signed_in_is_sent_to_sign_in_for_every_planning_url(client, world):
    for name, route in SCOPED:
        url = reverse(f"peerplan:{name}", kwargs=kwargs_for(route, world))
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_every_planning_page_has_exactly_one_h1_for_its_owner(client, world, owner):
    client.force_login(owner)
    pages = [reverse(f"peerplan:{name}", kwargs=kwargs_for(route, world)) for name, route in planning_urls()]
    seen = 0
    for url in pages:
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            seen += 1
            assert response.content.decode().count("<h1") == 1, url
    assert seen >= 10


def test_every_planning_url_refuses_methods_it_does_not_take_before_loading_anything(client, world, owner):
    """Pages take GET (and HEAD); forms take GET and POST; actions take POST: anything else is a 405 with
    the methods it does take, even for the owner."""
    client.force_login(owner)
    for name, route in planning_urls():
        url = reverse(f"peerplan:{name}", kwargs=kwargs_for(route, world))
        for method in (client.put, client.patch, client.delete):
            response = method(url)
            assert response.status_code == 405, f"{method.__name__.upper()} {url}"
            assert set(response["Allow"].split(", ")) <= {"GET", "HEAD", "POST"}, url


PERSONAL = [(name, route) for name, route in planning_urls() if name in PERSON_OWNED]


def test_the_walk_finds_every_personal_url():
    assert {name for name, _ in PERSONAL} == PERSON_OWNED


@pytest.mark.parametrize(("name", "route"), [r for r in PERSONAL if "<" in r[1]], ids=lambda v: str(v))
def test_someone_elses_notification_is_a_404_to_members_and_outsiders_alike(
    client, world, owner, manager, outsider, name, route
):
    from peerplan.models import Notification
    from peerplan.models.notifications import Kind
    from peerplan.notify.events import record

    notification = record(
        recipient=owner, kind=Kind.ASSIGNED, organisation=Membership.objects.get(user=owner).organisation
    )
    url = reverse(f"peerplan:{name}", kwargs={"pk": notification.pk})
    for person in (manager, outsider):
        client.force_login(person)
        # 405 where the URL does not take that method at all (answered before anything is loaded).
        assert client.get(url).status_code in (404, 405), f"GET {url} as {person}"
        assert client.post(url).status_code in (404, 405), f"POST {url} as {person}"
        assert 404 in (client.get(url).status_code, client.post(url).status_code), url
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_a_person_not_signed_in_is_sent_to_sign_in_for_every_personal_url(client):
    for name, route in PERSONAL:
        url = reverse(f"peerplan:{name}", kwargs={"pk": 1} if "<" in route else {})
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
