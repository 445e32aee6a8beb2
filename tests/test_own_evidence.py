"""An organisation's own evidence: owners and managers add sources, themes, findings and who reported them;
it is seen only inside the organisation (never on public pages, the API, published exports, the curators'
admin, or by another organisation); its challenges go into checklists marked as the service's own; it is
exported and imported in the same format."""

import json
from io import BytesIO, StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook

from evidence.models import Source, Theme
from peerplan.notify.context import unread_count
from peerplan.operations import own_evidence
from peerplan.operations.checklists import create_checklist_from_evidence
from tests.factories import make_own_source

SECRET = "Fixture text: night shifts left PSWs without anyone to debrief with."


@pytest.fixture
def survey(org_a, owner):
    return make_own_source(org_a, summary=SECRET, title="Northside staff survey", heading="Topic")


def test_a_manager_adds_a_source_and_what_people_reported(client, org_a, manager, viewer):
    client.force_login(manager)
    response = client.post(
        f"/app/orgs/{org_a.slug}/evidence/new/",
        {"name": "Lessons from our first year", "title": "What we learnt", "year": "2026", "heading": "Area"},
    )
    source = Source.objects.get(name="Lessons from our first year")
    assert source.organisation == org_a and source.version == 1
    assert response["Location"] == f"/app/orgs/{org_a.slug}/evidence/{source.pk}/"
    response = client.post(
        response["Location"],
        {
            "heading": "Teams",
            "theme": "Induction",
            "kind": "barrier",
            "group": "Non-peer staff",
            "summary": "No induction.",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "Added to “Lessons from our first year”: Induction (barrier)." in text
    assert "Area: Teams" in text and "Reported by: Non-peer staff" in text and "No induction." in text

    client.force_login(viewer)
    text = client.get(f"/app/orgs/{org_a.slug}/evidence/").content.decode()
    assert "No induction." in text
    assert "Add a source of your own" not in text
    assert client.post(f"/app/orgs/{org_a.slug}/evidence/{source.pk}/", {"theme": "x"}).status_code == 403


def test_a_blank_theme_is_refused_with_a_message_and_nothing_is_added(client, org_a, manager, survey):
    client.force_login(manager)
    response = client.post(
        f"/app/orgs/{org_a.slug}/evidence/{survey.pk}/",
        {"heading": "Support", "theme": "  ", "kind": "challenge", "group": "PSWs", "summary": "Text"},
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode() or "is-invalid" in response.content.decode()
    assert Theme.objects.filter(category__source=survey).count() == 1


def test_own_evidence_is_never_on_the_public_pages_or_the_api(client, survey, planner):
    theme = Theme.objects.get(name="Debrief after night shifts")
    for url in ["/evidence/", "/evidence/?q=debrief", f"/evidence/?source={survey.slug}", "/api/evidence/"]:
        text = client.get(url).content.decode()
        assert SECRET not in text and "Debrief after night shifts" not in text, url
    assert client.get(theme.get_absolute_url()).status_code == 404
    assert client.get(f"/api/evidence/themes/{theme.slug}/").status_code == 404
    # Not even for a signed-in member of the organisation: the public pages are the published evidence.
    client.force_login(planner)
    assert SECRET not in client.get("/evidence/?q=debrief").content.decode()


def test_own_evidence_is_not_in_the_published_export(survey):
    out = StringIO()
    call_command("export_evidence", stdout=out)
    assert SECRET not in out.getvalue()
    assert [s["id"] for s in json.loads(out.getvalue())["sources"]] == ["cooper-2024-table-6"]


def test_curators_never_see_an_organisations_own_evidence(client, survey, curator):
    client.force_login(curator)
    theme = Theme.objects.get(name="Debrief after night shifts")
    for url in [
        "/admin/evidence/source/",
        "/admin/evidence/theme/?q=debrief",
        "/admin/evidence/perspective/?q=debrief",
        "/admin/evidence/finding/",
        "/admin/evidence/category/",
    ]:
        text = client.get(url).content.decode()
        assert "Staff survey 2026" not in text and "Debrief after night shifts" not in text, url
    response = client.get(f"/admin/evidence/theme/{theme.pk}/change/", follow=True)
    assert "Debrief after night shifts" not in response.content.decode()
    response = client.get(f"/admin/evidence/source/{survey.pk}/change/", follow=True)
    assert "Northside staff survey" not in response.content.decode()


def test_another_organisation_never_sees_it(client, survey, org_b, outsider):
    client.force_login(outsider)
    assert client.get(f"/app/orgs/northside/evidence/{survey.pk}/").status_code == 404
    assert client.get(f"/app/orgs/northside/evidence/{survey.pk}/export.json").status_code == 404
    # Not through their own organisation's URLs either.
    assert client.get(f"/app/orgs/{org_b.slug}/evidence/{survey.pk}/").status_code == 404
    assert client.get(f"/app/orgs/{org_b.slug}/evidence/{survey.pk}/export.json").status_code == 404
    assert SECRET not in client.get(f"/app/orgs/{org_b.slug}/evidence/").content.decode()
    theirs = create_checklist_from_evidence(organisation=org_b, title="Theirs", by=outsider, status="active")
    assert not theirs.items.filter(finding__theme__category__source=survey).exists()
    assert SECRET not in client.get(f"/app/checklists/{theirs.pk}/").content.decode()
    assert "Staff survey 2026" not in client.get(f"/app/checklists/{theirs.pk}/").content.decode()


def test_its_challenges_go_into_checklists_marked_as_the_services_own(client, org_a, owner, planner):
    active = create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=owner, status="active")
    survey = make_own_source(org_a, summary=SECRET)
    client.force_login(planner)
    text = client.get(f"/app/checklists/{active.pk}/").content.decode()
    assert "1 new challenge from Staff survey 2026 version 1" in text
    assert "Your service's own evidence" in text
    finding = survey.categories.get().themes.get().findings.get()
    client.post(f"/app/checklists/{active.pk}/evidence/add/", {"finding": [finding.pk]})
    item = active.items.get(finding=finding)
    assert item.applies and item.is_challenge
    text = client.get(f"/app/items/{item.pk}/").content.decode()
    assert "Your service's own evidence" in text and "Not published evidence." in text
    assert SECRET in text
    # A new checklist includes it from the start.
    fresh = create_checklist_from_evidence(organisation=org_a, title="Ward 5", by=owner)
    assert fresh.items.filter(finding=finding).exists()


def test_an_own_source_is_exported_and_imported_by_a_partner_in_the_same_format(
    client, survey, manager, org_b, outsider
):
    client.force_login(manager)
    response = client.get(f"/app/orgs/northside/evidence/{survey.pk}/export.json")
    assert response["Content-Disposition"] == 'attachment; filename="staff-survey-2026-v1.json"'
    exported = response.content.decode()
    data = json.loads(exported)
    assert data["format"] == "peerplan-evidence/2" and data["sources"][0]["name"] == "Staff survey 2026"

    client.force_login(outsider)  # the owner of Southside, the partner
    response = client.post(
        f"/app/orgs/{org_b.slug}/evidence/import/",
        {"release": SimpleUploadedFile("survey.json", exported.encode())},
        follow=True,
    )
    assert "Imported as your own evidence: Staff survey 2026 version 1." in response.content.decode()
    theirs = Source.objects.get(organisation=org_b)
    assert theirs.pk != survey.pk
    response = client.get(f"/app/orgs/{org_b.slug}/evidence/{theirs.pk}/export.json")
    assert response.content.decode() == exported  # the same bytes
    # Importing the same version again is refused, as for published sources.
    response = client.post(
        f"/app/orgs/{org_b.slug}/evidence/import/",
        {"release": SimpleUploadedFile("survey.json", exported.encode())},
        follow=True,
    )
    assert "is not newer than the version 1 already loaded" in response.content.decode()
    # Still not public.
    assert SECRET not in client.get("/evidence/?q=debrief").content.decode()


# Wherever themes are listed for a person: the organisation's own appear inside it and nowhere else ---------


@pytest.fixture
def planned(survey, org_a, org_b, owner, outsider):
    """An action of Northside on its own challenge, and one of Southside on a published one."""
    from tests.factories import item_for, make_checklist, make_mitigation

    ours = make_checklist(org_a, "Ward 4", owner)
    own_item = ours.items.get(finding__theme__category__source=survey)
    make_mitigation(own_item, "Debrief rota")
    make_mitigation(item_for(ours, "Workload"), "Cap caseloads")
    theirs = make_checklist(org_b, "South plan", outsider)
    make_mitigation(item_for(theirs, "Workload"), "Southside caseloads")
    return {"ours": ours, "theirs": theirs, "theme": own_item.finding.theme}


def test_the_action_filter_offers_the_organisations_own_themes_and_no_other_organisations(
    client, planned, owner, outsider
):
    theme = planned["theme"]
    client.force_login(owner)
    response = client.get("/app/orgs/northside/actions/")
    assert f'<option value="{theme.pk}">Debrief after night shifts</option>' in response.content.decode()
    response = client.get("/app/orgs/northside/actions/", {"theme": theme.pk})
    assert [a.action for a in response.context["page"].object_list] == ["Debrief rota"]

    client.force_login(outsider)
    response = client.get("/app/orgs/southside/actions/")
    text = response.content.decode()
    assert "Debrief after night shifts" not in text
    assert 'value="{}"'.format(Theme.objects.get(name="Workload").pk) in text  # published themes are offered
    # Asking for it by its id is refused like any theme not listed, and the list is not narrowed.
    response = client.get("/app/orgs/southside/actions/", {"theme": theme.pk})
    text = response.content.decode()
    assert "Choose one of the listed themes." in text and "Debrief after night shifts" not in text
    assert [a.action for a in response.context["page"].object_list] == ["Southside caseloads"]


def test_the_apis_theme_filter_refuses_another_organisations_own_theme(client, planned, owner, org_a, org_b, outsider):
    from tests.api_helpers import call, token_for

    theme = planned["theme"]
    ours = call(client, "GET", f"/api/organisations/northside/mitigations/?theme={theme.pk}", token_for(owner, org_a))
    assert [m["action"] for m in ours.json()["results"]] == ["Debrief rota"]
    response = call(
        client, "GET", f"/api/organisations/southside/mitigations/?theme={theme.pk}", token_for(outsider, org_b)
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "theme", "message": "Choose one of the listed themes."}]
    # The schema describes the filters without listing any theme.
    assert "Debrief after night shifts" not in client.get("/api/schema/").content.decode()


def test_coverage_by_theme_links_an_own_theme_inside_the_organisation_and_others_never_see_it(
    client, planned, survey, owner, outsider
):
    client.force_login(owner)
    text = client.get("/app/orgs/northside/coverage/").content.decode()
    # The row names the theme; the service's own is marked and links to its page inside the organisation.
    assert (
        '<th scope="row">Debrief after night shifts <span class="small d-block">'
        f'(<a href="/app/orgs/northside/evidence/{survey.pk}/">your own evidence</a>)</span></th>'
    ) in text
    assert '<th scope="row">Workload</th>' in text
    client.force_login(outsider)
    text = client.get("/app/orgs/southside/coverage/").content.decode()
    assert "Debrief after night shifts" not in text and "Workload" in text


def test_exports_of_another_organisation_never_hold_it(client, planned, outsider, owner):
    client.force_login(outsider)
    for suffix in ["export.csv", "export.xlsx", "report/"]:
        response = client.get(f"/app/checklists/{planned['theirs'].pk}/{suffix}")
        assert response.status_code == 200, suffix
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if suffix == "export.xlsx":  # compressed: read the cells
            sheet = load_workbook(BytesIO(body)).active
            body = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row).encode()
        assert b"Caseloads" in body or b"caseloads" in body, suffix
        assert b"Debrief after night shifts" not in body and SECRET.encode() not in body, suffix
    from peerplan.operations.checklists import decide_item

    own_item = planned["ours"].items.get(finding__theme=planned["theme"])
    decide_item(item=own_item, applies=True, by=owner)  # only a decision says which version it was made against
    client.force_login(owner)
    response = client.get(f"/app/checklists/{planned['ours'].pk}/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Debrief after night shifts" in text and "Staff survey 2026 version 1" in text


def test_curators_cannot_link_a_suggestion_to_an_organisations_own_theme(client, survey, curator):
    client.force_login(curator)
    for url in ["/admin/peerplan/suggestedmitigation/add/", "/admin/peerplan/suggestedmitigation/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Debrief after night shifts" not in response.content.decode(), url
    assert "Role ambiguity" in client.get("/admin/peerplan/suggestedmitigation/add/").content.decode()


@pytest.mark.parametrize("themes", [1, 8])
def test_the_own_evidence_pages_run_a_fixed_number_of_queries(
    client, survey, org_a, manager, themes, django_assert_num_queries
):
    for n in range(themes):
        own_evidence.add_own_finding(
            source=survey, heading=f"Area {n % 3}", theme=f"Theme {n}", kind="barrier", group="PSWs", summary="Text."
        )
    client.force_login(manager)
    unread_count(manager)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    # session, person with the bell's count (two cache reads), organisation and membership (one query), sources, themes, their findings, the findings' references,
    # perspectives and their references
    with django_assert_num_queries(9):
        assert client.get(f"/app/orgs/{org_a.slug}/evidence/").status_code == 200
    # the same, with the one source instead of the organisation's sources
    with django_assert_num_queries(9):
        assert client.get(f"/app/orgs/{org_a.slug}/evidence/{survey.pk}/").status_code == 200
