"""What planners see of evidence-aware planning (issue 8) on the checklist, item and dashboard pages."""

from datetime import date, timedelta

from django.utils import timezone

from evidence.models import Finding, Perspective
from peerplan.models import ImplementationPhase, Mitigation, SuggestedMitigation
from peerplan.operations import checklists
from tests.factories import item_for, make_mitigation


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_checklist_names_challenges_that_rest_on_a_single_review(client, planner, active_checklist):
    client.force_login(planner)
    html = page(client, f"/app/checklists/{active_checklist.pk}/")
    assert "Single review [64]" in html  # Workload, Pioneer, Complementary role
    assert "Single review [23]" in html  # Treatment models
    assert "12 reviews" in html  # Role ambiguity


def test_the_item_page_states_the_strength_of_its_evidence(client, planner, active_checklist):
    client.force_login(planner)
    html = page(client, f"/app/items/{item_for(active_checklist, 'Workload').pk}/")
    assert "Rests on a single review [64]: treat it as a signal, not a finding." in html


def test_phases_with_nothing_planned_and_the_co_production_share_are_shown(client, planner, active_checklist):
    preparation = ImplementationPhase.objects.get(name="Preparation")
    item = item_for(active_checklist, "Role ambiguity")
    make_mitigation(item, "Write the role", phase=preparation, co_produced=True)
    make_mitigation(item, "Brief the team", phase=preparation)
    client.force_login(planner)

    html = page(client, f"/app/checklists/{active_checklist.pk}/")
    assert "No live actions for recruitment yet." in html
    assert "1 of 2 actions (50%) co-produced with people with lived experience" in html

    by_phase = page(client, f"/app/checklists/{active_checklist.pk}/phases/")
    assert "Write the role" in by_phase and "No live actions for employment yet." in by_phase


def test_a_curator_edit_flags_the_item_with_what_changed_until_a_planner_marks_it_reviewed(
    client, planner, active_checklist
):
    item = item_for(active_checklist, "Workload")
    perspective = Perspective.objects.get(finding=item.finding)
    before = perspective.summary
    perspective.summary = "PSW workload was reported as overwhelming in one review."
    perspective.save()
    Finding.objects.filter(pk=item.finding_id).update(evidence_changed_at=timezone.now())
    client.force_login(planner)

    assert "Evidence updated" in page(client, f"/app/checklists/{active_checklist.pk}/")
    html = page(client, f"/app/items/{item.pk}/")
    assert "Evidence updated since you reviewed it" in html
    assert before.split(".")[0] in html  # the old text, struck through
    assert "PSW workload was reported as overwhelming in one review." in html

    response = client.post(f"/app/items/{item.pk}/reviewed/")
    assert response.status_code == 302
    assert "Evidence updated since you reviewed it" not in page(client, f"/app/items/{item.pk}/")
    assert "Evidence updated" not in page(client, f"/app/checklists/{active_checklist.pk}/")


def test_a_viewer_cannot_mark_evidence_reviewed(client, viewer, active_checklist):
    item = item_for(active_checklist, "Workload")
    client.force_login(viewer)
    assert client.post(f"/app/items/{item.pk}/reviewed/").status_code == 403
    item.refresh_from_db()
    assert item.evidence_reviewed_at is None


def test_not_applicable_decisions_due_for_re_review_appear_on_the_checklist_and_dashboard(
    client, manager, active_checklist
):
    item = item_for(active_checklist, "Workload")
    checklists.decide_item(
        item=item,
        applies=False,
        reason="Caseloads are capped by contract",
        rereview_on=date.today() - timedelta(days=1),
    )
    client.force_login(manager)
    assert "“Does not apply” decisions due for re-review" in page(client, f"/app/checklists/{active_checklist.pk}/")
    dashboard = page(client, "/app/orgs/northside/dashboard/")
    assert "“Does not apply” decisions due for re-review" in dashboard
    assert "Workload</a> in Community team plan" in dashboard


def test_a_not_applicable_decision_is_re_reviewed_a_year_later_by_default(client, planner, active_checklist):
    item = item_for(active_checklist, "Boundaries")
    client.force_login(planner)
    client.post(
        f"/app/items/{item.pk}/",
        {"applies": "no", "not_applicable_reason": "No lone working here", "priority": "low", "note": ""},
    )
    item.refresh_from_db()
    assert item.applies is False
    assert item.rereview_on == timezone.localdate() + timedelta(days=365)


def test_the_highest_leverage_suggestion_is_offered_first_and_adopts_on_every_challenge_it_covers(
    client, planner, active_checklist
):
    client.force_login(planner)
    response = client.get(f"/app/checklists/{active_checklist.pk}/")  # built (not from the cache): its context is there
    html = page(client, f"/app/checklists/{active_checklist.pk}/")
    assert "Suggestions that would cover the most" in html
    top = response.context["leverage"][0]
    themes = {item.finding.theme.name for item in top.items}
    assert len(themes) == len(top.items) >= 2
    assert all(len(top.items) >= len(entry.items) for entry in response.context["leverage"])

    response = client.post(f"/app/checklists/{active_checklist.pk}/adopt/{top.suggestion.pk}/")

    assert response.status_code == 302
    adopted = Mitigation.objects.get(checklist=active_checklist, suggestion=top.suggestion)  # one action for them all
    # Its form, which comes back to the checklist once the owner and due date are saved.
    assert (
        response["Location"]
        == f"/app/mitigations/{adopted.pk}/edit/?next=%2Fapp%2Fchecklists%2F{active_checklist.pk}%2F"
    )
    assert {item.finding.theme.name for item in adopted.items.all()} == themes
    assert active_checklist.coverage().covered == len(themes)
    after = client.get(f"/app/checklists/{active_checklist.pk}/").context["leverage"]
    assert top.suggestion not in [entry.suggestion for entry in after]


def test_adopting_a_suggestion_that_covers_nothing_new_adds_nothing(client, planner, active_checklist):
    item = item_for(active_checklist, "Workload")
    make_mitigation(item, "Already on it")
    only_workload = SuggestedMitigation.objects.create(
        title="Cap caseloads", provenance="curator", is_published=True, source_note="Curator's suggestion"
    )
    only_workload.themes.set([item.finding.theme])
    client.force_login(planner)

    client.post(f"/app/checklists/{active_checklist.pk}/adopt/{only_workload.pk}/")

    assert not Mitigation.objects.filter(suggestion=only_workload).exists()


def test_the_item_and_mitigation_pages_show_a_readable_history(client, owner, active_checklist):
    item = item_for(active_checklist, "Workload")
    client.force_login(owner)
    client.post(
        f"/app/items/{item.pk}/",
        {"applies": "yes", "priority": "high", "note": "Seen in two teams"},
    )
    assert "Olive changed priority from Medium to High" in page(client, f"/app/items/{item.pk}/")
