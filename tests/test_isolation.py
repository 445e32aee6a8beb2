"""Every organisation-owned URL under the `peerplan` namespace, walked from the URL resolver: an outsider
gets 404 for GET and POST (or 405 where the URL does not take that method at all: Django's require_POST and
require_safe answer before anything is loaded, the same for every id, so a 405 tells nothing about the
data), and a viewer gets 403 for everything that changes data, with nothing changed.

The list is built from the resolver, so a URL added later without scoping fails here by default. Only
URLs that are not about one organisation's data are allowed through, by name, below.
"""

import pytest
from django.urls import reverse

from peerplan.models import Membership
from tests.worlds import kwargs_for, planning_urls, snapshot

# Not organisation-owned: the person's own start page and actions, creating a new organisation, and the
# invitation link (the token is the credential; it is tested in test_members.py). A person's notifications
# are their own: anyone else, of any organisation, gets a 404 (PERSON_OWNED, tested below). A person's data and
# deleting their account carry no id: they only ever reach the signed-in person (tested below).
PERSON_OWNED = {
    "account_data",
    "account_delete",
    "notifications",
    "notifications_read_all",
    "notification_preferences",
    "notification_open",
    "notification_read",
}
NOT_ORGANISATION_OWNED = {"home", "organisation_create", "my_actions", "invitation_accept"} | PERSON_OWNED
# Outside this walk, not under the `peerplan` namespace: a check-in's answer and unsubscribe links
# (/check-in/<token>/ and /check-in/<token>/stop/) and the page about check-ins' privacy. They belong to no
# organisation's member: the token is the credential, and they show nothing of any organisation's data but its
# name and the statements asked (tests/test_check_ins.py, tests/test_check_in_privacy.py).
# Viewers read and comment: a comment changes no plan, so these accept a viewer's POST.
VIEWERS_MAY_POST = {"item_comment", "mitigation_discussion"}
# A network's own pages are its coordinators': of a member organisation only its owners, who answered the
# invitation, learn that the network exists (403); a viewer of it gets the outsider's 404.
NETWORK_PAGES = {"network", "network_invite"}


SCOPED = [(name, route) for name, route in planning_urls() if name not in NOT_ORGANISATION_OWNED]


def test_the_walk_finds_the_planning_urls():
    names = {name for name, _ in SCOPED}
    assert {"organisation", "members", "checklist", "checklist_delete", "item", "mitigation_edit"} <= names
    assert {"check_in", "check_in_set_up"} <= names
    assert all(name for name, _ in planning_urls()), "every planning URL needs a name"


@pytest.mark.parametrize(("name", "route"), SCOPED, ids=[name for name, _ in SCOPED])
def test_an_outsider_gets_404_for_get_and_post(client, one_of_everything, outsider, name, route):
    client.force_login(outsider)
    url = reverse(f"peerplan:{name}", kwargs=kwargs_for(route, one_of_everything))
    before = snapshot()
    got = client.get(url).status_code
    posted = client.post(url, {"role": "owner", "applies": "no", "action": "x", "version": 1}).status_code
    assert got in (404, 405), f"GET {url}"
    assert posted in (404, 405), f"POST {url}"
    assert 404 in (got, posted), f"{url} must load its object (and refuse the outsider) for one method at least"
    assert snapshot() == before


@pytest.mark.parametrize(("name", "route"), SCOPED, ids=[name for name, _ in SCOPED])
def test_a_viewer_gets_403_for_every_change_and_nothing_changes(client, one_of_everything, viewer, owner, name, route):
    url = reverse(f"peerplan:{name}", kwargs=kwargs_for(route, one_of_everything))
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


def test_a_person_not_signed_in_is_sent_to_sign_in_for_every_planning_url(client, one_of_everything):
    for name, route in SCOPED:
        url = reverse(f"peerplan:{name}", kwargs=kwargs_for(route, one_of_everything))
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_every_planning_page_has_exactly_one_h1_for_its_owner(client, one_of_everything, owner):
    client.force_login(owner)
    pages = [
        reverse(f"peerplan:{name}", kwargs=kwargs_for(route, one_of_everything)) for name, route in planning_urls()
    ]
    seen = 0
    for url in pages:
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            seen += 1
            assert response.content.decode().count("<h1") == 1, url
    assert seen >= 10


def test_every_planning_url_refuses_methods_it_does_not_take_before_loading_anything(client, one_of_everything, owner):
    """Pages take GET (and HEAD); forms take GET and POST; actions take POST: anything else is a 405 with
    the methods it does take, even for the owner."""
    client.force_login(owner)
    for name, route in planning_urls():
        url = reverse(f"peerplan:{name}", kwargs=kwargs_for(route, one_of_everything))
        for method in (client.put, client.patch, client.delete):
            response = method(url)
            assert response.status_code == 405, f"{method.__name__.upper()} {url}"
            assert set(response["Allow"].split(", ")) <= {"GET", "HEAD", "POST"}, url


PERSONAL = [(name, route) for name, route in planning_urls() if name in PERSON_OWNED]


def test_the_walk_finds_every_personal_url():
    assert {name for name, _ in PERSONAL} == PERSON_OWNED


@pytest.mark.parametrize(("name", "route"), [r for r in PERSONAL if "<" in r[1]], ids=lambda v: str(v))
def test_someone_elses_notification_is_a_404_to_members_and_outsiders_alike(
    client, one_of_everything, owner, manager, outsider, name, route
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


def test_the_account_urls_only_ever_reach_the_signed_in_person(client, one_of_everything, owner, outsider):
    """No id in the URL, so there is nobody else's to ask for: each person downloads their own data, and a
    POST to delete an account (without the person's own confirmation) deletes nobody."""
    for person in (owner, outsider):
        client.force_login(person)
        download = client.get(reverse("peerplan:account_data")).content.decode()
        assert f'"email": "{person.email}"' in download
        others = {owner.email, outsider.email} - {person.email}
        assert not any(email in download for email in others)
    before = snapshot()
    assert client.post(reverse("peerplan:account_delete"), {"email": owner.email}).status_code == 302
    assert snapshot() == before


def test_a_made_up_or_spent_check_in_link_tells_nothing(client, one_of_everything, outsider):
    client.force_login(outsider)
    assert client.get("/check-in/made-up-token/").status_code == 410
    assert client.post("/check-in/made-up-token/", {"comment": "x"}).status_code == 410
    assert client.get("/check-in/made-up-token/stop/").status_code == 404
