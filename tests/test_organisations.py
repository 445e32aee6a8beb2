"""Creating an organisation, the start page that lists mine, and an organisation's checklists."""

import datetime

from peerplan.models import Membership, Organisation
from peerplan.operations import checklists, organisations
from peerplan.pages import organisations as organisation_pages


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


# A kept row's arguments: its link, title, status, service, review date, covered, applicable and done.
ROW = (
    "/app/checklists/41/",
    "Community team",
    "active",
    "Community mental health",
    datetime.date(2027, 3, 1),
    6,
    16,
    2,
)


def test_a_kept_checklist_row_changes_with_every_value_it_shows():
    shown = organisation_pages._checklist_row(*ROW)
    assert '<a class="fw-semibold" href="/app/checklists/41/">Community team</a>' in shown
    assert ">Active</span>" in shown and "Community mental health ·" in shown
    assert "6 of 16 applicable challenges covered (38%), 2 done" in shown and "review by 1 March 2027" in shown
    changed = {
        "the link": (0, "/peerplan/app/checklists/41/", 'href="/peerplan/app/checklists/41/"'),
        "the title": (1, "Crisis team", ">Crisis team</a>"),
        "the status": (2, "archived", ">Archived</span>"),
        "the service": (3, "Crisis line", "Crisis line ·"),
        "the review date": (4, datetime.date(2027, 4, 2), "review by 2 April 2027"),
        "covered": (5, 7, "7 of 16 applicable challenges covered (44%)"),
        "applicable": (6, 17, "6 of 17 applicable challenges covered (35%)"),
        "done": (7, 3, "covered (38%), 3 done"),
    }
    for what, (place, value, now_shown) in changed.items():
        redrawn = organisation_pages._checklist_row(*ROW[:place], value, *ROW[place + 1 :])
        assert now_shown in redrawn and now_shown not in shown, what
    # No service or review date: neither is mentioned.
    bare = organisation_pages._checklist_row(*ROW[:3], "", None, *ROW[5:])
    assert " · " not in bare and "review by" not in bare
    # What people type is escaped like anywhere else.
    assert "&lt;b&gt;" in organisation_pages._checklist_row(ROW[0], "<b>", *ROW[2:])


def test_the_organisation_page_shows_a_checklists_new_title_and_coverage_on_the_next_read(client, owner, org_a):
    checklist = checklists.create_checklist_from_evidence(
        organisation=org_a, title="Old name", status="active", by=owner
    )
    client.force_login(owner)
    assert ">Old name</a>" in client.get("/app/orgs/northside/").content.decode()
    client.post(f"/app/checklists/{checklist.pk}/edit/", {"title": "New name", "status": "active"})
    page = client.get("/app/orgs/northside/").content.decode()
    assert ">New name</a>" in page and ">Old name</a>" not in page
