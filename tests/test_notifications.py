"""Notifications: recorded by the page in its transaction, shown behind the bell, marked read, emailed by
send_notifications (batched, as each person chose, with working unsubscribe links), and kept queued when
the mail server refuses."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from peerplan.models import Notification, notifications
from peerplan.models.notifications import Channel, EmailStatus, Kind
from peerplan.notify import deliver, scan
from peerplan.notify.context import unread_count
from peerplan.operations import comments, mitigations
from tests.factories import make_mitigation


@pytest.fixture(autouse=True)
def _no_batching_delay(settings):
    settings.NOTIFICATION_EMAIL_DELAY = 0


@pytest.fixture
def unowned_action(item):
    """The shared action before anyone owns it: these tests assign it."""
    return make_mitigation(item, "Write the PSW job description")


def edit_data(item, **overrides):
    data = {"action": "Write the PSW job description", "owner": "", "owner_name": "", "due_date": "2026-09-30"}
    data.update({"status": "planned", "phase": "", "notes": "", "version": "1", "challenges": [item.pk]})
    return {**data, **overrides}


def send():
    call_command("send_notifications", verbosity=0)


# Assignment: every path that sets an owner --------------------------------------------------------------


def test_assigning_an_action_in_the_form_makes_one_notification_and_one_email(
    client, owner, planner, unowned_action, item
):
    client.force_login(owner)
    response = client.post(f"/app/mitigations/{unowned_action.pk}/edit/", edit_data(item, owner=planner.pk))
    assert response.status_code == 302
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind, notification.actor) == (planner, Kind.ASSIGNED, owner)
    assert mail.outbox == []  # the page sends nothing
    send()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["pat@example.org"]
    assert email.subject == "PeerPlan: Olive assigned you an action: “Write the PSW job description”"
    assert f"http://127.0.0.1:8000/app/mitigations/{unowned_action.pk}/" in email.body
    send()
    assert len(mail.outbox) == 1  # never twice
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT


def test_saving_again_without_changing_the_owner_tells_nobody(client, owner, planner, unowned_action, item):
    client.force_login(owner)
    client.post(f"/app/mitigations/{unowned_action.pk}/edit/", edit_data(item, owner=planner.pk))
    client.post(
        f"/app/mitigations/{unowned_action.pk}/edit/", edit_data(item, owner=planner.pk, version="2", notes="more")
    )
    assert Notification.objects.count() == 1


def test_assigning_yourself_tells_nobody(client, planner, unowned_action, item):
    client.force_login(planner)
    client.post(f"/app/mitigations/{unowned_action.pk}/edit/", edit_data(item, owner=planner.pk))
    assert not Notification.objects.exists()


def test_a_new_action_with_an_owner_tells_the_owner(client, owner, manager, item):
    client.force_login(owner)
    client.post(f"/app/items/{item.pk}/mitigations/new/", edit_data(item, owner=manager.pk))
    assert Notification.objects.get().recipient == manager


def test_restoring_a_version_with_another_owner_tells_that_owner(owner, manager, planner, unowned_action):
    mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": planner}, version=1, by=owner)
    mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": None}, version=2, by=owner)
    record = unowned_action.history.filter(owner_id=planner.pk).earliest()
    Notification.objects.all().delete()
    mitigations.restore_mitigation(unowned_action, record, by=manager)
    assert Notification.objects.get().recipient == planner


def test_a_failed_save_records_no_notification(owner, planner, unowned_action):
    """The notification is part of the page's transaction: what rolls back takes it with it."""
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": planner}, version=1, by=owner)
        raise RuntimeError("the request failed after the save")
    assert not Notification.objects.exists()


# The bell and the list -------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_and_the_list_links_to_each_object(
    client, owner, planner, manager, unowned_action
):
    mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": planner}, version=1, by=owner)
    comment = comments.post_comment(
        body="@Pat can you attach the draft?",
        by=manager,
        organisation=unowned_action.checklist.organisation,
        mitigation=unowned_action,
    )
    client.force_login(planner)
    page = client.get("/app/").content.decode()
    assert (
        '<span class="badge rounded-pill text-bg-danger" data-unread="2">2<span class="visually-hidden"> unread</span>'
        in page
    )
    listing = client.get("/app/notifications/").content.decode()
    assert "Olive assigned you an action: “Write the PSW job description”" in listing
    assert "Maya mentioned you in a comment on the action “Write the PSW job description”" in listing
    assert "@Pat can you attach the draft?" in listing
    mention = Notification.objects.get(kind=Kind.MENTIONED)
    response = client.get(f"/app/notifications/{mention.pk}/open/")
    assert response["Location"] == f"/app/mitigations/{unowned_action.pk}/#comment-{comment.pk}"
    mention.refresh_from_db()
    assert mention.read_at is not None
    assert 'data-unread="1"' in client.get("/app/").content.decode()
    client.post("/app/notifications/read-all/")
    assert "data-unread" not in client.get("/app/").content.decode()


def test_mark_one_read(client, owner, planner, unowned_action):
    mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": planner}, version=1, by=owner)
    notification = Notification.objects.get()
    client.force_login(planner)
    assert client.post(f"/app/notifications/{notification.pk}/read/").status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize("count", [3, 30])
def test_the_notification_list_runs_a_fixed_number_of_queries(
    client, org_a, owner, planner, item, count, django_assert_num_queries
):
    for n in range(count):
        action = make_mitigation(item, f"Action {n}")
        mitigations.update_mitigation(mitigation_id=action.pk, changes={"owner": planner}, version=1, by=owner)
        comments.post_comment(body=f"@Pat about {n}", by=owner, organisation=org_a, mitigation=action)
    client.force_login(planner)
    unread_count(planner)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    # session, person with the bell's count (two cache reads), count, page of notifications (with actor, organisation, action, item, comment), those
    # waiting for two-factor (counted, not shown)
    with django_assert_num_queries(5):
        response = client.get("/app/notifications/")
    assert response.status_code == 200
    assert response.content.decode().count("notification-unread") == min(2 * count, 30)


# Email: batching, preferences, unsubscribe ------------------------------------------------------------


def test_several_notifications_within_the_delay_make_one_email(settings, owner, planner, item):
    settings.NOTIFICATION_EMAIL_DELAY = 120
    actions = [make_mitigation(item, f"Action {n}") for n in range(3)]
    for action in actions:
        mitigations.update_mitigation(mitigation_id=action.pk, changes={"owner": planner}, version=1, by=owner)
    send()
    assert mail.outbox == []  # not yet: the first is less than two minutes old
    later = timezone.now() + timedelta(seconds=121)
    deliver.send_due(now=later)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "PeerPlan: 3 things need your attention"
    for action in actions:
        assert f"/app/mitigations/{action.pk}/" in mail.outbox[0].body


def test_a_person_who_chose_in_app_only_gets_no_email(client, owner, planner, unowned_action):
    client.force_login(planner)
    client.post("/app/notifications/settings/", {"assigned": "in_app"})
    mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": planner}, version=1, by=owner)
    send()
    assert mail.outbox == []
    assert Notification.objects.get().email_status == EmailStatus.NONE


def test_a_person_who_turned_a_kind_off_gets_nothing(client, owner, planner, unowned_action):
    client.force_login(planner)
    response = client.post("/app/notifications/settings/", {"assigned": "off"})
    assert response.status_code == 302
    mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": planner}, version=1, by=owner)
    assert not Notification.objects.exists()
    page = client.get("/app/notifications/settings/").content.decode()
    assert 'id="assigned-off" value="off" checked' in page


def test_a_choice_that_does_not_exist_is_refused_and_nothing_saved(client, planner):
    client.force_login(planner)
    response = client.post("/app/notifications/settings/", {"assigned": "pigeon", "digest": "in_app"})
    assert response.status_code == 400
    assert "Choose one of the options" in response.content.decode()
    assert notifications.preferences(planner)[Kind.ASSIGNED] == Channel.EMAIL


def test_the_unsubscribe_link_in_the_email_works_without_signing_in(client, owner, planner, unowned_action):
    mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": planner}, version=1, by=owner)
    send()
    email = mail.outbox[0]
    link = next(line.split(": ", 1)[1] for line in email.body.splitlines() if line.startswith("Stop emails for"))
    path = link.removeprefix("http://127.0.0.1:8000")
    assert email.extra_headers["List-Unsubscribe"] == f"<{link}>"
    page = client.get(path)
    assert page.status_code == 200 and "Stop these emails?" in page.content.decode()
    assert notifications.preferences(planner)[Kind.ASSIGNED] == Channel.EMAIL  # a GET changes nothing
    done = client.post(path)  # as a mail program's one-click unsubscribe does: no session, no CSRF token
    assert "You are unsubscribed" in done.content.decode()
    assert notifications.preferences(planner)[Kind.ASSIGNED] == Channel.IN_APP


def test_a_forged_or_expired_unsubscribe_link_changes_nothing(client, settings, planner):
    token = deliver.unsubscribe_token(planner, Kind.ASSIGNED)
    assert client.post(f"/unsubscribe/{token}x/").status_code == 404
    settings.UNSUBSCRIBE_LINK_DAYS = -1
    assert client.post(f"/unsubscribe/{token}/").status_code == 404
    assert notifications.preferences(planner)[Kind.ASSIGNED] == Channel.EMAIL


def test_the_email_shows_a_comment_with_script_as_text_and_only_to_members(owner, planner, outsider, unowned_action):
    comments.post_comment(
        body='<script>alert("x")</script> @Pat',
        by=owner,
        organisation=unowned_action.checklist.organisation,
        mitigation=unowned_action,
    )
    send()
    assert len(mail.outbox) == 1
    assert '“<script>alert("x")</script> @Pat”' in mail.outbox[0].body  # plain text: shown, never run
    assert not getattr(mail.outbox[0], "alternatives", None)  # no HTML part for a mail program to render
    assert mail.outbox[0].content_subtype == "plain"


def test_a_person_who_left_the_organisation_is_not_emailed_about_it(owner, planner, unowned_action):
    from peerplan.models import Membership

    mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": planner}, version=1, by=owner)
    Membership.objects.filter(user=planner).delete()
    send()
    assert mail.outbox == []
    assert Notification.objects.get().email_status == EmailStatus.SKIPPED


# A mail server that refuses ------------------------------------------------------------------------


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server is down")


def test_a_refusing_mail_server_leaves_the_notification_queued_and_a_later_run_sends_it(
    settings, owner, planner, unowned_action
):
    mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": planner}, version=1, by=owner)
    settings.EMAIL_BACKEND = "tests.test_notifications.RefusingBackend"
    with pytest.raises(CommandError, match="stay queued"):
        send()
    notification = Notification.objects.get()
    assert notification.email_status == EmailStatus.PENDING
    assert notification.attempts == 1 and "mail server is down" in notification.last_error
    assert notification.claim == "" and notification.claimed_until is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send()
    assert mail.outbox == []  # retried after RETRY_AFTER, not at once
    deliver.send_due(now=timezone.now() + deliver.RETRY_AFTER + timedelta(seconds=1))
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT


def test_notifications_another_run_has_claimed_are_not_sent_again(owner, planner, unowned_action):
    mitigations.update_mitigation(mitigation_id=unowned_action.pk, changes={"owner": planner}, version=1, by=owner)
    token, claimed = deliver.claim(planner.pk, timezone.now())
    assert len(claimed) == 1
    assert deliver.send_due() == (0, 0, 0)
    assert mail.outbox == []
    # A run that died holding its claim: after the lease, another run sends them.
    deliver.send_due(now=timezone.now() + deliver.CLAIM_LEASE + timedelta(seconds=1))
    assert len(mail.outbox) == 1


# Scheduled: overdue actions and decisions due for re-review ---------------------------------------------


def test_an_action_that_became_overdue_is_notified_once(owner, planner, item):
    today = timezone.localdate()
    late = make_mitigation(item, "Late one", owner=planner, due_date=today - timedelta(days=1))
    make_mitigation(item, "Not yet", owner=planner, due_date=today + timedelta(days=1))
    assert scan.record_scheduled(today) == 1
    assert scan.record_scheduled(today) == 0
    notification = Notification.objects.get()
    assert notification.kind == Kind.OVERDUE and notification.mitigation == late
    assert notification.subject_line() == "Your action is overdue: “Late one”"


def test_a_decision_due_for_re_review_is_notified_to_who_made_it(client, planner, item):
    client.force_login(planner)
    client.post(
        f"/app/items/{item.pk}/",
        {
            "applies": "no",
            "not_applicable_reason": "No night shifts",
            "rereview_on": "2020-01-01",
            "priority": "medium",
        },
    )
    item.refresh_from_db()
    assert item.applies is False
    assert scan.record_scheduled(timezone.localdate()) == 1
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind) == (planner, Kind.REREVIEW)
    assert notification.target_url() == f"/app/items/{item.pk}/"


def test_invited_and_role_changed_are_notified(client, owner, manager, outsider, planner, org_a):
    client.force_login(owner)
    client.post(f"/app/orgs/{org_a.slug}/members/invite/", {"email": "otto@example.org", "role": "planner"})
    invited = Notification.objects.get(recipient=outsider)
    assert invited.subject_line() == "Olive invited you to join Northside Mental Health Service as planner"
    assert invited.target_url().startswith("/app/invitations/")
    from peerplan.models import Membership

    client.post(f"/app/orgs/{org_a.slug}/members/{Membership.objects.get(user=planner).pk}/role/", {"role": "manager"})
    changed = Notification.objects.get(recipient=planner)
    assert changed.subject_line() == "Olive made you manager in Northside Mental Health Service"


def test_assigning_an_action_through_the_api_tells_the_new_owner_who_did_it(
    client, org_a, owner, planner, unowned_action
):
    from tests.api_helpers import call, token_for

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{unowned_action.pk}/",
        token_for(owner, org_a),
        {"owner": planner.pk},
        HTTP_IF_MATCH=f'"mitigation-{unowned_action.pk}-v1"',
    )
    assert response.status_code == 200, response.content
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind, notification.actor) == (planner, Kind.ASSIGNED, owner)
