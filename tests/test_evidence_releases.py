"""Releases of a source: the upgrade preview (command line and admin), applying it, what it offers each
active checklist, retired findings kept or closed, and the version each item was decided against. The
second source is the invented test fixture (tests/fixtures/example_framework.json), never real evidence."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.interchange import import_evidence
from evidence.models import Finding, Release, Source
from peerplan.models import Item, RetiredChoice, organisation_generations
from peerplan.operations.checklists import create_checklist_from_evidence, decide_item
from tests.worlds import framework, item_on, version_2


@pytest.fixture
def plans(db, org_a, owner, planner, viewer):
    import_evidence(framework())
    active = create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=owner, status="active")
    draft = create_checklist_from_evidence(organisation=org_a, title="Draft plan", by=owner)
    return active, draft


def test_items_record_the_version_they_were_decided_against(plans):
    active, _ = plans
    item = item_on(active, "Supervision by a peer lead")
    assert item.evidence_version == 1
    import_evidence(version_2())
    item.refresh_from_db()
    assert item.evidence_version == 1  # a release does not decide for anyone
    decide_item(item=item, applies=True)
    item.refresh_from_db()
    assert item.evidence_version == 2


def test_after_a_release_an_active_checklist_is_offered_the_added_findings(client, plans, planner):
    active, draft = plans
    import_evidence(version_2())
    client.force_login(planner)

    text = client.get(f"/app/checklists/{active.pk}/").content.decode()
    assert "1 new barrier and 1 new facilitator from Example framework (test fixture) version 2" in text
    assert "add them to this checklist?" in text
    assert "Add all 2" in text
    # Drafts are not offered anything.
    assert "new barrier" not in client.get(f"/app/checklists/{draft.pk}/").content.decode()


def test_a_planner_adds_one_offered_finding_then_the_rest(client, plans, planner):
    active, _ = plans
    import_evidence(version_2())
    barrier = Finding.objects.get(theme__name="Peer career pathway", valence="barrier")
    facilitator = Finding.objects.get(theme__name="Peer career pathway", valence="facilitator")
    client.force_login(planner)

    response = client.post(f"/app/checklists/{active.pk}/evidence/add/", {"finding": [barrier.pk]}, follow=True)
    assert "Added to this checklist: Peer career pathway (barrier)." in response.content.decode()
    item = active.items.get(finding=barrier)
    assert item.applies and item.evidence_version == 2
    assert "1 new facilitator from Example framework (test fixture) version 2" in response.content.decode()

    client.post(f"/app/checklists/{active.pk}/evidence/add/", {"finding": [facilitator.pk]})
    added = active.items.get(finding=facilitator)
    assert not added.applies  # an outcome to choose, like a benefit
    assert "new facilitator" not in client.get(f"/app/checklists/{active.pk}/").content.decode()


def test_only_findings_on_offer_can_be_added(client, plans, planner):
    active, _ = plans
    import_evidence(version_2())
    already = item_on(active, "Supervision by a peer lead").finding
    retired = Finding.objects.get(theme__name="Protected time for reflection")
    client.force_login(planner)
    before = active.items.count()
    for forged in ([already.pk], [retired.pk], [999999], ["x"]):
        response = client.post(f"/app/checklists/{active.pk}/evidence/add/", {"finding": forged}, follow=True)
        assert "These findings are not on offer to this checklist" in response.content.decode()
    assert active.items.count() == before


def test_a_retired_finding_keeps_its_item_marked_and_the_planner_keeps_or_closes_it(client, plans, planner):
    active, _ = plans
    item = item_on(active, "Protected time for reflection")
    challenges_before = active.items.challenges().count()
    import_evidence(version_2())
    client.force_login(planner)

    text = client.get(f"/app/items/{item.pk}/").content.decode()
    assert "No longer in the current evidence (removed in version 2)" in text
    assert "Fixture text: rotas left no time for reflective practice." in text  # still shown as it was
    checklist_text = client.get(f"/app/checklists/{active.pk}/").content.decode()
    assert "No longer in the current evidence (removed in version 2)" in checklist_text

    client.post(f"/app/items/{item.pk}/retired/", {"choice": "keep"})
    item.refresh_from_db()
    assert item.retired_choice == RetiredChoice.KEPT
    assert active.items.challenges().count() == challenges_before

    client.post(f"/app/items/{item.pk}/retired/", {"choice": "close"})
    item.refresh_from_db()
    assert item.retired_choice == RetiredChoice.CLOSED
    assert active.items.challenges().count() == challenges_before - 1
    assert Item.objects.filter(pk=item.pk).exists()


def test_keep_or_close_is_refused_for_current_evidence(client, plans, planner):
    active, _ = plans
    item = item_on(active, "Supervision by a peer lead")
    client.force_login(planner)
    response = client.post(f"/app/items/{item.pk}/retired/", {"choice": "close"}, follow=True)
    assert "nothing to keep or close" in response.content.decode()
    item.refresh_from_db()
    assert item.retired_choice == ""


def test_changed_findings_flag_their_items_with_before_and_after(client, plans, planner):
    active, _ = plans
    item = item_on(active, "Supervision by a peer lead")
    decide_item(item=item, applies=True, by=planner)
    import_evidence(version_2())
    client.force_login(planner)
    text = client.get(f"/app/items/{item.pk}/").content.decode()
    assert "Evidence updated since you reviewed it" in text
    assert "you decided against version 1; it is now version 2" in text
    assert "Fixture text: no peer lead was available to supervise. Revised." in text


def test_exports_and_the_report_show_the_version_each_item_was_decided_against(client, plans, planner):
    active, _ = plans
    for theme, kind in (("Supervision by a peer lead", "barrier"), ("Workload", "challenge")):
        decide_item(item=item_on(active, theme, kind), applies=True, by=planner)
    client.force_login(planner)
    response = client.get(f"/app/checklists/{active.pk}/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    row = next(r for r in rows if r["Item"] == "Supervision by a peer lead: barrier")
    assert row["Decided against"] == "Example framework (test fixture) version 1"
    workload = next(r for r in rows if r["Item"] == "Workload: challenge")
    assert workload["Decided against"] == "Cooper et al. 2024, Table 6 version 1"
    report = client.get(f"/app/checklists/{active.pk}/report/").content.decode()
    assert "Decided against Example framework (test fixture) version 1" in report


# The admin preview and apply ------------------------------------------------------------------------


def upload(client, data, name="framework-v2.json"):
    body = json.dumps(data).encode()
    return client.post("/admin/evidence/source/import/", {"release": SimpleUploadedFile(name, body)})


def test_a_curator_previews_a_release_in_the_admin_and_nothing_changes_until_applied(client, plans, curator, org_b):
    create_checklist_from_evidence(organisation=org_b, title="Southside secret plan", by=None, status="active")
    client.force_login(curator)
    response = upload(client, version_2())
    assert response.status_code == 302
    release = Release.objects.get()

    text = client.get(response["Location"]).content.decode()
    assert "Example framework (test fixture): version 1 → version 2" in text
    assert "<li>Peer career pathway: barrier</li>" in text
    assert "<li>Supervision by a peer lead: barrier</li>" in text
    assert "<li>Protected time for reflection: barrier</li>" in text
    assert "<td>Northside Mental Health Service</td><td>2</td><td>4</td>" in text
    assert "<td>Southside Trust</td><td>1</td><td>2</td>" in text
    # Counts only: no checklist titles, no item decisions.
    assert "Ward 4" not in text and "Southside secret plan" not in text
    assert Source.objects.get(slug="example-framework").version == 1

    note = {"change_note": "The barrier's text is revised."}
    response = client.post(f"/admin/evidence/source/import/{release.pk}/", note, follow=True)
    assert "Applied framework-v2.json: 2 findings added, 1 changed, 1 retired." in response.content.decode()
    assert Source.objects.get(slug="example-framework").version == 2
    release.refresh_from_db()
    assert release.applied_by == curator


def test_an_older_or_equal_version_is_refused_in_the_preview(client, plans, curator):
    client.force_login(curator)
    response = upload(client, framework(version=1))
    text = client.get(response["Location"]).content.decode()
    assert "version 1 is not newer than the version 1 already loaded" in text
    assert "Apply this release" not in text


def test_a_bad_file_is_refused_at_upload_with_the_place_named(client, db, curator):
    client.force_login(curator)
    data = framework()
    data["sources"][0]["categories"][0]["themes"][0]["findings"][0]["kind"] = "obstacle"
    response = upload(client, data)
    assert response.status_code == 200
    assert "sources[0].categories[0].themes[0].findings[0].kind: unknown kind" in response.content.decode()
    assert not Release.objects.exists()


def test_people_who_are_not_curators_cannot_import(client, db, planner):
    client.force_login(planner)
    assert client.get("/admin/evidence/source/import/").status_code == 302  # to the admin sign-in


@pytest.mark.parametrize("added", [1, 10])
def test_the_offer_costs_one_query_however_many_findings_are_offered(
    client, plans, owner, added, django_assert_num_queries
):
    active, _ = plans
    data = framework(version=2)
    themes = data["sources"][0]["categories"][0]["themes"]
    for n in range(added):
        themes.append(
            {
                "name": f"Added theme {n}",
                "findings": [
                    {
                        "kind": "barrier",
                        "references": [1],
                        "samples": [{"group": "PSWs", "references": [1], "summary": "Fixture."}],
                    }
                ],
            }
        )
    import_evidence(data)
    client.force_login(owner)
    client.get(f"/app/checklists/{active.pk}/")  # the evidence facts are cached once for every checklist
    organisation_generations.organisation_changed(active.organisation)  # the body cached by that view is out of date
    # As for a checklist page with nothing to rank after a change (13, see test_checklists.py), plus the
    # findings on offer with their sources (1). Suggestions are ranked here without a query of their own: the
    # suggestions the checklist's actions were adopted from are read once for the ranking and the merge offer,
    # and the suggestions with their themes, figures and citations are kept by this process for the evidence
    # generation, as the evidence facts are.
    with django_assert_num_queries(13):
        response = client.get(f"/app/checklists/{active.pk}/")
    assert f"{added} new barrier" in response.content.decode()
