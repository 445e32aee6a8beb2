"""send_reminders: one digest a day per owner, review reminders for managers, dry run."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from peerplan.models import ChecklistStatus, Membership, MitigationStatus, Reminder
from peerplan.notify import deliver
from tests.factories import item_for, make_checklist, make_mitigation

TODAY = date(2025, 6, 10)


def days(n):
    return TODAY + timedelta(days=n)


def run(*args, today=TODAY):
    out = StringIO()
    call_command("send_reminders", f"--today={today.isoformat()}", *args, stdout=out)
    return out.getvalue()


def sent_to(address):
    return [message for message in mail.outbox if message.to == [address]]


@pytest.fixture
def due_and_overdue_actions(org_a, org_b, owner, manager, planner, viewer, outsider):
    """Pat (planner) owns: overdue in Northside, due in 3 days in Southside (Pat is a member there too),
    due in 9 days (outside the default 7), done and overdue (not open), overdue on an archived plan.
    Vic (viewer) owns one overdue action but then leaves Northside.
    Checklist "Community team" is past review."""
    Membership.objects.create(organisation=org_b, user=planner, role="viewer")
    north = make_checklist(org_a, "Community team", manager, review_date=days(-1))
    south = make_checklist(org_b, "South plan", outsider)
    archived = make_checklist(org_a, "Old plan", manager, status=ChecklistStatus.ARCHIVED, review_date=days(-9))
    make_mitigation(item_for(north, "Role ambiguity"), "Agree the role description", owner=planner, due_date=days(-2))
    make_mitigation(item_for(south, "Workload"), "Cap caseloads in the south", owner=planner, due_date=days(3))
    make_mitigation(item_for(north, "Workload"), "Later action", owner=planner, due_date=days(9))
    make_mitigation(item_for(north, "Boundaries"), "Finished", MitigationStatus.DONE, owner=planner, due_date=days(-5))
    make_mitigation(item_for(archived, "Boundaries"), "Archived plan action", owner=planner, due_date=days(-5))
    make_mitigation(item_for(north, "Treatment models"), "Left behind", owner=viewer, due_date=days(-1))
    Membership.objects.filter(user=viewer).delete()
    return north


def test_each_owner_gets_one_digest_of_overdue_and_soon_due_actions_across_organisations(
    due_and_overdue_actions, planner
):
    output = run()
    [message] = sent_to("pat@example.org")
    assert message.subject == "PeerPlan: 1 overdue action and 1 due in the next 7 days"
    body = message.body
    assert "Overdue:\n\n- Agree the role description" in body
    assert "Northside Mental Health Service · Community team · Role ambiguity" in body
    assert "Due 8 June 2025 (2 days late) · Planned" in body
    assert "Due in the next 7 days:\n\n- Cap caseloads in the south" in body
    assert "Southside Trust · South plan · Workload" in body
    for absent in ("Later action", "Finished", "Archived plan action", "Left behind"):
        assert absent not in body
    assert "http://127.0.0.1:8000/app/my-actions/" in body
    assert "Sent actions digest to pat@example.org" in output
    assert Reminder.objects.filter(recipient=planner, kind="actions", sent_on=TODAY).count() == 1


def test_the_scheduled_emails_link_to_site_url(due_and_overdue_actions, planner, settings):
    settings.SITE_URL = "https://peerplan.example.org"
    run()
    [message] = sent_to("pat@example.org")
    assert "https://peerplan.example.org/app/my-actions/" in message.body
    assert "127.0.0.1" not in message.body


def test_people_who_are_no_longer_members_get_nothing(due_and_overdue_actions):
    run()
    assert sent_to("vic@example.org") == []


def test_days_widens_the_window(due_and_overdue_actions):
    run("--days=10")
    [message] = sent_to("pat@example.org")
    assert "Later action" in message.body
    assert message.subject == "PeerPlan: 1 overdue action and 2 due in the next 10 days"


def test_managers_and_owners_hear_about_checklists_past_their_review_date(due_and_overdue_actions):
    run()
    for address in ("olive@example.org", "maya@example.org"):
        [message] = [m for m in sent_to(address) if "review" in m.subject]
        assert message.subject == "PeerPlan: 1 checklist past the review date"
        assert "- Community team (Northside Mental Health Service, active)" in message.body
        assert "Review was due 9 June 2025" in message.body
        assert "Old plan" not in message.body
    # Outsider manages Southside, whose checklist has no review date.
    assert sent_to("otto@example.org") == []
    assert [m.subject for m in sent_to("pat@example.org")] == [
        "PeerPlan: 1 overdue action and 1 due in the next 7 days"
    ]


def test_running_again_the_same_day_sends_nothing_more(due_and_overdue_actions):
    run()
    first = len(mail.outbox)
    output = run()
    assert len(mail.outbox) == first
    assert "Skipped actions digest to pat@example.org: already sent today." in output


def test_the_next_day_it_sends_again(due_and_overdue_actions):
    run()
    run(today=days(1))
    assert len([m for m in sent_to("pat@example.org") if "overdue" in m.subject]) == 2


def test_a_dry_run_prints_and_sends_and_records_nothing(due_and_overdue_actions):
    output = run("--dry-run")
    assert mail.outbox == []
    assert Reminder.objects.count() == 0
    assert "--- actions digest to pat@example.org" in output
    assert "Subject: PeerPlan: 1 overdue action and 1 due in the next 7 days" in output
    assert "Would send 3, skipped 0, failed 0." in output


def test_a_failed_send_is_not_recorded_so_the_next_run_tries_again(due_and_overdue_actions, settings, monkeypatch):
    from django.core.mail import EmailMessage

    def broken(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", broken)
    with pytest.raises(CommandError, match="could not be sent"):
        run()
    assert Reminder.objects.count() == 0
    monkeypatch.undo()
    run()
    assert len(sent_to("pat@example.org")) == 1


def test_a_reminder_recorded_by_an_overlapping_run_is_not_sent_again(due_and_overdue_actions, planner, monkeypatch):
    # Another run recorded Pat's digest between this run's check and its insert: the unique
    # constraint refuses the second row, and nothing is sent.
    from django.db.models import QuerySet

    monkeypatch.setattr(QuerySet, "exists", lambda self: False)  # this run's check saw nothing yet
    Reminder.objects.create(recipient=planner, kind="actions", sent_on=TODAY)
    message = mail.EmailMessage("x", "y", to=["pat@example.org"])
    assert deliver.send_once(planner, "actions", TODAY, message) is False
    assert mail.outbox == []


def test_a_bad_date_is_a_clear_error(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--today=10/06/2025", stdout=StringIO())


def test_the_digest_has_a_working_unsubscribe_link_and_a_person_who_used_it_gets_no_more(
    client, due_and_overdue_actions, planner
):
    run()
    [message] = sent_to("pat@example.org")
    link = message.body.strip().splitlines()[-1].removeprefix("Stop these daily emails: ")
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    response = client.post(link.removeprefix("http://127.0.0.1:8000"))  # not signed in
    assert "You are unsubscribed" in response.content.decode()
    mail.outbox.clear()
    output = run(today=days(1))
    assert sent_to("pat@example.org") == []
    assert "Skipped actions digest for pat@example.org: they turned daily digests off." in output
