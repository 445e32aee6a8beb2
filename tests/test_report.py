"""The printable checklist report."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from peerplan.models import MitigationStatus
from tests.factories import item_for, make_checklist, make_mitigation


@pytest.fixture
def reported_checklist(org_a, manager, planner):
    """With a service and a review date; one action done, one dropped; Workload does not apply."""
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


def test_the_report_has_the_summary_coverage_and_every_item_with_its_evidence(client, reported_checklist, viewer):
    client.force_login(viewer)
    response = client.get(f"/app/checklists/{reported_checklist.pk}/report/")
    assert response.status_code == 200
    text = response.content.decode()
    assert '<h1 id="report-title">Community team</h1>' in text
    assert "Northside Mental Health Service" in text
    assert "31 March 2026" in text
    assert '<span class="coverage-planned">1 of 15 applicable challenges</span> (7%)' in text
    assert '<span class="coverage-done">1 of 15 applicable challenges</span> (7%)' in text
    assert text.count("2 actions: 1 done, 1 dropped") == 1  # the totals once, not twice
    # Coverage through each stakeholder group
    assert '<th scope="row">PSWs</th>' in text
    # Evidence as published, with its references
    assert "the role could have a negative impact on PSW wellbeing and recovery" in text
    assert "References: 32, 38, 42, 43, 53, 54" in text
    assert "Write a role description" in text and "Pat" in text
    assert '<tr class="struck">' in text  # the dropped action stays visible, struck through
    assert "Why it does not apply:</strong> Caseloads are set nationally" in text
    assert text.count(">Not covered</span>") == 14
    assert "css/print.css" in text
    assert "style=" not in text


def test_the_categories_come_in_published_order(client, reported_checklist, viewer):
    client.force_login(viewer)
    text = client.get(f"/app/checklists/{reported_checklist.pk}/report/").content.decode()
    positions = [
        text.index(name)
        for name in (
            "What the PSW role can bring",
            "Confusion over the PSW role",
            "Organisational challenges and impact",
        )
    ]
    assert positions == sorted(positions)


def test_outsiders_get_404(client, reported_checklist, outsider):
    client.force_login(outsider)
    assert client.get(f"/app/checklists/{reported_checklist.pk}/report/").status_code == 404


def _summary(text):
    return text[
        text.index('<section class="report-summary-page"') : text.index('<section aria-labelledby="coverage-groups"')
    ]


def test_the_first_page_leads_with_what_a_board_needs(client, reported_checklist, org_a, manager, planner, viewer):
    late = make_mitigation(
        item_for(reported_checklist, "Disclosure of peer status"),
        "Agree disclosure guidance",
        owner=planner,
        due_date=date(2020, 1, 1),
    )
    late.items.add(item_for(reported_checklist, "Colleagues and stigma"))
    make_mitigation(item_for(reported_checklist, "Treatment models"), "Map the models", MitigationStatus.BLOCKED)
    other = make_checklist(org_a, "Inpatient wards", manager)
    make_mitigation(item_for(other, "Workload"), "Ward caseloads", MitigationStatus.DONE)
    decided = item_for(reported_checklist, "Boundaries")
    decided.decided_at, decided.decided_by = timezone.now(), manager
    decided.save()
    client.force_login(viewer)
    text = client.get(f"/app/checklists/{reported_checklist.pk}/report/").content.decode()
    summary = _summary(text)
    # Every active checklist, with covered / done / overdue.
    assert (
        '<th scope="row">Inpatient wards</th><td data-label="Covered">6%</td><td data-label="Done">6%</td>' in summary
    )
    # Overdue or blocked, with owners and the challenges each is for.
    assert "Agree disclosure guidance" in summary and "Pat" in summary
    assert "Colleagues and stigma; Disclosure of peer status" in summary or (
        "Disclosure of peer status; Colleagues and stigma" in summary
    )
    assert '<span class="status-tag status-tag-overdue">Overdue</span>' in summary
    assert '<span class="status-tag status-tag-blocked">Blocked</span>' in summary
    # The trend charts, and the decisions taken since the last report (30 days by default).
    assert summary.count('<svg class="chart-svg"') == 3
    assert "Boundaries: applies (Maya, " in summary
    since = date_format(timezone.localdate() - timedelta(days=30), "j F Y")
    assert f"Decisions since {since}</h2>" in summary
    # Page numbers and the date in the printed margins.
    assert f'<link rel="stylesheet" href="/app/checklists/{reported_checklist.pk}/report/page.css">' in text
    css = client.get(f"/app/checklists/{reported_checklist.pk}/report/page.css")
    assert css["Content-Type"] == "text/css; charset=utf-8"
    assert 'counter(page) " of " counter(pages)' in css.content.decode()
    assert "printed " in css.content.decode()


def test_decisions_since_a_chosen_date_and_a_bad_date_refused(client, reported_checklist, viewer):
    client.force_login(viewer)
    text = client.get(f"/app/checklists/{reported_checklist.pk}/report/?since=2020-01-01").content.decode()
    assert "Decisions since 1 January 2020" in text
    response = client.get(f"/app/checklists/{reported_checklist.pk}/report/?since=last+board")
    assert response.status_code == 400
    text = response.content.decode()
    assert 'type="text" name="since" id="id_since" value="last board"' in text


def test_summary_only_is_the_first_page_alone_with_a_print_button(client, reported_checklist, viewer):
    client.force_login(viewer)
    whole = client.get(f"/app/checklists/{reported_checklist.pk}/report/").content.decode()
    assert '<a href="?summary=1&amp;since=' in whole and "Summary only (one page)" in whole
    assert "What the evidence reports" in whole
    response = client.get(f"/app/checklists/{reported_checklist.pk}/report/?summary=1")
    assert response.status_code == 200  # no "since" needed
    text = response.content.decode()
    assert '<section class="report-summary-page"' in text and "Every active checklist" in text
    assert "What the evidence reports" not in text and 'id="coverage-groups"' not in text
    assert re.search(
        r'<input class="form-check-input" type="checkbox" name="summary" value="1" id="id_summary" checked>', text
    )
    # The Print button: shown by a script file (no inline script), the browser's own Print without it.
    assert '<button type="button" class="btn btn-primary" data-print hidden>' in text
    assert '<script src="/static/js/print.js"></script>' in text
    assert "onclick" not in text


def test_the_page_css_is_for_members_only(client, reported_checklist, outsider):
    client.force_login(outsider)
    assert client.get(f"/app/checklists/{reported_checklist.pk}/report/page.css").status_code == 404


@pytest.mark.parametrize("copies", [1, 10])
def test_the_report_runs_the_same_queries_whatever_the_size(
    client, reported_checklist, viewer, django_assert_num_queries, copies
):
    for n in range(copies):
        for item in reported_checklist.items.filter(finding__valence="challenge")[:8]:
            make_mitigation(item, f"Extra {n}", MitigationStatus.BLOCKED, due_date=date(2020, 1, 1))
    client.force_login(viewer)
    client.get(f"/app/checklists/{reported_checklist.pk}/report/")  # the evidence facts come from the cache after
    # session, person with the bell's count (two cache reads), checklist with membership; items, their findings' references, actions, perspectives and
    # their references (5); active checklists, their progress and coverage (3); the trend: actions' and
    # challenges' history and which challenges each action addresses (3); this checklist's progress and
    # coverage (2); the check-in (none here: tests/test_report_check_ins.py pins its trends' queries);
    # coverage by group: its challenges and the evidence facts from the cache (2); the bell.
    # The sources it cites come with the items.
    with django_assert_num_queries(19):
        assert client.get(f"/app/checklists/{reported_checklist.pk}/report/").status_code == 200
