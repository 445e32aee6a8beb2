"""The board report's check-in section: each challenge's statements with the % agreeing in each closed round,
thresholded, marked as PeerPlan's wording, and in a fixed number of queries."""

from datetime import timedelta

import pytest

from peerplan.figures import tracking
from peerplan.models import Answer
from peerplan.operations import check_ins
from tests.factories import make_closed_round

pytestmark = pytest.mark.django_db


def people(statement, agreeing, disagreeing=0):
    return [{statement: Answer.STRONGLY_AGREE}] * agreeing + [{statement: Answer.DISAGREE}] * disagreeing


def report(client, person, checklist):
    client.force_login(person)
    response = client.get(f"/app/checklists/{checklist.pk}/report/")
    assert response.status_code == 200
    text = response.content.decode()
    return text.partition('id="check-in-trends"')[2].partition("</section>")[0]


def table_of(section, statement):
    """The table of one statement's rounds."""
    return section.partition(f"“{statement.text}”")[2].partition("</table>")[0]


def test_the_report_carries_the_percent_agreeing_of_each_closed_round(client, check_in, role_statement, viewer):
    make_closed_round(check_in, people(role_statement, 3, 2))
    make_closed_round(check_in, people(role_statement, 4, 1))
    section = report(client, viewer, check_in.checklist)
    assert "What peer support workers say: check-in trends" in section
    assert "Role ambiguity" in section
    assert "“I know what is and is not part of my role.”" in section
    assert "PeerPlan&#x27;s wording, not a validated measure" in section
    assert "<td>60%</td>" in section and "<td>80%</td>" in section


def test_a_round_of_four_shows_no_figures_and_a_round_of_five_does(client, check_in, role_statement, viewer):
    make_closed_round(check_in, people(role_statement, 4))
    make_closed_round(check_in, people(role_statement, 5))
    table = table_of(report(client, viewer, check_in.checklist), role_statement)
    assert table.count("Fewer than 5 people answered, so no figures are shown.") == 1
    assert table.count("<td>100%</td>") == 1


def test_an_open_round_gives_no_figures(client, check_in, role_statement, viewer):
    today = tracking.today()
    round_ = check_ins.open_round(check_in=check_in, today=today - timedelta(days=2))
    for token in check_ins.issue_tokens(round_=round_, count=6):
        check_ins.answer_round(token=token, answers={role_statement.pk: Answer.AGREE}, comment="", today=today)
    section = report(client, viewer, check_in.checklist)
    assert "Check-in round 1 is open until" in section
    assert "%</td>" not in section


def test_without_a_check_in_the_report_has_no_such_section(client, active_checklist, viewer):
    assert report(client, viewer, active_checklist) == ""


def test_the_report_of_another_organisation_is_not_found(client, check_in, role_statement, outsider):
    make_closed_round(check_in, people(role_statement, 5))
    client.force_login(outsider)
    assert client.get(f"/app/checklists/{check_in.checklist.pk}/report/").status_code == 404


@pytest.mark.parametrize("rounds", [1, 10])
def test_the_report_runs_the_same_queries_whatever_the_number_of_rounds(
    client, check_in, role_statement, viewer, django_assert_num_queries, rounds
):
    for _ in range(rounds):
        make_closed_round(check_in, people(role_statement, 5, 1))
    client.force_login(viewer)
    client.get(f"/app/checklists/{check_in.checklist.pk}/report/")  # the evidence facts come from the cache after
    # tests/test_report.py's 21, one fewer with no action (a prefetch that has nothing to read), and the check-in's
    # trends (figures.check_ins.check_in_with_trends: 6 more than without a check-in)
    with django_assert_num_queries(24):
        response = client.get(f"/app/checklists/{check_in.checklist.pk}/report/")
    assert table_of(response.content.decode(), role_statement).count("<td>83%</td>") == rounds
