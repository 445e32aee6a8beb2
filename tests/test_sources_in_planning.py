"""Planning with several sources: the step-through review and copy-a-checklist treat items of every source
alike (what is reviewed follows the kind: challenges and barriers), the organisation's own included. The
second published source is the invented test fixture (tests/fixtures/example_framework.json)."""

import pytest
from django.utils.html import escape

from evidence.interchange import import_evidence
from peerplan.models import Checklist, Mitigation, RetiredChoice
from peerplan.operations import checklists, mitigations, own_evidence
from tests.worlds import framework, item_on, version_2


def add_survey(org_a):
    source = own_evidence.create_own_source(organisation=org_a, name="Staff survey 2026", title="Our survey", year=2026)
    for kind, theme, summary in [
        ("challenge", "Debrief after night shifts", "Fixture text: no one to debrief with."),
        ("benefit", "Peer-led induction", "Fixture text: new staff felt welcome."),
    ]:
        own_evidence.add_own_finding(
            source=source, heading="Support", theme=theme, kind=kind, group="PSWs", summary=summary
        )
    return source


@pytest.fixture
def checklist_of_every_source(db, org_a, owner):
    """An active checklist made once the framework and the organisation's own survey are there, so it holds
    items of all three sources."""
    import_evidence(framework())
    add_survey(org_a)
    return checklists.create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=owner, status="active")


def test_the_review_walks_challenges_and_barriers_of_every_source_and_the_organisations_own(
    client, checklist_of_every_source, planner
):
    walked = list(checklist_of_every_source.items.challenges().in_published_order())
    sources = [item.finding.theme.category.source.name for item in walked]
    # Table 6 first, then the framework, then the organisation's own: each source in its own order.
    assert sources == sorted(
        sources, key=["Cooper et al. 2024, Table 6", "Example framework (test fixture)", "Staff survey 2026"].index
    )
    assert {item.finding.valence for item in walked} == {"challenge", "barrier"}
    client.force_login(planner)
    text = client.get(f"/app/checklists/{checklist_of_every_source.pk}/review/summary/").content.decode()
    for theme in [
        "Role ambiguity",
        "Supervision by a peer lead",
        "Protected time for reflection",
        "Debrief after night shifts",
    ]:
        assert theme in text, theme
    assert "Peer-led induction" not in text  # a benefit is chosen as an outcome, not reviewed

    # The walk goes from the last barrier of the framework to the organisation's own challenge.
    barrier = item_on(checklist_of_every_source, "Protected time for reflection")
    response = client.post(
        f"/app/items/{barrier.pk}/review/", {"applies": "no", "not_applicable_reason": "Rota has it"}
    )
    own_item = checklist_of_every_source.items.get(finding__theme__name="Debrief after night shifts")
    assert response.status_code == 302 and response["Location"] == f"/app/items/{own_item.pk}/review/"
    barrier.refresh_from_db()
    assert (barrier.applies, barrier.not_applicable_reason, barrier.evidence_version) == (False, "Rota has it", 1)
    text = client.get(response["Location"]).content.decode()
    assert "Fixture text: no one to debrief with." in text and "Your service's own evidence" in text

    # A facilitator is not reviewed: its review page leads to the item itself.
    facilitator = item_on(checklist_of_every_source, "Supervision by a peer lead", kind="facilitator")
    assert client.get(f"/app/items/{facilitator.pk}/review/")["Location"] == f"/app/items/{facilitator.pk}/"


def test_a_challenge_closed_after_its_finding_was_retired_leaves_the_review(client, checklist_of_every_source, planner):
    retired = item_on(checklist_of_every_source, "Protected time for reflection")
    import_evidence(version_2())
    client.force_login(planner)
    assert (
        "Protected time for reflection"
        in client.get(f"/app/checklists/{checklist_of_every_source.pk}/review/summary/").content.decode()
    )
    client.post(f"/app/items/{retired.pk}/retired/", {"choice": "close"})
    assert (
        "Protected time for reflection"
        not in client.get(f"/app/checklists/{checklist_of_every_source.pk}/review/summary/").content.decode()
    )
    # The checklist lists it apart, out of the review's count.
    text = client.get(f"/app/checklists/{checklist_of_every_source.pk}/").content.decode()
    total = checklist_of_every_source.items.challenges().count()
    assert f"0 of {total} challenges decided" in text
    assert (
        f'<li><a href="/app/items/{retired.pk}/">Protected time for reflection</a> (barrier, removed in version 2)</li>'
        in text
    )


def test_a_copy_keeps_decisions_and_actions_on_items_of_every_source_and_retired_ones_kept(
    client, checklist_of_every_source, owner, planner
):
    own_item = checklist_of_every_source.items.get(finding__theme__name="Debrief after night shifts")
    barrier = item_on(checklist_of_every_source, "Supervision by a peer lead")
    retired = item_on(checklist_of_every_source, "Protected time for reflection")
    checklists.decide_item(item=own_item, applies=False, reason="Day service only", by=owner)
    checklists.decide_item(item=barrier, applies=True, priority="high", by=owner)
    mitigations.create_mitigation(items=[barrier, own_item], changes={"action": "Peer lead supervision"}, by=owner)
    mitigations.create_mitigation(items=[retired], changes={"action": "Reflection rota"}, by=owner)
    import_evidence(version_2())  # retires "Protected time for reflection", adds "Peer career pathway"
    client.force_login(planner)
    client.post(f"/app/items/{retired.pk}/retired/", {"choice": "keep"})

    response = client.post(
        "/app/orgs/northside/checklists/new/",
        {"copy_from": checklist_of_every_source.pk, "title": "Ward 4, 2027", "status": "draft"},
        follow=True,
    )
    assert response.status_code == 200
    copy = Checklist.objects.get(title="Ward 4, 2027")
    new_own = copy.items.get(finding=own_item.finding)
    assert (new_own.applies, new_own.not_applicable_reason, new_own.decided_by) == (False, "Day service only", owner)
    new_barrier = copy.items.get(finding=barrier.finding)
    assert (new_barrier.priority, new_barrier.is_decided, new_barrier.evidence_version) == ("high", True, 1)
    # The retired finding's item comes too, still kept, with its action; the new evidence comes in undecided.
    new_retired = copy.items.get(finding=retired.finding)
    assert new_retired.retired_choice == RetiredChoice.KEPT
    added = copy.items.get(finding__theme__name="Peer career pathway", finding__valence="barrier")
    assert (added.is_decided, added.evidence_version) == (False, 2)
    actions = {a.action: {i.pk for i in a.items.all()} for a in Mitigation.objects.filter(checklist=copy)}
    assert actions == {"Peer lead supervision": {new_barrier.pk, new_own.pk}, "Reflection rota": {new_retired.pk}}
    text = client.get(f"/app/checklists/{copy.pk}/").content.decode()
    assert "No longer in the current evidence (removed in version 2): kept in the plan" in text


def test_the_report_cites_every_source_its_items_come_from(client, checklist_of_every_source, planner):
    client.force_login(planner)
    text = client.get(f"/app/checklists/{checklist_of_every_source.pk}/report/").content.decode()
    table6, framework_source = (
        item.finding.theme.category.source
        for item in [
            checklist_of_every_source.items.select_related("finding__theme__category__source").get(
                finding__theme__name="Workload", finding__valence="challenge"
            ),
            item_on(checklist_of_every_source, "Protected time for reflection"),
        ]
    )
    assert f"Evidence: {escape(table6.citation())} Version 1." in text
    assert f"Evidence: {escape(framework_source.citation())} Version 1." in text
    assert "Your service's own evidence (not published): Staff survey 2026, version 1." in text


@pytest.mark.parametrize("actions", [1, 12])
def test_the_report_runs_a_fixed_number_of_queries(
    client, checklist_of_every_source, planner, actions, django_assert_num_queries
):
    for item in checklist_of_every_source.items.challenges()[:actions]:
        mitigations.create_mitigation(items=[item], changes={"action": f"Action {item.pk}"}, by=planner)
    client.force_login(planner)
    client.get(
        f"/app/checklists/{checklist_of_every_source.pk}/report/"
    )  # the evidence facts are cached once for every checklist
    # As test_report.py counts it (21, the check-in's query included), whichever sources the items come from:
    # the sources are read with the items, not one query each.
    with django_assert_num_queries(19):
        assert client.get(f"/app/checklists/{checklist_of_every_source.pk}/report/").status_code == 200


def test_the_apis_item_filter_takes_each_kind_a_checklist_plans_for(client, checklist_of_every_source, org_a, owner):
    from tests.api_helpers import call, token_for

    secret = token_for(owner, org_a)
    url = f"/api/checklists/{checklist_of_every_source.pk}/items/?page_size=100"
    barriers = call(client, "GET", f"{url}&valence=barrier", secret).json()["results"]
    assert sorted(item["finding"]["theme"]["name"] for item in barriers) == [
        "Protected time for reflection",
        "Supervision by a peer lead",
    ]
    facilitators = call(client, "GET", f"{url}&valence=facilitator", secret).json()["results"]
    assert [item["finding"]["theme"]["name"] for item in facilitators] == ["Supervision by a peer lead"]
    response = call(client, "GET", f"{url}&valence=opinion", secret)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "valence", "message": "Choose challenge, barrier, benefit or facilitator."}
    ]


def test_the_public_evidence_api_names_each_themes_source_with_its_provenance(client, checklist_of_every_source):
    data = client.get("/api/evidence/").json()
    assert [(s["id"], s["version"]) for s in data["sources"]] == [("cooper-2024-table-6", 1), ("example-framework", 1)]
    assert data["source"] == {key: data["sources"][0][key] for key in ("citation", "doi", "table", "caveat")}
    by_name = {theme["name"]: theme["source"] for theme in data["themes"]}
    assert by_name["Role ambiguity"] == "cooper-2024-table-6"
    assert by_name["Supervision by a peer lead"] == "example-framework"
    assert "Debrief after night shifts" not in by_name  # the organisation's own is never published
    theme = client.get(
        f"/api/evidence/themes/{checklist_of_every_source.items.get(finding__theme__name='Protected time for reflection').finding.theme.slug}/"
    )
    assert theme.json()["source"] == "example-framework"
