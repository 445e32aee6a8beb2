"""Check-ins: setting one up, rounds opened and closed by the scheduled run, single-use links, tallies,
the threshold and the comments' rules."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from evidence.models import PEERPLAN_WORDING, Statement
from peerplan.figures import check_ins as figures
from peerplan.figures import tracking
from peerplan.models import (
    Answer,
    CheckIn,
    Round,
    RoundComment,
    RoundDelivery,
    RoundTally,
    RoundToken,
    organisation_generations,
)
from peerplan.operations import check_ins
from tests.factories import challenge_theme_names, item_for, make_check_in, make_closed_round, make_mitigation

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://[^/\s]+(/check-in/[^/\s]+/)\n")


@pytest.fixture
def check_in(active_checklist, owner):
    return make_check_in(active_checklist, by=owner, comments_on=True, comments_read_by="the service manager")


@pytest.fixture
def role(active_checklist):
    return item_for(active_checklist, "Role ambiguity")


@pytest.fixture
def role_statements(role):
    return list(Statement.objects.filter(theme=role.finding.theme))


def set_up(client, checklist, follow=False, **fields):
    """The set-up form sent: Role ambiguity, every 8 weeks, open 14 days, the threshold 5, unless `fields` say."""
    data = {
        "items": [item_for(checklist, "Role ambiguity").pk],
        "every_weeks": "8",
        "open_days": "14",
        "threshold": "5",
    }
    return client.post(f"/app/checklists/{checklist.pk}/check-ins/set-up/", {**data, **fields}, follow=follow)


def agree(statements, n, answer=Answer.AGREE):
    return [dict.fromkeys(statements, answer) for _ in range(n)]


def run_schedule(today=None):
    with mock.patch.object(tracking, "today", return_value=today or tracking.today()):
        call_command("send_notifications", verbosity=0)


def links():
    return [LINK.search(message.body).group(1) for message in mail.outbox]


# The statement bank ----------------------------------------------------------------------------------------


def test_the_starter_bank_has_a_statement_for_every_challenge_of_table_6(table6):
    themes = set(Statement.objects.published().values_list("theme__name", flat=True))
    assert set(challenge_theme_names()) <= themes


def test_another_organisations_own_statements_are_never_asked(active_checklist, role, org_b, owner):
    Statement.objects.create(theme=role.finding.theme, text="B's private question", organisation=org_b)
    check_in = make_check_in(active_checklist, by=owner)
    asked = [s.text for s in check_ins.statements_for(check_in)]
    assert "I know what is and is not part of my role." in asked
    assert "B's private question" not in asked


def test_a_curator_rewords_a_statement_in_the_admin_and_its_history_keeps_the_first(client, curator, role_statements):
    statement = role_statements[0]
    client.force_login(curator)
    url = f"/admin/evidence/statement/{statement.pk}/change/"
    page = client.get(url).content.decode()
    assert "not a validated measure" in page
    response = client.post(
        url, {"theme": statement.theme_id, "text": "I know where my role ends.", "position": 1, "_reason": "Plainer"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    statement.refresh_from_db()
    assert statement.text == "I know where my role ends."
    assert list(statement.history.order_by("history_date").values_list("text", flat=True)) == [
        "I know what is and is not part of my role.",
        "I know where my role ends.",
    ]


def test_curators_never_see_a_services_own_statements(client, curator, role, org_b):
    own = Statement.objects.create(theme=role.finding.theme, text="B's private question", organisation=org_b)
    client.force_login(curator)
    assert "B&#x27;s private question" not in client.get("/admin/evidence/statement/").content.decode()
    assert client.get(f"/admin/evidence/statement/{own.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/evidence/statement/{own.pk}/history/").status_code == 404


def test_a_manager_adds_a_statement_of_the_services_own_and_new_rounds_ask_it_marked_so(
    client, check_in, role, manager, viewer, org_a
):
    client.force_login(viewer)
    url = f"/app/orgs/{org_a.slug}/check-in-statements/"
    assert client.post(url, {"theme": role.finding.theme_id, "text": "Viewers cannot"}).status_code == 403
    client.force_login(manager)
    response = client.post(url, {"theme": role.finding.theme_id, "text": "I get time with other peer workers."})
    assert response.status_code == 302
    own = Statement.objects.get(organisation=org_a)
    assert own in check_ins.statements_for(check_in)
    round_ = check_ins.open_round(check_in=check_in, today=tracking.today())
    (token,) = check_ins.issue_tokens(round_=round_, count=1)
    page = client.get(f"/check-in/{token}/").content.decode()
    assert "I get time with other peer workers. <span" in page and "own wording" in page
    client.post(url, {"retire": own.pk})
    own.refresh_from_db()
    assert own.retired and own not in check_ins.statements_for(check_in)


def test_one_organisation_cannot_retire_anothers_statement(client, role, org_b, manager, org_a):
    theirs = Statement.objects.create(theme=role.finding.theme, text="B's own", organisation=org_b)
    published = Statement.objects.filter(organisation__isnull=True).first()
    client.force_login(manager)
    for statement in (theirs, published):
        assert client.post(f"/app/orgs/{org_a.slug}/check-in-statements/", {"retire": statement.pk}).status_code == 404
        statement.refresh_from_db()
        assert not statement.retired


# Setting one up ---------------------------------------------------------------------------------------------


def test_a_manager_sets_up_a_check_in_for_every_applicable_challenge_by_default(client, active_checklist, manager):
    client.force_login(manager)
    page = client.get(f"/app/checklists/{active_checklist.pk}/check-ins/set-up/").content.decode()
    applicable = active_checklist.items.applicable_challenges().count()
    assert page.count('name="items"') == active_checklist.items.challenges().count()
    assert page.count("checked") >= applicable
    response = set_up(
        client,
        active_checklist,
        items=[i.pk for i in active_checklist.items.applicable_challenges()],
        emails="a@example.org\nb@example.org, c@example.org; d@example.org e@example.org",
        every_weeks="6",
    )
    assert response.status_code == 302
    check_in = CheckIn.objects.get(checklist=active_checklist)
    assert check_in.recipients.count() == 5
    assert check_in.items.count() == applicable
    assert check_in.every_weeks == 6 and not check_in.comments_on


def test_bad_addresses_and_a_lower_threshold_are_refused_with_clear_messages(client, active_checklist, manager):
    client.force_login(manager)
    response = set_up(
        client,
        active_checklist,
        emails="a@example.org not-an-email",
        every_weeks="4",
        open_days="28",
        threshold="3",
        comments_on="on",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "These are not email addresses: not-an-email." in text
    assert "it cannot be lower" in text
    assert "A round must close before the next one opens." in text
    assert "Say who will read the comments" in text
    assert not CheckIn.objects.exists()


def test_a_team_too_small_for_the_threshold_is_told_no_figures_will_show(client, active_checklist, manager):
    client.force_login(manager)
    response = set_up(client, active_checklist, emails="a@example.org b@example.org", follow=True)
    assert "no figures will ever show" in response.content.decode()


def test_planners_and_viewers_cannot_set_one_up(client, active_checklist, planner, viewer):
    for person in (planner, viewer):
        client.force_login(person)
        assert client.get(f"/app/checklists/{active_checklist.pk}/check-ins/set-up/").status_code == 403


def test_a_draft_checklist_gets_no_check_in(client, draft_checklist, owner):
    client.force_login(owner)
    assert client.get(f"/app/checklists/{draft_checklist.pk}/check-ins/set-up/").status_code == 409


def test_the_threshold_can_be_raised_by_setting_but_never_below_five(settings, active_checklist, owner):
    from peerplan.forms.check_ins import CheckInForm

    settings.CHECK_IN_THRESHOLD = 7
    form = CheckInForm(
        {"items": [], "emails": "a@example.org", "every_weeks": 8, "open_days": 14, "threshold": 6},
        checklist=active_checklist,
    )
    assert "threshold" in form.errors


# The scheduled run -------------------------------------------------------------------------------------------


def test_the_scheduled_run_opens_the_first_round_and_sends_one_single_use_link_each(check_in):
    run_schedule()
    round_ = Round.objects.get()
    assert round_.number == 1 and round_.asked_count == 5
    assert len(mail.outbox) == 5
    assert len(set(links())) == 5
    assert RoundToken.objects.count() == 5
    assert RoundDelivery.objects.count() == 5
    body = mail.outbox[0].body
    assert "read by the service manager" in body
    assert "/check-ins/about/" in body
    assert "Stop these emails" in body
    # A second run the same day sends nothing more.
    run_schedule()
    assert len(mail.outbox) == 5


def test_no_token_is_stored_in_plain_text(check_in):
    run_schedule()
    stored = set(RoundToken.objects.values_list("hash", flat=True))
    for link in links():
        token = link.split("/")[2]
        assert token not in stored
        assert figures_hash(token) in stored


def figures_hash(token):
    from peerplan.models.check_ins import token_hash

    return token_hash(token)


def test_an_unsubscribed_person_gets_nothing(client, check_in):
    run_schedule()
    stop = re.search(r"http://[^/\s]+(/check-in/[^/\s]+/stop/)", mail.outbox[0].body).group(1)
    to = mail.outbox[0].to[0]
    assert client.post(stop).status_code == 200
    assert check_in.recipients.get(email=to).unsubscribed_at is not None
    mail.outbox.clear()
    today = tracking.today() + timedelta(weeks=8)
    run_schedule(today)
    assert len(mail.outbox) == 4
    assert to not in [m.to[0] for m in mail.outbox]


def test_a_failed_email_leaves_no_delivery_so_the_next_run_sends_a_fresh_link(check_in):
    with mock.patch("peerplan.notify.deliver.check_in_invitation") as invitation:
        invitation.return_value.send.side_effect = OSError("mail server down")
        with pytest.raises(Exception, match="could not be sent"):
            run_schedule()
    assert RoundDelivery.objects.count() == 0
    assert RoundToken.objects.count() == 0
    run_schedule()
    assert len(mail.outbox) == 5 and RoundToken.objects.count() == 5


def test_rounds_close_after_their_last_day_and_the_next_opens_every_weeks_later(check_in):
    today = tracking.today()
    run_schedule(today)
    first = Round.objects.get()
    run_schedule(first.closes_on)
    assert not Round.objects.get().is_closed
    run_schedule(first.closes_on + timedelta(days=1))
    first.refresh_from_db()
    assert first.is_closed
    assert RoundToken.objects.count() == 0  # unused links die with the round
    run_schedule(today + timedelta(weeks=8))
    second = Round.objects.get(number=2)
    assert second.opens_on == today + timedelta(weeks=8)


def test_a_paused_check_in_opens_no_round(check_in):
    CheckIn.objects.filter(pk=check_in.pk).update(paused=True)
    run_schedule()
    assert not Round.objects.exists()


# Answering ---------------------------------------------------------------------------------------------------


def test_a_link_answers_once_and_then_says_plainly_it_was_used(client, check_in, role_statements):
    run_schedule()
    link = links()[0]
    page = client.get(link)
    assert page.status_code == 200
    text = page.content.decode()
    assert "I know what is and is not part of my role." in text
    assert PEERPLAN_WORDING in text
    first = role_statements[0]
    response = client.post(link, {f"s{first.pk}": "5", "comment": "More supervision please"})
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    again = client.get(link)
    assert again.status_code == 410
    assert "used already" in again.content.decode()
    assert client.post(link, {f"s{first.pk}": "1"}).status_code == 410
    round_ = Round.objects.get()
    assert round_.answered_count == 1
    assert RoundTally.objects.get(round=round_, statement=first, answer=Answer.STRONGLY_AGREE).count == 1
    assert sum(RoundTally.objects.filter(round=round_).values_list("count", flat=True)) == 1
    assert RoundComment.objects.get().text == "More supervision please"
    assert RoundToken.objects.count() == 4


def test_a_made_up_link_is_refused(client, check_in):
    run_schedule()
    assert client.get("/check-in/not-a-real-token/").status_code == 410


def test_comments_are_not_kept_when_the_check_in_asks_for_none(active_checklist, owner, role_statements):
    check_in = make_check_in(active_checklist, by=owner)
    make_closed_round(check_in, agree(role_statements, 5), comments=["hello"] * 5)
    assert not RoundComment.objects.exists()


# Closed rounds are frozen ------------------------------------------------------------------------------------


def test_nothing_is_added_to_a_closed_round(check_in, role_statements):
    today = tracking.today()
    round_ = check_ins.open_round(check_in=check_in, today=today)
    (token,) = check_ins.issue_tokens(round_=round_, count=1)
    check_ins.close_round(round_=round_, now=timezone.now())
    assert (
        check_ins.answer_round(token=token, answers={role_statements[0].pk: Answer.AGREE}, comment="", today=today)
        is None
    )
    round_.refresh_from_db()
    assert round_.answered_count == 0
    assert sum(RoundTally.objects.filter(round=round_).values_list("count", flat=True)) == 0


def test_a_token_of_an_open_round_cannot_be_used_after_its_last_day(check_in, role_statements):
    today = tracking.today()
    round_ = check_ins.open_round(check_in=check_in, today=today)
    (token,) = check_ins.issue_tokens(round_=round_, count=1)
    late = round_.closes_on + timedelta(days=1)
    assert (
        check_ins.answer_round(token=token, answers={role_statements[0].pk: Answer.AGREE}, comment="", today=late)
        is None
    )


def test_a_closed_rounds_figures_do_not_change(check_in, role, role_statements):
    make_closed_round(check_in, agree(role_statements, 6))
    before = figures.trends_for_items(check_in.checklist)[role.pk].statements[0].rounds
    Statement.objects.filter(pk=role_statements[0].pk).update(text="Reworded later")
    check_ins.close_due_rounds(today=tracking.today() + timedelta(days=400), now=check_in.created_at)
    after = figures.trends_for_items(check_in.checklist)[role.pk].statements[0].rounds
    assert before == after
    assert after[0].text == "I know what is and is not part of my role."


# Thresholds ---------------------------------------------------------------------------------------------------


def test_with_four_answers_nothing_shows_and_with_five_it_does(check_in, role, role_statements):
    make_closed_round(check_in, agree(role_statements, 4))
    make_closed_round(check_in, agree(role_statements, 5))
    trend = figures.trends_for_items(check_in.checklist)[role.pk]
    four, five = trend.statements[0].rounds
    assert not four.shown and four.counts is None and four.answered is None
    assert five.shown and five.answered == 5 and five.agreeing_percent == 100


def test_does_not_apply_is_counted_but_not_on_the_scale(check_in, role, role_statements):
    first = role_statements[0]
    answers = agree([first], 4) + [{first: Answer.DOES_NOT_APPLY}] * 3
    make_closed_round(check_in, answers)
    (shown,) = figures.trends_for_items(check_in.checklist)[role.pk].statements[0].rounds
    assert not shown.shown  # 4 on the scale: below the threshold whatever the "does not apply"s


def test_nothing_shows_while_a_round_is_open(client, check_in, role, role_statements, viewer):
    run_schedule()
    for link in links():
        client.post(link, {f"s{role_statements[0].pk}": "4", "comment": "open secret"})
    client.force_login(viewer)
    page = client.get(f"/app/checklists/{check_in.checklist.pk}/check-ins/").content.decode()
    assert "results show when it closes" in page
    assert "open secret" not in page
    assert "Closed. 5 people answered" not in page
    item_page = client.get(f"/app/items/{role.pk}/").content.decode()
    assert "results show when it closes" in item_page
    assert "100%" not in item_page and "Agreeing, by round" not in item_page


def test_comments_show_shuffled_without_dates_only_from_rounds_of_at_least_five(
    client, check_in, role_statements, viewer
):
    make_closed_round(check_in, agree(role_statements, 4), comments=["four said this"])
    make_closed_round(check_in, agree(role_statements, 5), comments=["five said this", "and this"])
    client.force_login(viewer)
    page = client.get(f"/app/checklists/{check_in.checklist.pk}/check-ins/").content.decode()
    assert "four said this" not in page
    assert "five said this" in page and "and this" in page


def test_comments_hide_when_the_owner_turns_them_off(client, check_in, role_statements, viewer):
    make_closed_round(check_in, agree(role_statements, 5), comments=["five said this"])
    CheckIn.objects.filter(pk=check_in.pk).update(comments_on=False)
    client.force_login(viewer)
    assert "five said this" not in client.get(f"/app/checklists/{check_in.checklist.pk}/check-ins/").content.decode()


# Beside the plan ---------------------------------------------------------------------------------------------


def test_the_trend_shows_beside_the_challenge_with_its_actions_done_dates(
    client, check_in, role, role_statements, viewer
):
    action = make_mitigation(role, "Write the role description")
    action.status = "done"
    action.save()
    make_closed_round(check_in, agree(role_statements, 5, Answer.DISAGREE))
    make_closed_round(check_in, agree(role_statements, 6))
    client.force_login(viewer)
    for url in (f"/app/items/{role.pk}/", f"/app/checklists/{check_in.checklist.pk}/"):
        page = client.get(url).content.decode()
        assert "Agreeing, by round" in page
        assert "0%" in page and "100%" in page
        assert "Actions on this challenge done on" in page
        assert 'class="chart-mark"' in page
        assert escape(PEERPLAN_WORDING) in page


def test_a_statement_added_after_the_first_round_leaves_a_gap_in_the_chart(check_in, role, role_statements):
    make_closed_round(check_in, agree(role_statements, 5))
    later = check_ins.add_own_statement(
        organisation=check_in.checklist.organisation, theme=role.finding.theme, text="New"
    )
    make_closed_round(check_in, agree([*role_statements, later], 5))
    chart = figures.trends_for_items(check_in.checklist)[role.pk].chart
    assert [number for number, _ in chart.rounds] == [1, 2]
    assert [series.values for series in chart.series] == [[100, 100], [100, 100], [None, 100]]


# Queries ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rounds", [1, 10])
def test_the_trends_take_seven_queries_however_many_rounds(
    check_in, role, role_statements, rounds, django_assert_num_queries
):
    for _ in range(rounds):
        make_closed_round(check_in, agree(role_statements, 5))
        make_mitigation(role, "An action done", status="done")
    # The check-in, its items' themes, its rounds, the statements asked, the tallies, the done actions, their history.
    with django_assert_num_queries(7):
        figures.trends_for_items(check_in.checklist)


@pytest.mark.parametrize("rounds", [1, 10])
def test_one_items_trend_takes_six_queries_and_one_for_an_item_not_asked_about(
    check_in, role, role_statements, rounds, django_assert_num_queries
):
    for _ in range(rounds):
        make_closed_round(check_in, agree(role_statements, 5))
        make_mitigation(role, "An action done", status="done")
    # The check-in with the item's theme (it asks about it), its rounds, the statements asked, the tallies, the
    # done actions, their history.
    with django_assert_num_queries(6):
        assert figures.trends_for_items(check_in.checklist, item=role.pk)[role.pk].done_dates
    # The check-in, which does not ask about it: nothing more to read.
    other = check_in.checklist.items.exclude(pk__in=check_in.items.all()).first()
    with django_assert_num_queries(1):
        assert figures.trends_for_items(check_in.checklist, item=other.pk) == {}


def _rounds_with_actions(check_in, role, role_statements, rounds):
    for _ in range(rounds):
        make_closed_round(check_in, agree(role_statements, 5), comments=["A comment"] * 5)
        make_mitigation(role, "An action done", status="done")


@pytest.mark.parametrize("rounds", [1, 10])
def test_the_check_in_page_runs_a_fixed_number_of_queries(
    client, check_in, role, role_statements, viewer, rounds, django_assert_num_queries
):
    _rounds_with_actions(check_in, role, role_statements, rounds)
    client.force_login(viewer)
    url = f"/app/checklists/{check_in.checklist.pk}/check-ins/"
    client.get(url)
    # session, person with the bell's count (two cache reads), checklist with membership, the check-in (access.load_check_in); the check-in with its
    # creator, its rounds, their comments, the trends' seven (figures.check_ins), the items asked about,
    # the recipients counted.
    with django_assert_num_queries(16):
        assert client.get(url).status_code == 200


def test_the_checklist_and_item_pages_read_the_trends_in_a_fixed_number_of_queries(
    client, check_in, role, role_statements, viewer
):
    """The pages' own budgets (tests/test_checklists.py, tests/test_items.py) count the check-in's one query;
    with a check-in its trends take six more: the same with one round as with ten."""
    client.force_login(viewer)

    def queries(url):
        client.get(url)
        organisation_generations.organisation_changed(check_in.checklist.organisation)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    urls = [f"/app/checklists/{check_in.checklist.pk}/", f"/app/items/{role.pk}/"]
    _rounds_with_actions(check_in, role, role_statements, 1)
    small = [queries(url) for url in urls]
    _rounds_with_actions(check_in, role, role_statements, 9)
    assert [queries(url) for url in urls] == small


@pytest.mark.parametrize("statements", [1, 10])
def test_the_answer_page_runs_a_fixed_number_of_queries(client, check_in, statements, django_assert_num_queries):
    items = list(check_in.checklist.items.applicable_challenges().in_published_order()[:statements])
    check_in.items.set(items)
    round_ = check_ins.open_round(check_in=check_in, today=tracking.today())
    (token, spare) = check_ins.issue_tokens(round_=round_, count=2)
    # the token with its round, check-in, checklist and organisation; the statements asked
    with django_assert_num_queries(2):
        assert client.get(f"/check-in/{token}/").status_code == 200
    # the same two to read it; then the token locked, the round locked, the statements asked, every tally
    # answered added to in one update, the round's count, the token deleted (a savepoint and its release
    # around them)
    answers = {f"s{pk}": "4" for pk in round_.asked.values_list("statement_id", flat=True)}
    with django_assert_num_queries(10):
        assert "Thank you" in client.post(f"/check-in/{spare}/", answers).content.decode()
