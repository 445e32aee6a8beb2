"""GET /api/checklists/<id>/check-in/: the frozen, thresholded check-in figures only, scoped like the other
checklist endpoints, in a fixed number of queries."""

from datetime import timedelta

import pytest

from peerplan.api.models import Access
from peerplan.figures import tracking
from peerplan.models import Answer
from peerplan.operations import check_ins
from tests.api_helpers import call, token_for
from tests.factories import make_check_in, make_checklist, make_closed_round

pytestmark = pytest.mark.django_db


def people(statement, n, answer=Answer.AGREE):
    return [{statement: answer}] * n


def figures(client, checklist, person, organisation):
    response = call(
        client, "GET", f"/api/checklists/{checklist.pk}/check-in/", token_for(person, organisation, Access.READ)
    )
    assert response.status_code == 200
    return response.json()


def trend_of(data, item, statement):
    """The item's entry in the figures, and the statement's trend in it."""
    (entry,) = [i for i in data["items"] if i["item"] == item.pk]
    (trend,) = [s for s in entry["statements"] if s["statement"] == statement.pk]
    return entry, trend


def test_closed_rounds_give_their_figures_and_rounds_below_the_threshold_give_a_reason(
    client, check_in, item, role_statement, viewer, org_a
):
    make_closed_round(check_in, people(role_statement, 4), comments=["private words"] * 4)
    make_closed_round(
        check_in, people(role_statement, 4) + people(role_statement, 1, Answer.DISAGREE), comments=["kept"]
    )
    data = figures(client, check_in.checklist, viewer, org_a)
    assert data["check_in"] is True and data["threshold"] == 5
    assert [(r["number"], r["answered"], r["reason"]) for r in data["rounds"]] == [
        (1, None, "too_few_answers"),
        (2, 5, None),
    ]
    entry, trend = trend_of(data, item, role_statement)
    assert entry["theme"] == "Role ambiguity"
    assert trend["wording_note"] == "PeerPlan's wording, not a validated measure"
    four, five = trend["rounds"]
    assert four == {
        "round": 1,
        "closes_on": four["closes_on"],
        "text": role_statement.text,
        "agreeing_percent": None,
        "answered": None,
        "not_applicable": None,
        "threshold": 5,
        "counts": None,
        "reason": "too_few_answers",
    }
    assert five["agreeing_percent"] == 80 and five["answered"] == 5 and five["reason"] is None
    assert five["counts"] == {"strongly_disagree": 0, "disagree": 1, "neither": 0, "agree": 4, "strongly_agree": 0}


def test_it_never_gives_comments_emails_or_an_open_rounds_tallies(
    client, active_checklist, owner, role_statement, viewer, org_a
):
    check_in = make_check_in(active_checklist, by=owner, comments_on=True, comments_read_by="the service manager")
    make_closed_round(check_in, people(role_statement, 5), comments=["a private comment"] * 5)
    today = tracking.today()
    round_ = check_ins.open_round(check_in=check_in, today=today - timedelta(days=1))
    for token in check_ins.issue_tokens(round_=round_, count=6):
        check_ins.answer_round(token=token, answers={role_statement.pk: Answer.DISAGREE}, comment="", today=today)
    data = figures(client, check_in.checklist, viewer, org_a)
    text = str(data)
    assert "a private comment" not in text and "psw1@example.org" not in text
    assert data["open_round"] == {"number": 2, "closes_on": round_.closes_on.isoformat()}
    assert [r["number"] for r in data["rounds"]] == [1]
    assert all(len(s["rounds"]) <= 1 for i in data["items"] for s in i["statements"])


def test_a_checklist_without_a_check_in_says_so(client, active_checklist, viewer, org_a):
    data = figures(client, active_checklist, viewer, org_a)
    assert data == {
        "checklist": active_checklist.pk,
        "check_in": False,
        "threshold": None,
        "open_round": None,
        "rounds": [],
        "items": [],
    }


def test_another_organisations_check_in_is_not_found(client, org_b, outsider, check_in, role_statement, org_a, viewer):
    make_closed_round(check_in, people(role_statement, 5))
    response = call(client, "GET", f"/api/checklists/{check_in.checklist.pk}/check-in/", token_for(outsider, org_b))
    assert response.status_code == 404
    theirs = make_checklist(org_b, "Their plan", outsider)
    response = call(client, "GET", f"/api/checklists/{theirs.pk}/check-in/", token_for(viewer, org_a, Access.READ))
    assert response.status_code == 404


def test_the_endpoint_is_in_the_schema(client, db):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert list(paths["/api/checklists/{id}/check-in/"]) == ["get"]


@pytest.mark.parametrize("rounds", [1, 10])
def test_it_runs_the_same_queries_whatever_the_number_of_rounds(
    client, check_in, role_statement, planner, org_a, django_assert_num_queries, rounds
):
    for _ in range(rounds):
        make_closed_round(check_in, people(role_statement, 5))
    secret = token_for(planner, org_a)
    url = f"/api/checklists/{check_in.checklist.pk}/check-in/"
    assert call(client, "GET", url, secret).status_code == 200  # the token's use is recorded
    # the token (1) and its rate limit (5, tests/test_api_queries.py); checklist with membership; the check-in's
    # trends (figures.check_ins.check_in_with_trends: 6 here, as no action is done so no history is read);
    # its challenges' themes; its rounds
    with django_assert_num_queries(6 + 1 + 6 + 2):
        response = call(client, "GET", url, secret)
    assert len(response.json()["rounds"]) == rounds
