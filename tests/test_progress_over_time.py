"""Progress over time: burn-up, coverage (covered / done) and overdue, drawn from the history PeerPlan
keeps, for a checklist and for the organisation, over the last 3, 6 or 12 months."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from peerplan.figures import tracking
from peerplan.models import Item, Mitigation, MitigationStatus
from peerplan.notify.context import unread_count
from tests.factories import item_for, make_checklist, make_mitigation

TODAY = timezone.localdate()


def days_ago(n):
    return timezone.now() - timedelta(days=n)


def backdate(records, n):
    records.update(history_date=days_ago(n))


def backdate_latest(obj, n):
    """The object's newest history record happened `n` days ago."""
    latest = obj.history.order_by("-history_id").first()
    obj.history.filter(history_id=latest.history_id).update(history_date=days_ago(n))


@pytest.fixture
def checklist_with_history(active_checklist):
    """The active checklist with hand-made history (3 months shown: days -91, -83, -76, -68, -61, -53, -46,
    -38, -30, -23, -15, -8, 0):

    the checklist's 16 challenges exist from day -120 (Workload does not apply from day -60: 15 apply);
    A "Agree a role description" (Role ambiguity): planned from day -100, due day -80, done on day -50;
    B "Cap caseloads" (Boundaries): planned from day -20, no due date;
    C "Old idea" (Disclosure of peer status): planned on day -70, dropped on day -65.
    """
    backdate(Item.history.filter(checklist_id=active_checklist.pk), 120)
    workload = item_for(active_checklist, "Workload")
    workload.applies = False
    workload.save()
    backdate_latest(workload, 60)

    a = make_mitigation(
        item_for(active_checklist, "Role ambiguity"), "Agree a role description", due_date=TODAY - timedelta(days=80)
    )
    backdate(a.history.all(), 100)
    a.status = MitigationStatus.DONE
    a.save()
    backdate_latest(a, 50)

    b = make_mitigation(item_for(active_checklist, "Boundaries"), "Cap caseloads")
    backdate(b.history.all(), 20)

    c = make_mitigation(item_for(active_checklist, "Disclosure of peer status"), "Old idea")
    backdate(c.history.all(), 70)
    c.status = MitigationStatus.DROPPED
    c.save()
    backdate_latest(c, 65)
    return active_checklist


def test_the_trend_reads_each_day_from_the_last_version_on_or_before_it(checklist_with_history):
    trend = tracking.progress_over_time(checklist_with_history.organisation_id, [checklist_with_history.pk], TODAY, 3)
    points = {(TODAY - point.day).days: point for point in trend.points}
    assert sorted(points, reverse=True) == [91, 83, 76, 68, 61, 53, 46, 38, 30, 23, 15, 8, 0]
    # Day -91: A planned (due day -80, not yet overdue); 16 challenges apply, one covered.
    assert (points[91].actions, points[91].done, points[91].overdue) == (1, 0, 0)
    assert (points[91].applicable, points[91].planned_for, points[91].covered_done) == (16, 1, 0)
    # Day -68: A overdue; C covers Disclosure.
    assert (points[68].actions, points[68].overdue, points[68].planned_for) == (2, 1, 2)
    # Day -61: C dropped: no longer covered; A still overdue.
    assert (points[61].actions, points[61].overdue, points[61].planned_for) == (1, 1, 1)
    # Day -46: A done; Workload no longer applies.
    assert (points[46].done, points[46].overdue, points[46].applicable, points[46].covered_done) == (1, 0, 15, 1)
    # Today: A done, B planned.
    assert (points[0].actions, points[0].done, points[0].planned_for, points[0].covered_done) == (2, 1, 2, 1)
    assert trend.has_history


def test_the_checklist_page_draws_three_charts_each_with_its_numbers(client, checklist_with_history, viewer):
    client.force_login(viewer)
    response = client.get(f"/app/checklists/{checklist_with_history.pk}/progress/?months=3")
    assert response.status_code == 200
    text = response.content.decode()
    for title in ("Actions done, of all live actions", "Challenges covered and done", "Overdue actions"):
        assert f">{title}</figcaption>" in text
    assert text.count('<svg class="chart-svg"') == 3
    assert text.count("<polyline") == 6  # 2 + 3 + 1 lines
    assert "style=" not in text
    # The burn-up's table: day -68 has 2 actions, none done.
    day = (TODAY - timedelta(days=68)).strftime("%Y-%m-%d")
    row = re.search(rf'<time datetime="{day}">[^<]+</time></th><td>(\d+)</td><td>(\d+)</td></tr>', text)
    assert row.groups() == ("2", "0")
    assert 'aria-current="page" href="?months=3">Last 3 months' in text


def test_each_range_draws_thirteen_days_ending_today(client, checklist_with_history, viewer):
    client.force_login(viewer)
    for months, first in ((6, 183), (12, 365)):
        text = client.get(f"/app/checklists/{checklist_with_history.pk}/progress/?months={months}").content.decode()
        dates = re.findall(r'<th scope="row"><time datetime="([\d-]+)"', text)
        assert len(dates) == 3 * 13
        assert dates[0] == (TODAY - timedelta(days=first)).isoformat() and dates[12] == TODAY.isoformat()


def test_a_range_that_is_not_offered_is_refused_with_a_message(client, checklist_with_history, viewer):
    client.force_login(viewer)
    response = client.get(f"/app/checklists/{checklist_with_history.pk}/progress/?months=7")
    assert response.status_code == 400
    assert "Choose 3, 6 or 12 months; the last 6 months are shown." in response.content.decode()


def test_a_checklist_without_actions_says_so_instead_of_drawing(client, org_a, manager, viewer):
    empty = make_checklist(org_a, "Nothing yet", manager)
    client.force_login(viewer)
    text = client.get(f"/app/checklists/{empty.pk}/progress/").content.decode()
    assert "No actions yet, so there is no progress to draw." in text
    assert '<svg class="chart-svg"' not in text


def test_the_organisation_page_adds_up_its_active_checklists(client, checklist_with_history, org_a, manager, viewer):
    other = make_checklist(org_a, "Inpatient wards", manager)
    make_mitigation(item_for(other, "Workload"), "Ward caseloads", MitigationStatus.DONE)
    trend = tracking.progress_over_time(
        checklist_with_history.organisation_id, [checklist_with_history.pk, other.pk], TODAY, 3
    )
    assert (trend.points[-1].actions, trend.points[-1].done) == (3, 2)
    client.force_login(viewer)
    text = client.get("/app/orgs/northside/progress/?months=3").content.decode()
    row = re.search(rf'<time datetime="{TODAY.isoformat()}">[^<]+</time></th><td>(\d+)</td><td>(\d+)</td></tr>', text)
    assert row.groups() == ("3", "2")


def test_outsiders_get_404(client, checklist_with_history, outsider):
    client.force_login(outsider)
    assert client.get(f"/app/checklists/{checklist_with_history.pk}/progress/").status_code == 404
    assert client.get("/app/orgs/northside/progress/").status_code == 404


def _grow(checklist, copies):
    for n in range(copies):
        for item in checklist.items.filter(finding__valence="challenge")[:8]:
            action = make_mitigation(item, f"Extra {n}", due_date=TODAY - timedelta(days=n + 1))
            action.status = MitigationStatus.DONE
            action.save()


@pytest.mark.parametrize("copies", [1, 10])
def test_the_pages_run_the_same_queries_whatever_the_size(
    client, checklist_with_history, manager, django_assert_num_queries, copies
):
    _grow(checklist_with_history, copies)
    assert Mitigation.objects.count() == 3 + 8 * copies
    client.force_login(manager)
    unread_count(manager)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    # session, person with the bell's count (two cache reads), checklist with its organisation and membership; actions' history, challenges' history,
    # which challenges each action addresses
    with django_assert_num_queries(6):
        assert client.get(f"/app/checklists/{checklist_with_history.pk}/progress/").status_code == 200
    # session, person with the bell's count (two cache reads), organisation and membership (one query); active checklists; the same three; the bell
    with django_assert_num_queries(7):
        assert client.get("/app/orgs/northside/progress/").status_code == 200
