"""Creating an organisation, the start page that lists mine, and an organisation's checklists."""

from peerplan.models import Membership, Organisation
from peerplan.operations import checklists, organisations


def test_the_person_who_creates_an_organisation_becomes_its_owner(client, outsider):
    client.force_login(outsider)
    response = client.post("/app/orgs/new/", {"name": "Eastside Crisis Team"})
    organisation = Organisation.objects.get(name="Eastside Crisis Team")
    assert response["Location"] == f"/app/orgs/{organisation.slug}/"
    assert Membership.objects.get(organisation=organisation, user=outsider).role == "owner"


def test_two_organisations_with_the_same_name_get_different_addresses(owner):
    first = organisations.create_organisation(name="Same Name", by=owner)
    second = organisations.create_organisation(name="Same Name", by=owner)
    assert first.slug != second.slug


def test_an_organisation_needs_a_name(client, owner):
    client.force_login(owner)
    response = client.post("/app/orgs/new/", {"name": ""})
    assert response.status_code == 200
    assert "is required" in response.content.decode()


def test_the_start_page_lists_only_my_organisations(client, owner, outsider, org_a, org_b):
    client.force_login(owner)
    page = client.get("/app/").content.decode()
    assert org_a.name in page
    assert org_b.name not in page
    assert "Your role: owner" in page


def test_the_organisation_page_lists_current_checklists_before_archived_ones(client, owner, org_a):
    checklists.create_checklist_from_evidence(organisation=org_a, title="Old plan", status="archived", by=owner)
    checklists.create_checklist_from_evidence(organisation=org_a, title="Zebra plan", status="active", by=owner)
    checklists.create_checklist_from_evidence(organisation=org_a, title="Draft plan", status="draft", by=owner)
    client.force_login(owner)
    page = client.get("/app/orgs/northside/").content.decode()
    archived_heading = page.index("Archived checklists")
    assert page.index("Draft plan") < archived_heading
    assert page.index("Zebra plan") < archived_heading
    assert page.index("Old plan") > archived_heading
    assert "0 of 16 applicable challenges covered (0%)" in page


def test_a_viewer_sees_the_checklists_but_no_new_checklist_button(client, viewer, org_a):
    client.force_login(viewer)
    page = client.get("/app/orgs/northside/").content.decode()
    assert "New checklist" not in page
