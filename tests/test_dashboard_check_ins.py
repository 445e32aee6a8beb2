"""The dashboard's check-in lists: challenges whose answers got worse over the last two closed rounds, and
challenges whose actions are all done but whose answers did not improve (figures/check_in_changes.py's rules),
thresholded, kept to the organisation, fresh after the scheduled run closes a round, and in a fixed number of
queries."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from peerplan.figures import tracking
from peerplan.models import Answer, CheckIn, MitigationStatus, organisation_generations
from peerplan.operations import check_ins
from tests.factories import item_for, make_check_in, make_checklist, make_closed_round, make_mitigation

pytestmark = pytest.mark.django_db

TODAY = tracking.today()
URL = "/app/orgs/northside/dashboard/"


def answers(statement, agreeing, disagreeing=0):
    """One dict per person: `agreeing` people agree with the statement, `disagreeing` disagree."""
    return [{statement: Answer.AGREE}] * agreeing + [{statement: Answer.DISAGREE}] * disagreeing


def round_on(check_in, days_ago, people):
    return make_closed_round(check_in, people, opens_on=TODAY - timedelta(days=days_ago))


def done_days_ago(action, days):
    """The action was done `days` ago (its history says so)."""
    action.history.update(history_date=timezone.now() - timedelta(days=days))


def lists(client, person, url=URL):
    """The page, and the text of its two check-in lists ("" for a list the page does not show)."""
    client.force_login(person)
    page = client.get(url).content.decode()
    section = page.partition('id="answers"')[2].partition("</section>")[0]
    worse, _, rest = section.partition('id="answers-not-improved"')
    worse = worse.partition('id="answers-worse-list"')[2]
    not_improved = rest.partition('id="answers-not-improved-list"')[2]
    return page, worse, not_improved


def test_a_fall_of_ten_points_over_the_last_two_rounds_lists_the_challenge(client, check_in, role_statement, viewer):
    round_on(check_in, 100, answers(role_statement, 8, 2))  # 80%
    round_on(check_in, 50, answers(role_statement, 7, 3))  # 70%
    page, worse, _ = lists(client, viewer)
    assert "Challenges whose answers got worse over the last two rounds" in page
    assert "Role ambiguity" in worse
    assert "80% agreeing in round 1, 70% in round 2" in worse
    assert "PeerPlan&#x27;s wording, not a validated measure" in worse


def test_a_fall_of_less_than_ten_points_is_not_listed(client, check_in, role_statement, viewer):
    round_on(check_in, 100, answers(role_statement, 9, 1))  # 90%
    round_on(check_in, 50, answers(role_statement, 9, 2))  # 82%
    page, worse, _ = lists(client, viewer)
    assert worse == ""
    assert "What check-in answers say" in page


def test_only_the_last_two_rounds_are_compared(client, check_in, role_statement, viewer):
    round_on(check_in, 150, answers(role_statement, 10, 0))  # 100%
    round_on(check_in, 100, answers(role_statement, 5, 5))  # 50%
    round_on(check_in, 50, answers(role_statement, 5, 5))  # 50%
    _, worse, _ = lists(client, viewer)
    assert worse == ""


def test_a_round_below_the_threshold_puts_nothing_on_the_list(client, check_in, role_statement, viewer):
    round_on(check_in, 100, answers(role_statement, 5, 0))  # 100%, shown
    round_on(check_in, 50, answers(role_statement, 0, 4))  # 0% of four: not shown
    _, worse, _ = lists(client, viewer)
    assert worse == ""
    round_on(check_in, 20, answers(role_statement, 0, 5))  # 0% of five: shown, but the round before is not
    _, worse, _ = lists(client, viewer)
    assert worse == ""


def test_five_answers_are_enough_to_list(client, check_in, role_statement, viewer):
    round_on(check_in, 100, answers(role_statement, 5, 0))
    round_on(check_in, 50, answers(role_statement, 0, 5))
    _, worse, _ = lists(client, viewer)
    assert "100% agreeing in round 1, 0% in round 2" in worse


def test_actions_all_done_without_better_answers_are_listed(client, check_in, item, role_statement, viewer):
    action = make_mitigation(item, "Write a item description", MitigationStatus.DONE)
    round_on(check_in, 100, answers(role_statement, 5, 5))  # 50%, before the action was done
    done_days_ago(action, 60)
    round_on(check_in, 50, answers(role_statement, 5, 5))  # 50%, after
    _, worse, not_improved = lists(client, viewer)
    assert "Role ambiguity" in not_improved
    assert "50% agreeing in round 1, 50% in round 2" in not_improved
    assert worse == ""


def test_actions_all_done_with_better_answers_are_not_listed(client, check_in, item, role_statement, viewer):
    action = make_mitigation(item, "Write a item description", MitigationStatus.DONE)
    round_on(check_in, 100, answers(role_statement, 5, 5))  # 50%
    done_days_ago(action, 60)
    round_on(check_in, 50, answers(role_statement, 8, 2))  # 80%
    _, _, not_improved = lists(client, viewer)
    assert not_improved == ""


def test_a_challenge_with_an_action_still_open_is_not_on_the_done_list(client, check_in, item, role_statement, viewer):
    done = make_mitigation(item, "Write a item description", MitigationStatus.DONE)
    make_mitigation(item, "Agree it with the team", MitigationStatus.IN_PROGRESS)
    round_on(check_in, 100, answers(role_statement, 5, 5))
    done_days_ago(done, 60)
    round_on(check_in, 50, answers(role_statement, 5, 5))
    _, _, not_improved = lists(client, viewer)
    assert not_improved == ""


def test_without_a_round_after_the_actions_were_done_nothing_is_compared(
    client, check_in, item, role_statement, viewer
):
    make_mitigation(item, "Write a item description", MitigationStatus.DONE)  # done today
    round_on(check_in, 100, answers(role_statement, 5, 5))
    round_on(check_in, 50, answers(role_statement, 5, 5))
    _, _, not_improved = lists(client, viewer)
    assert not_improved == ""


def test_without_a_check_in_the_section_is_not_shown(client, active_checklist, viewer):
    page, _, _ = lists(client, viewer)
    assert "What check-in answers say" not in page


def test_a_check_in_with_fewer_than_two_closed_rounds_shows_the_section_with_nothing_listed(
    client, check_in, item, role_statement, viewer
):
    make_mitigation(item, "Write a item description", MitigationStatus.DONE)
    for closed_rounds in (0, 1):
        if closed_rounds:
            round_on(check_in, 100, answers(role_statement, 10, 0))
            organisation_generations.organisation_changed(check_in.checklist.organisation)
        page, worse, not_improved = lists(client, viewer)
        assert "What check-in answers say" in page, closed_rounds
        assert worse == not_improved == "", closed_rounds
        assert page.partition('id="answers"')[2].partition("</section>")[0].count("<p>None.</p>") == 2


def test_another_organisations_figures_never_appear(client, org_b, outsider, role_statement, viewer):
    theirs = make_checklist(org_b, "Their plan", outsider)
    check_in = make_check_in(theirs, by=outsider)
    round_on(check_in, 100, answers(role_statement, 10, 0))
    round_on(check_in, 50, answers(role_statement, 0, 10))
    page, worse, _ = lists(client, viewer)
    assert worse == ""
    assert "What check-in answers say" not in page
    _, worse, _ = lists(client, outsider, f"/app/orgs/{org_b.slug}/dashboard/")
    assert "Role ambiguity" in worse and "Their plan" in worse


def test_the_scheduled_run_closing_a_round_refreshes_the_cached_dashboard(client, check_in, role_statement, viewer):
    round_on(check_in, 100, answers(role_statement, 10, 0))
    opens = TODAY - timedelta(days=20)
    round_ = check_ins.open_round(check_in=check_in, today=opens)
    for token in check_ins.issue_tokens(round_=round_, count=5):
        check_ins.answer_round(token=token, answers={role_statement.pk: Answer.DISAGREE}, comment="", today=opens)
    _, worse, _ = lists(client, viewer)  # cached now, with round 2 open
    assert worse == ""
    with mock.patch.object(tracking, "today", return_value=TODAY):
        call_command("send_notifications", verbosity=0)  # round 2's last day has passed: it closes
    _, worse, _ = lists(client, viewer)
    assert "100% agreeing in round 1, 0% in round 2" in worse


def _grow(checklist, statement, copies):
    """`copies` more checklists, each with a check-in of two rounds and a challenge whose actions are done."""
    organisation = checklist.organisation
    for n in range(copies):
        other = make_checklist(organisation, f"Extra plan {n}", None)
        check_in = make_check_in(other)
        action = make_mitigation(item_for(other, "Role ambiguity"), "Done", MitigationStatus.DONE)
        round_on(check_in, 100, answers(statement, 5, 5))
        done_days_ago(action, 60)
        round_on(check_in, 50, answers(statement, 5, 5))


@pytest.mark.parametrize("copies", [1, 10])
def test_the_dashboard_runs_the_same_queries_whatever_the_number_of_check_ins(
    client, active_checklist, role_statement, manager, django_assert_num_queries, copies
):
    _grow(active_checklist, role_statement, copies)
    client.force_login(manager)
    client.get(URL)
    organisation_generations.organisation_changed(active_checklist.organisation)  # a miss: the body is rebuilt
    # session, person with the bell's count (two cache reads), organisation and membership, the cached body and its generations, active and draft
    # checklists with whether each has a check-in, the generations its checklists' counts are kept by (a cache
    # read), progress with the five counts, the overdue, due-soon and blocked lists (one query; empty, so no
    # challenges, roles or members for the quick edit), re-review due, the grid;
    # the check-in lists (7): the closed rounds with their check-ins, their tallies, the statements they asked,
    # the challenges asked about, their actions counted, those actions done and their history; storing the
    # body (count, then the upsert in a savepoint: 4)
    with django_assert_num_queries(21):
        response = client.get(URL)
    assert response.content.decode().count("Role ambiguity</a> in Extra plan") == copies


def test_a_round_keeps_the_threshold_it_opened_with(client, active_checklist, owner, role_statement, viewer):
    check_in = make_check_in(active_checklist, by=owner, threshold=6)
    round_on(check_in, 100, answers(role_statement, 5, 0))  # promised six: five is too few
    CheckIn.objects.filter(pk=check_in.pk).update(threshold=5)
    round_on(check_in, 50, answers(role_statement, 0, 5))
    _, worse, _ = lists(client, viewer)
    assert worse == ""


def test_when_actions_were_done_is_read_only_for_a_challenge_whose_actions_are_all_done(
    client, check_in, item, role_statement, viewer
):
    from peerplan.figures import check_in_changes

    action = make_mitigation(item, "Agree it with the team", MitigationStatus.IN_PROGRESS)
    round_on(check_in, 100, answers(role_statement, 5, 5))
    round_on(check_in, 50, answers(role_statement, 5, 5))
    reads = []
    for name in ("DONE_LINKS", "DONE_HISTORY"):
        query = getattr(check_in_changes, name)
        spy = mock.patch.object(
            check_in_changes, name, side_effect=lambda query=query, **v: reads.append(v) or query(**v)
        )
        spy.start()
    try:
        _, _, not_improved = lists(client, viewer)
        assert not_improved == "" and reads == []  # nothing all done: nothing to date
        action.status = MitigationStatus.DONE
        action.save()
        done_days_ago(action, 30)
        _, _, not_improved = lists(client, viewer)
        assert len(reads) == 2
    finally:
        mock.patch.stopall()
