"""Check-ins' anonymity, checked on what is stored rather than on who may read it: after a round, no table of
the database (every model's, the history tables', and every other table) holds a value that links an answer
to a person or an invitation; a closed round's figures never change; one person's changed answer between two
rounds of fewer than 5 people cannot be read from the pages; and nobody, site administrators included,
sees who answered."""

import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from evidence.models import Statement
from peerplan.figures import check_ins as figures
from peerplan.lib.logs import hide_credentials
from peerplan.models import Answer, Round
from peerplan.models.check_ins import token_hash
from tests.factories import item_for, make_check_in, make_closed_round, make_user

pytestmark = pytest.mark.django_db

# The moment the PSW answers: distinctive, so any trace of it in a table is found.
ANSWERED_AT = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
USER_AGENT = "Mozilla/5.0 (PSW-phone-zebra-7781)"
LINK = re.compile(r"http://[^/\s]+(/check-in/([^/\s]+)/)\n")


def every_cell():
    """(table, column, value) for every value of every table of the database: the models', the history
    tables', the through tables', and those no model describes (the cache table, sessions)."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - the database's own table names
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    yield table, column, value


@pytest.fixture
def answered(client, active_checklist, owner):
    """A round opened by the scheduled run three days before ANSWERED_AT, answered by the first person invited
    (on their phone, at ANSWERED_AT, with a comment), then closed by the run after its last day."""
    make_check_in(active_checklist, by=owner, comments_on=True, comments_read_by="the manager")
    opened_on = ANSWERED_AT.date() - timedelta(days=3)
    with mock.patch("peerplan.figures.tracking.today", return_value=opened_on):
        call_command("send_notifications", verbosity=0)
    message = mail.outbox[0]
    link, token = LINK.search(message.body).groups()
    statement = Statement.objects.filter(theme=item_for(active_checklist, "Role ambiguity").finding.theme).first()
    with mock.patch("django.utils.timezone.now", return_value=ANSWERED_AT):
        response = client.post(
            link, {f"s{statement.pk}": "2", "comment": "A comment of mine"}, HTTP_USER_AGENT=USER_AGENT
        )
    assert response.status_code == 200
    round_ = Round.objects.get()
    with mock.patch("peerplan.figures.tracking.today", return_value=round_.closes_on + timedelta(days=1)):
        call_command("send_notifications", verbosity=0)
    round_.refresh_from_db()
    assert round_.is_closed and round_.answered_count == 1
    return {"email": message.to[0], "token": token, "round": round_}


def test_no_table_holds_the_person_the_link_or_the_moment_of_an_answer(answered):
    secrets = {
        "the respondent's email": answered["email"],
        "the token": answered["token"],
        "the used token's hash": token_hash(answered["token"]),
        "the user agent": "PSW-phone-zebra-7781",
        "the day of the answer": ANSWERED_AT.date().isoformat(),
    }
    found = []
    for table, column, value in every_cell():
        if isinstance(value, datetime):
            value = value if value.tzinfo else value.replace(tzinfo=UTC)
            if abs(value - ANSWERED_AT) < timedelta(days=1):
                found.append((table, column, "a time on the day of the answer"))
            continue
        text = value.decode(errors="ignore") if isinstance(value, bytes | memoryview) else str(value)
        for what, secret in secrets.items():
            if secret in text:
                # The recipient list keeps the address (whom to ask), never tied to an answer: allowed there only.
                if what == "the respondent's email" and table == "peerplan_checkinrecipient":
                    continue
                found.append((table, column, what))
    assert found == []


def test_the_recipient_and_the_delivery_say_nothing_of_the_answer(answered):
    """Who was asked is kept (so nobody is sent two links); nothing says who used theirs."""
    round_ = answered["round"]
    assert round_.deliveries.count() == 5
    recipient_columns = {f.name for f in round_.deliveries.model._meta.concrete_fields}
    assert recipient_columns == {"id", "round", "recipient"}
    assert not [
        f
        for f in round_.check_in.recipients.model._meta.concrete_fields
        if f.name.endswith("_at") and f.name != "unsubscribed_at"
    ]


def test_the_link_is_kept_out_of_the_request_logs():
    assert hide_credentials("GET /check-in/abc-DEF_123/ 200") == "GET /check-in/[hidden]/ 200"
    assert hide_credentials("POST /check-in/abc-DEF_123/stop/") == "POST /check-in/[hidden]/stop/"


def test_a_closed_rounds_figures_do_not_change(active_checklist, owner):
    check_in = make_check_in(active_checklist, by=owner)
    role = item_for(active_checklist, "Role ambiguity")
    statements = list(Statement.objects.filter(theme=role.finding.theme))
    round_ = make_closed_round(check_in, [dict.fromkeys(statements, Answer.AGREE)] * 6)
    before = figures.trends_for_items(active_checklist)[role.pk]
    # Later: the bank reworded, another round, the threshold raised and lowered back, the schedule run again.
    Statement.objects.filter(pk=statements[0].pk).update(text="Reworded")
    make_closed_round(check_in, [dict.fromkeys(statements, Answer.DISAGREE)] * 7)
    with mock.patch("peerplan.figures.tracking.today", return_value=round_.closes_on + timedelta(days=90)):
        call_command("send_notifications", verbosity=0)
    after = figures.trends_for_items(active_checklist)[role.pk]
    assert [s.rounds[0] for s in after.statements] == [s.rounds[0] for s in before.statements]


def test_one_persons_changed_answer_between_two_rounds_of_four_cannot_be_read(client, active_checklist, owner, viewer):
    check_in = make_check_in(active_checklist, by=owner, comments_on=True, comments_read_by="the manager")
    role = item_for(active_checklist, "Role ambiguity")
    statements = list(Statement.objects.filter(theme=role.finding.theme))
    same = [dict.fromkeys(statements, Answer.AGREE)] * 3
    make_closed_round(check_in, [*same, dict.fromkeys(statements, Answer.AGREE)], comments=["zebra comment one"])
    make_closed_round(
        check_in, [*same, dict.fromkeys(statements, Answer.STRONGLY_DISAGREE)], comments=["zebra comment two"]
    )
    client.force_login(owner)
    pages = [
        client.get(f"/app/checklists/{active_checklist.pk}/check-ins/").content.decode(),
        client.get(f"/app/items/{role.pk}/").content.decode(),
        client.get(f"/app/checklists/{active_checklist.pk}/").content.decode(),
    ]
    for page in pages:
        assert "Agreeing, by round" not in page
        assert "75%" not in page and "100%" not in page
        assert "zebra comment" not in page
    trend = figures.trends_for_items(active_checklist)[role.pk]
    assert all(not r.shown and r.counts is None for s in trend.statements for r in s.rounds)
    # The two rounds read alike, round numbers and dates apart.
    rows = re.findall(r"<tr><th scope=\"row\">\d+ \(closed [^)]*\)</th>\s*(.*?)</tr>", pages[1], re.S)
    assert len(rows) == 4 and len(set(rows)) == 1


def test_the_admin_shows_nothing_about_who_answered(client, answered):
    admin = make_user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    index = client.get("/admin/").content.decode()
    for name in ("roundtoken", "rounddelivery", "roundtally", "roundcomment", "checkinrecipient", "round"):
        assert f"/peerplan/{name}/" not in index
        assert client.get(f"/admin/peerplan/{name}/").status_code == 404


def test_lowering_a_check_ins_threshold_never_shows_more_of_a_round_than_its_invitation_promised(
    active_checklist, owner
):
    check_in = make_check_in(active_checklist, by=owner, threshold=8)
    role = item_for(active_checklist, "Role ambiguity")
    statements = list(Statement.objects.filter(theme=role.finding.theme))
    make_closed_round(check_in, [dict.fromkeys(statements, Answer.AGREE)] * 6)
    check_in.threshold = 5
    check_in.save()
    (shown,) = figures.trends_for_items(active_checklist)[role.pk].statements[0].rounds
    assert not shown.shown and shown.threshold == 8
