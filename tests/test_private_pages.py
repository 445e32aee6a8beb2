"""Nothing a shared computer's browser or a proxy could keep (issue 12, defect 5): every planning URL,
exports and the printable report included, answers `Cache-Control: private, no-store`, whatever its
status; the public evidence pages stay cacheable for readers who are not signed in."""

import pytest
from django.urls import reverse

from tests.worlds import kwargs_for, planning_urls

PLANNING = planning_urls()


def assert_private(response, url):
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, f"{url}: Cache-Control {response.get('Cache-Control')!r}"
    assert "public" not in directives, url


@pytest.mark.parametrize(("name", "route"), PLANNING, ids=[name for name, _ in PLANNING])
def test_every_planning_url_is_private_and_not_stored(client, one_of_everything, owner, name, route):
    url = reverse(f"peerplan:{name}", kwargs=kwargs_for(route, one_of_everything))
    client.force_login(owner)

    assert_private(client.get(url), url)
    assert_private(client.post(url, {}), url)


def test_exports_and_the_report_are_private_and_not_stored(client, one_of_everything, owner):
    client.force_login(owner)
    for suffix in ("export.csv", "export.xlsx", "report/"):
        url = f"/app/checklists/{one_of_everything['checklist']}/{suffix}"
        response = client.get(url)
        assert response.status_code == 200, url
        assert_private(response, url)


def test_a_page_refused_to_an_outsider_is_not_stored_either(client, one_of_everything, outsider):
    client.force_login(outsider)
    url = f"/app/checklists/{one_of_everything['checklist']}/"
    response = client.get(url)
    assert response.status_code == 404
    assert_private(response, url)


def test_signed_in_pages_outside_planning_are_not_stored(client, owner):
    client.force_login(owner)
    assert_private(client.get("/evidence/"), "/evidence/")
    assert_private(client.get("/accounts/password_change/"), "/accounts/password_change/")


def test_public_evidence_pages_for_readers_not_signed_in_are_not_marked_private(client, db):
    response = client.get("/evidence/")
    assert "private" not in response.get("Cache-Control", "")
