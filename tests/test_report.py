"""The printable checklist report."""

from datetime import date

import pytest

from peerplan.models import MitigationStatus
from tests.factories import item_for, make_checklist, make_mitigation


@pytest.fixture
def checklist(org_a, manager, planner):
    checklist = make_checklist(org_a, "Community team", manager, review_date=date(2026, 3, 31), service="Community")
    make_mitigation(
        item_for(checklist, "Role ambiguity"),
        "Write a role description",
        MitigationStatus.DONE,
        owner=planner,
        due_date=date(2025, 7, 1),
    )
    make_mitigation(item_for(checklist, "Boundaries"), "Dropped idea", MitigationStatus.DROPPED)
    workload = item_for(checklist, "Workload")
    workload.applies = False
    workload.not_applicable_reason = "Caseloads are set nationally"
    workload.save()
    return checklist


def test_the_report_has_the_cover_summary_coverage_and_every_item_with_its_evidence(client, checklist, viewer):
    client.force_login(viewer)
    response = client.get(f"/app/checklists/{checklist.pk}/report/")
    assert response.status_code == 200
    text = response.content.decode()
    assert '<h1 id="report-title">Community team</h1>' in text
    assert "Northside Mental Health Service" in text
    assert "31 March 2026" in text
    assert "1 of 15 applicable challenges covered (6%)" in text
    assert "2 actions: 1 done, 1 dropped" in text
    # Coverage through each stakeholder group
    assert '<th scope="row">PSWs</th>' in text
    # Evidence as published, with its references
    assert "the role could have a negative impact on PSW wellbeing and recovery" in text
    assert "References: 32, 38, 42, 43, 53, 54" in text
    assert "Write a role description" in text and "Pat" in text
    assert '<tr class="struck">' in text  # the dropped action stays visible, struck through
    assert "Why it does not apply:</strong> Caseloads are set nationally" in text
    assert text.count(">Uncovered</span>") == 14
    assert "css/print.css" in text
    assert "style=" not in text


def test_the_categories_come_in_published_order(client, checklist, viewer):
    client.force_login(viewer)
    text = client.get(f"/app/checklists/{checklist.pk}/report/").content.decode()
    positions = [
        text.index(name)
        for name in (
            "What the PSW role can bring",
            "Confusion over the PSW role",
            "Organisational challenges and impact",
        )
    ]
    assert positions == sorted(positions)


def test_outsiders_get_404(client, checklist, outsider):
    client.force_login(outsider)
    assert client.get(f"/app/checklists/{checklist.pk}/report/").status_code == 404
