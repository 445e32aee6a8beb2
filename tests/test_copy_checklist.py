"""Starting a checklist from another of the organisation's: decisions copied, actions reset to planned."""

from datetime import date

from peerplan.models import Checklist, Mitigation
from peerplan.operations import checklists, mitigations
from tests.factories import item_for, make_checklist, make_mitigation


def test_a_copy_keeps_the_decisions_and_resets_the_actions_to_planned_without_dates(client, org_a, owner, planner):
    source = make_checklist(org_a, "Community team 2025", owner)
    workload, boundaries = item_for(source, "Workload"), item_for(source, "Boundaries")
    checklists.decide_item(item=workload, applies=False, reason="Capped by contract", by=owner)
    checklists.decide_item(item=boundaries, applies=True, priority="high", by=owner)
    shared = mitigations.create_mitigation(
        items=[boundaries, item_for(source, "Role ambiguity")],
        changes={"action": "Boundaries workshop", "status": "done", "due_date": date(2025, 3, 1), "owner": planner},
        by=owner,
    )
    make_mitigation(boundaries, "Given up", status="dropped")
    client.force_login(planner)
    page = client.get("/app/orgs/northside/checklists/new/").content.decode()
    assert "A copy of “Community team 2025”" in page
    response = client.post(
        "/app/orgs/northside/checklists/new/",
        {"copy_from": source.pk, "title": "Community team 2026", "status": "draft"},
        follow=True,
    )
    copy = Checklist.objects.get(title="Community team 2026")
    assert "is created as a copy of “Community team 2025”" in response.content.decode()
    new_workload, new_boundaries = item_for(copy, "Workload"), item_for(copy, "Boundaries")
    assert (new_workload.applies, new_workload.not_applicable_reason, new_workload.decided_by) == (
        False,
        "Capped by contract",
        owner,
    )
    assert (new_boundaries.priority, new_boundaries.is_decided) == ("high", True)
    assert not item_for(copy, "Treatment models").is_decided
    (action,) = Mitigation.objects.filter(checklist=copy)
    assert (action.action, action.status, action.due_date, action.owner) == (
        "Boundaries workshop",
        "planned",
        None,
        planner,
    )
    assert {item.finding.theme.name for item in action.items.all()} == {"Boundaries", "Role ambiguity"}
    assert all(item.checklist_id == copy.pk for item in action.items.all())
    shared.refresh_from_db()
    assert shared.status == "done"  # the source is untouched


def test_only_the_organisations_own_checklists_can_be_copied(client, org_b, outsider, planner):
    theirs = make_checklist(org_b, "Their plan", outsider)
    client.force_login(planner)
    response = client.post(
        "/app/orgs/northside/checklists/new/", {"copy_from": theirs.pk, "title": "Stolen", "status": "draft"}
    )
    assert "Choose one of this organisation&#x27;s checklists to copy." in response.content.decode()
    assert not Checklist.objects.filter(title="Stolen").exists()
