"""What PeerPlan records about people's use of it is kept for a period, then deleted by the daily command
`purge_expired`: sign-in records after SIGN_IN_RECORD_DAYS, notifications after READ_NOTIFICATION_DAYS (read)
or UNREAD_NOTIFICATION_DAYS (unread), expired sessions. Only what is old goes."""

import subprocess
import sys
from datetime import timedelta
from functools import partial

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from peerplan.models import Notification
from peerplan.models.notifications import Kind
from peerplan.notify import events
from tests.production import BASE_DIR, clean_env


def sign_in(model, days_ago, **fields):
    row = model.objects.create(
        username="pat@example.org",
        user_agent=f"browser seen {days_ago} days ago",
        ip_address="127.0.0.1",
        http_accept="*/*",
        **fields,
    )
    # attempt_time is auto_now_add: set afterwards, as a row that old would hold it.
    model.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - timedelta(days=days_ago))
    return row.pk


def notification(person, org, days_ago, read):
    created = timezone.now() - timedelta(days=days_ago)
    made = events.record(recipient=person, kind=Kind.MEMBERSHIP, organisation=org)
    Notification.objects.filter(pk=made.pk).update(created_at=created, read_at=created if read else None)
    return made.pk


def test_only_sign_in_records_older_than_the_period_are_deleted(db, settings):
    settings.SIGN_IN_RECORD_DAYS = 90
    old = [
        (AccessLog, sign_in(AccessLog, 91)),
        (AccessFailureLog, sign_in(AccessFailureLog, 91)),
        (AccessAttempt, sign_in(AccessAttempt, 91, failures_since_start=1)),
    ]
    recent = [
        (AccessLog, sign_in(AccessLog, 89)),
        (AccessFailureLog, sign_in(AccessFailureLog, 89)),
        (AccessAttempt, sign_in(AccessAttempt, 89, failures_since_start=1, get_data="", post_data="")),
    ]

    call_command("purge_expired", verbosity=0)

    assert not any(model.objects.filter(pk=pk).exists() for model, pk in old)
    assert all(model.objects.filter(pk=pk).exists() for model, pk in recent)


def test_read_notifications_go_after_a_year_and_unread_ones_after_two(settings, planner, org_a):
    settings.READ_NOTIFICATION_DAYS = 365
    settings.UNREAD_NOTIFICATION_DAYS = 730
    read_old = notification(planner, org_a, 366, read=True)
    read_recent = notification(planner, org_a, 364, read=True)
    unread_year_old = notification(planner, org_a, 400, read=False)
    unread_old = notification(planner, org_a, 731, read=False)

    call_command("purge_expired", verbosity=0)

    assert set(Notification.objects.values_list("pk", flat=True)) == {read_recent, unread_year_old}
    assert read_old not in Notification.objects.values_list("pk", flat=True)
    assert unread_old not in Notification.objects.values_list("pk", flat=True)


def test_expired_sessions_go_and_live_ones_stay(client, planner):
    client.force_login(planner)
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1))

    call_command("purge_expired", verbosity=0)

    assert list(Session.objects.values_list("session_key", flat=True)) == [client.session.session_key]
    assert client.get("/app/").status_code == 200


def test_the_periods_are_read_from_the_environment_with_the_defaults_the_readme_states():
    code = (
        "from peerplan import settings as s; "
        "print(s.SIGN_IN_RECORD_DAYS, s.READ_NOTIFICATION_DAYS, s.UNREAD_NOTIFICATION_DAYS)"
    )
    run = partial(subprocess.run, [sys.executable, "-c", code], cwd=BASE_DIR, capture_output=True, text=True)
    assert run(env=clean_env(DEBUG="true")).stdout.split() == ["90", "365", "730"]
    assert run(env=clean_env(DEBUG="true", SIGN_IN_RECORD_DAYS="30")).stdout.split() == ["30", "365", "730"]
    assert (
        "SIGN_IN_RECORD_DAYS must be a whole number" in run(env=clean_env(DEBUG="true", SIGN_IN_RECORD_DAYS="x")).stderr
    )
