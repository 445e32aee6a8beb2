"""The admin is the curators' tool: curators can curate, nobody else can, and edits reach the public pages."""

import html

import pytest
from django.contrib.auth.models import Group

from evidence.models import Finding, Perspective, Reference, Theme
from tests.factories import make_user


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def staff_without_group(db):
    user = make_user("stan", "Stan")
    user.is_staff = True
    user.save()
    return user


def test_the_curators_group_has_exactly_the_curation_permissions(db):
    codenames = set(Group.objects.get(name="Curators").permissions.values_list("codename", flat=True))
    models = ["source", "reference", "category", "theme", "finding", "perspective", "statement"]
    models += ["suggestedmitigation", "implementationphase"]
    assert codenames == {f"{action}_{m}" for m in models for action in ["add", "change", "delete", "view"]}


def test_a_curator_can_open_the_evidence_in_the_admin(curator_client):
    theme = Theme.objects.get(name="Role ambiguity")
    for url in [
        "/admin/evidence/reference/",
        "/admin/evidence/reference/?q=23",
        "/admin/evidence/theme/",
        "/admin/evidence/theme/?q=tokenistic",
        f"/admin/evidence/theme/{theme.pk}/change/",
        f"/admin/evidence/finding/{theme.findings.get(valence='challenge').pk}/change/",
        "/admin/evidence/perspective/?group__exact=Mixed",
        "/admin/evidence/category/",
        "/admin/evidence/source/",
        f"/admin/evidence/theme/{theme.pk}/history/",
    ]:
        assert curator_client.get(url).status_code == 200, url


def test_reference_search_finds_a_number(curator_client):
    text = curator_client.get("/admin/evidence/reference/?q=64").content.decode()
    assert "1 result" in text


def test_a_citation_edited_by_a_curator_shows_on_the_public_theme_page(curator_client):
    client = curator_client
    assert 'id="ref-64"' not in client.get("/evidence/themes/workload/").content.decode()  # now cached
    reference = Reference.objects.get(number=64)
    response = client.post(
        f"/admin/evidence/reference/{reference.pk}/change/",
        {"number": "64", "citation": "Example B. Peer workers in mental health teams. 2021."},
    )
    assert response.status_code == 302
    text = html.unescape(client.get("/evidence/themes/workload/").content.decode())
    assert "Example B. Peer workers in mental health teams. 2021." in text
    latest = reference.history.first()
    assert latest.citation == "Example B. Peer workers in mental health teams. 2021."
    assert latest.history_user.username == "cora"


def test_a_curator_can_rename_a_theme(curator_client):
    theme = Theme.objects.get(name="Treatment models")
    finding = theme.findings.get()
    data = {
        "category": theme.category_id,
        "name": "Treatment models (renamed)",
        "slug": theme.slug,
        "position": theme.position,
        "findings-TOTAL_FORMS": "1",
        "findings-INITIAL_FORMS": "1",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "1000",
        "findings-0-id": finding.pk,
        "findings-0-theme": theme.pk,
        "findings-0-position": "1",
        "findings-0-valence": "challenge",
        "findings-0-references": [r.pk for r in finding.references.all()],
    }
    response = curator_client.post(f"/admin/evidence/theme/{theme.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Treatment models (renamed)" in curator_client.get("/evidence/").content.decode()
    finding.refresh_from_db()
    assert finding.evidence_changed_at is None  # the finding's published content did not change


def perspective_form(perspective, **changes):
    data = {
        "finding": perspective.finding_id,
        "position": perspective.position,
        "group": perspective.group,
        "references": [r.pk for r in perspective.references.all()],
        "summary": perspective.summary,
        # Ticked checkboxes, one value each.
        "stakeholders": list(perspective.stakeholders),
    }
    data.update(changes)
    return data


def test_editing_a_perspectives_published_text_marks_its_finding_changed(curator_client):
    perspective = Perspective.objects.get(finding__theme__name="Workload")
    url = f"/admin/evidence/perspective/{perspective.pk}/change/"
    change = {"change_kind": "major", "change_note": "The finding now says it was corrected."}
    response = curator_client.post(
        url, perspective_form(perspective, summary=perspective.summary + " Corrected.", **change)
    )
    assert response.status_code == 302
    finding = Finding.objects.get(pk=perspective.finding_id)
    assert finding.evidence_changed_at is not None
    assert "Corrected." in curator_client.get("/evidence/themes/workload/").content.decode()


def test_saving_a_perspective_unchanged_does_not_mark_its_finding(curator_client):
    perspective = Perspective.objects.get(finding__theme__name="Workload")
    response = curator_client.post(
        f"/admin/evidence/perspective/{perspective.pk}/change/", perspective_form(perspective)
    )
    assert response.status_code == 302
    assert Finding.objects.get(pk=perspective.finding_id).evidence_changed_at is None


def test_changing_a_findings_references_marks_it_changed(curator_client):
    finding = Finding.objects.get(theme__name="Treatment models")
    numbers = Reference.objects.filter(number__in=[23, 61])
    response = curator_client.post(
        f"/admin/evidence/finding/{finding.pk}/change/",
        {
            "theme": finding.theme_id,
            "position": "1",
            "valence": "challenge",
            "references": [r.pk for r in numbers],
            "perspectives-TOTAL_FORMS": "0",
            "perspectives-INITIAL_FORMS": "0",
            "perspectives-MIN_NUM_FORMS": "0",
            "perspectives-MAX_NUM_FORMS": "1000",
            "change_kind": "major",
            "change_note": "Two more reviews report it.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    finding.refresh_from_db()
    assert finding.reference_numbers() == [23, 61]
    assert finding.evidence_changed_at is not None


def test_deleting_a_finding_a_checklist_uses_explains_why_it_cannot(curator_client, org_a):
    from peerplan.models import Checklist, Item

    finding = Finding.objects.get(theme__name="Workload")
    checklist = Checklist.objects.create(organisation=org_a, title="Ward 4 peer support")
    Item.objects.create(checklist=checklist, finding=finding)
    response = curator_client.get(f"/admin/evidence/finding/{finding.pk}/delete/")
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "This finding cannot be deleted." in text
    assert "This finding is used by 1 checklist in 1 organisation. A release retires it instead of deleting it." in text
    response = curator_client.post(f"/admin/evidence/finding/{finding.pk}/delete/", {"post": "yes"})
    assert Finding.objects.filter(pk=finding.pk).exists()


def test_deleting_a_theme_with_findings_is_refused_with_a_readable_page(curator_client):
    theme = Theme.objects.get(name="Workload")
    response = curator_client.post(
        "/admin/evidence/theme/", {"action": "delete_selected", "_selected_action": [theme.pk]}
    )
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "The selected theme cannot be deleted." in text
    assert "This theme still has 1 finding under it: Workload: challenge. Move it elsewhere or delete it first." in text
    assert Theme.objects.filter(pk=theme.pk).exists()


@pytest.mark.parametrize("path", ["/admin/evidence/reference/", "/admin/evidence/theme/", "/admin/evidence/finding/"])
def test_staff_without_the_curators_group_are_refused(client, staff_without_group, path):
    client.force_login(staff_without_group)
    assert client.get(path).status_code == 403
    reference = Reference.objects.get(number=23)
    response = client.post(f"/admin/evidence/reference/{reference.pk}/change/", {"number": "23", "citation": "X"})
    assert response.status_code == 403
    reference.refresh_from_db()
    assert reference.citation == ""


@pytest.mark.parametrize("path", ["/admin/evidence/reference/", "/admin/evidence/theme/"])
def test_a_signed_in_person_who_is_not_staff_is_sent_to_the_admin_sign_in(client, planner, path):
    client.force_login(planner)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_visitor_is_sent_to_the_admin_sign_in(client, db):
    response = client.get("/admin/evidence/theme/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_used_findings_delete_page_shows_counts_never_organisations_or_their_plans(curator_client, org_a, org_b):
    from peerplan.models import Checklist, Item

    finding = Finding.objects.get(theme__name="Workload")
    for org, title in ((org_a, "Northside secret ward plan"), (org_b, "Southside secret plan")):
        checklist = Checklist.objects.create(organisation=org, title=title)
        Item.objects.create(checklist=checklist, finding=finding, note="Private note of the ward")

    text = html.unescape(curator_client.get(f"/admin/evidence/finding/{finding.pk}/delete/").content.decode())

    assert "This finding is used by 2 checklists in 2 organisations." in text
    for secret in ("Northside", "Southside", "secret", "Private note", "/admin/peerplan/item/"):
        assert secret not in text
    text = html.unescape(
        curator_client.post(
            "/admin/evidence/finding/", {"action": "delete_selected", "_selected_action": [finding.pk]}
        ).content.decode()
    )
    assert "This finding is used by 2 checklists in 2 organisations." in text and "Northside" not in text


def test_an_adopted_suggestions_delete_page_counts_the_actions_without_their_text(curator_client, org_a, owner):
    from peerplan.models import SuggestedMitigation
    from peerplan.operations import checklists, mitigations

    checklist = checklists.create_checklist_from_evidence(organisation=org_a, title="Ward plan", by=owner)
    suggestion = SuggestedMitigation.objects.filter(is_published=True).first()
    item = checklist.items.filter(finding__theme__in=suggestion.themes.all()).first()
    for _ in range(3):
        mitigation = mitigations.adopt_suggestion(item=item, suggestion=suggestion, by=owner)
        mitigation.action = "Northside's own words: call Ms Example on Tuesdays"
        mitigation.save()

    text = html.unescape(
        curator_client.get(f"/admin/peerplan/suggestedmitigation/{suggestion.pk}/delete/").content.decode()
    )

    assert "This suggested action is adopted by 3 actions in 1 organisation." in text
    assert "Ms Example" not in text and "Northside" not in text
