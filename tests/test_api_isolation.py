"""Every API endpoint × every role × a token of another organisation, walked from the URL resolver like
tests/test_isolation.py walks the pages: what a token may not see is a 404, what it may see but not change
is a 403, and a refusal changes nothing. An endpoint added later without scoping fails here by default."""

import pytest
from django.urls import get_resolver, reverse

from peerplan.api.models import Access, AccessToken, digest, new_secret
from peerplan.models import Membership, Role
from peerplan.operations import checklists, mitigations
from tests.api_helpers import call
from tests.worlds import snapshot

# Public, or not about one organisation's data: the schema, its docs, the published evidence, and the JSON
# 404 for any other address under /api/.
NOT_ORGANISATION_OWNED = {"schema", "docs", "evidence", "theme", "not_found"}
WRITE_METHODS = ("post", "put", "patch", "delete")


def api_urls():
    """(name, route, methods) of every endpoint in the `api` namespace, straight from the resolver."""
    _, resolver = get_resolver().namespace_dict["api"]
    urls = []
    for pattern in resolver.url_patterns:
        view_class = getattr(pattern.callback, "cls", None)
        methods = [m for m in ("get", *WRITE_METHODS) if view_class is not None and hasattr(view_class, m)]
        urls.append((pattern.name, str(pattern.pattern), methods))
    return sorted(urls)


SCOPED = [url for url in api_urls() if url[0] not in NOT_ORGANISATION_OWNED]


def test_the_walk_finds_every_api_endpoint():
    names = {name for name, _, _ in SCOPED}
    assert {"organisation", "checklists", "checklist_items", "item", "item_mitigations", "mitigation"} <= names
    assert {"dashboard", "mitigations", "members", "organisations", "themes", "phases"} <= names
    assert all(methods for _, _, methods in SCOPED)


@pytest.fixture
def world(org_a, org_b, owner, manager, planner, viewer, outsider):
    checklist = checklists.create_checklist_from_evidence(organisation=org_a, title="Northside plan", by=owner)
    item = checklist.items.challenges().first()
    mitigation = mitigations.create_mitigation(item=item, changes={"action": "Write a role description"}, by=owner)
    return {"slug": org_a.slug, "checklist": checklist.pk, "item": item.pk, "mitigation": mitigation.pk}


def kwargs_for(route, world):
    kwargs = {}
    for part in route.split("/"):
        if not part.startswith("<"):
            continue
        name = part.strip("<>").split(":")[-1]
        if name == "slug":
            kwargs[name] = world["slug"]
        elif name == "pk":
            segment = route.split("<int:pk>")[0].rstrip("/").split("/")[-1]
            mapping = {"checklists": "checklist", "items": "item", "mitigations": "mitigation"}
            if segment not in mapping:
                pytest.fail(f"the API isolation test does not know what the pk in {route!r} is: add it here")
            kwargs[name] = world[mapping[segment]]
        else:
            pytest.fail(f"the API isolation test does not know how to fill {part} in {route!r}")
    return kwargs


def token(user, organisation, access):
    """A token made directly, so a viewer can hold a write token too: what must stop it is its role."""
    secret = new_secret()
    AccessToken.objects.create(
        user=user, organisation=organisation, name="t", access=access, prefix=secret[:11], digest=digest(secret)
    )
    return secret


def write(client, method, url, secret, world):
    """A change a planner could legitimately make, with the current etag."""
    from peerplan.api.writes import item_etag, mitigation_etag
    from peerplan.models import Item, Mitigation

    headers = {}
    if "/mitigations/" in url and method == "patch":
        headers["HTTP_IF_MATCH"] = mitigation_etag(Mitigation.objects.get(pk=world["mitigation"]))
        body = {"status": "done"}
    elif "/items/" in url and method == "patch":
        headers["HTTP_IF_MATCH"] = item_etag(Item.objects.get(pk=world["item"]))
        body = {"priority": "high"}
    else:
        body = {"action": "Changed through the API"}
    return call(client, method, url, secret, body, **headers)


def _urls(world):
    return [(reverse(f"api:{name}", kwargs=kwargs_for(route, world)), methods) for name, route, methods in SCOPED]


def test_a_token_of_another_organisation_gets_404_everywhere_and_changes_nothing(client, world, outsider, org_b):
    other = token(outsider, org_b, Access.WRITE)
    before = snapshot()
    for url, methods in _urls(world):
        if url == "/api/organisations/":
            assert call(client, "get", url, other).json()[0]["slug"] == "southside"
            continue
        for method in methods:
            status = write(client, method, url, other, world).status_code if method != "get" else None
            status = status or call(client, "get", url, other).status_code
            assert status == 404, f"{method.upper()} {url}"
    assert snapshot() == before


def test_a_token_for_another_organisation_of_the_same_person_does_not_reach_this_one(client, world, owner, org_b):
    """The owner of A is also in B; their token for B must not see A, though they could on the pages."""
    Membership.objects.create(organisation=org_b, user=owner, role=Role.OWNER)
    for_b = token(owner, org_b, Access.WRITE)
    before = snapshot()
    for url, methods in _urls(world):
        if url == "/api/organisations/":
            assert [o["slug"] for o in call(client, "get", url, for_b).json()] == ["southside"]
            continue
        for method in methods:
            response = call(client, "get", url, for_b) if method == "get" else write(client, method, url, for_b, world)
            assert response.status_code == 404, f"{method.upper()} {url}"
    assert snapshot() == before


@pytest.mark.parametrize("role", ["owner", "manager", "planner", "viewer"])
def test_every_role_reads_everything_with_a_read_token_and_changes_nothing(client, world, role, request, org_a):
    user = request.getfixturevalue(role)
    secret = token(user, org_a, Access.READ)
    before = snapshot()
    for url, methods in _urls(world):
        if "get" in methods:
            assert call(client, "get", url, secret).status_code == 200, f"GET {url} as {role}"
        for method in set(methods) - {"get"}:
            response = write(client, method, url, secret, world)
            assert response.status_code == 403, f"{method.upper()} {url} as {role} with a read token"
    assert snapshot() == before


def test_a_viewer_with_a_write_token_gets_403_for_every_change(client, world, viewer, org_a):
    secret = token(viewer, org_a, Access.WRITE)
    before = snapshot()
    for url, methods in _urls(world):
        for method in set(methods) - {"get"}:
            assert write(client, method, url, secret, world).status_code == 403, f"{method.upper()} {url}"
    assert snapshot() == before


@pytest.mark.parametrize("role", ["owner", "manager", "planner"])
def test_members_who_edit_change_data_with_a_write_token(client, world, role, request, org_a):
    user = request.getfixturevalue(role)
    secret = token(user, org_a, Access.WRITE)
    changed = 0
    for url, methods in _urls(world):
        for method in set(methods) - {"get"}:
            response = write(client, method, url, secret, world)
            assert response.status_code in (200, 201), f"{method.upper()} {url} as {role}: {response.json()}"
            changed += 1
    assert changed == 3


def test_without_a_token_every_organisation_endpoint_is_a_401(client, world):
    for url, methods in _urls(world):
        for method in methods:
            assert call(client, method, url, body={} if method != "get" else None).status_code == 401, url
