"""One family for refused operations (peerplan/lib/errors.py), answered in one place each: a refusal no view
showed in place becomes a page at its status on the site, and JSON at its status under /api/, with nothing
changed; never a 500."""

import pytest

from peerplan.lib.errors import Conflict, NotAllowed, Refused
from peerplan.operations import checklists, mitigations
from tests.api_helpers import call


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (Refused("The checklist cannot be archived while it is being reviewed."), 400),
        (NotAllowed("Only owners may archive this checklist."), 403),
        (Conflict(current=None, message="Someone archived it a moment ago."), 409),
    ],
)
def test_a_refusal_no_view_caught_is_a_page_at_its_status(server_client, owner, plan, monkeypatch, refusal, status):
    checklist = plan["checklist"]

    def refuse(**kwargs):
        raise refusal

    monkeypatch.setattr(checklists, "set_checklist_status", refuse)
    server_client.force_login(owner)

    response = server_client.post(f"/app/checklists/{checklist.pk}/archive/")

    assert response.status_code == status
    page = response.content.decode()
    assert "<h1>Nothing was changed</h1>" in page
    assert str(refusal) in page
    checklist.refresh_from_db()
    assert checklist.status == "active"


def test_a_refusal_under_the_api_is_json_at_its_status(server_client, plan, secret, monkeypatch):
    mitigation = plan["mitigation"]

    def refuse(**kwargs):
        raise NotAllowed("Actions of an archived checklist cannot change.")

    monkeypatch.setattr(mitigations, "update_mitigation", refuse)

    response = call(
        server_client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"notes": "Agreed with HR"},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Actions of an archived checklist cannot change.", "errors": []}
    mitigation.refresh_from_db()
    assert mitigation.notes == ""
