"""The navigation's unread count is read from the shared cache, and every write it depends on makes the next
page count again: a new notification, marking read, the daily reminders, a membership, the organisation's
two-factor rule and deletion, the person's own two-factor (peerplan/models/person_generations.py)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from peerplan.models import Membership, Notification
from peerplan.models.notifications import Kind
from peerplan.notify import context, events, scan
from peerplan.operations import notifications, organisations
from tests.factories import make_mitigation
from tests.worlds import turn_on_two_factor


def bell(client):
    """What the bell says on the start page: the count, or None when there is nothing unread."""
    page = client.get("/app/").content.decode()
    marker = 'data-unread="'
    if marker not in page:
        return None
    return int(page.split(marker, 1)[1].split('"', 1)[0])


def tell(recipient, organisation, actor):
    return events.record(recipient=recipient, kind=Kind.ASSIGNED, organisation=organisation, actor=actor)


@pytest.fixture
def told(client, planner, owner, org_a):
    """The planner has two unread notifications, and the bell has counted them (so the count is cached)."""
    tell(planner, org_a, owner)
    tell(planner, org_a, owner)
    client.force_login(planner)
    assert bell(client) == 2
    return planner


def test_a_new_notification_shows_in_the_count_at_once(client, told, owner, org_a):
    tell(told, org_a, owner)
    assert bell(client) == 3


def test_marking_one_read_and_all_read_lower_the_count(client, told):
    notifications.mark_read(user=told, pk=Notification.objects.filter(recipient=told).first().pk)
    assert bell(client) == 1
    client.post("/app/notifications/read-all/")
    assert bell(client) is None


def test_the_daily_reminders_count_at_once(client, told, item):
    overdue = make_mitigation(item, "Agree supervision", owner=told, due_date=timezone.localdate() - timedelta(days=3))
    assert scan.record_scheduled(timezone.localdate()) == 1
    assert Notification.objects.filter(recipient=told, mitigation=overdue).exists()
    assert bell(client) == 3


def test_a_removed_member_no_longer_counts_the_organisations_notifications(client, told, owner):
    organisations.remove_member(membership=Membership.objects.get(user=told), by=owner)
    assert context.unread_count(told) == 0


def test_an_organisation_that_requires_two_factor_hides_its_notifications_until_it_is_set_up(
    client, told, owner, org_a
):
    turn_on_two_factor(owner)
    organisations.set_two_factor_requirement(organisation=org_a, required=True, by=owner)
    assert context.unread_count(told) == 0
    turn_on_two_factor(told)
    assert context.unread_count(told) == 2


def test_a_deleted_organisation_counts_nothing_and_counts_again_once_restored(client, told, owner, org_a):
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    assert context.unread_count(told) == 0
    organisations.restore_organisation(organisation=org_a, by=owner)
    assert context.unread_count(told) == 2


def test_a_fixture_load_counts_again(told, owner, org_a, tmp_path):
    fixture = tmp_path / "notification.json"
    call_command("dumpdata", "peerplan.notification", "--pks", str(tell(told, org_a, owner).pk), output=fixture)
    Notification.objects.filter(recipient=told).order_by("-pk").first().delete()
    assert context.unread_count(told) == 2
    call_command("loaddata", fixture, verbosity=0)
    assert context.unread_count(told) == 3


def test_one_persons_count_is_not_anothers(client, told, manager, owner, org_a):
    client.force_login(manager)
    assert bell(client) is None
    tell(manager, org_a, owner)
    assert bell(client) == 1
    assert context.unread_count(told) == 2


def test_the_count_is_read_from_the_cache_once_counted(told, django_assert_num_queries):
    assert context.unread_count(told) == 2  # counted, with the database cache these tests pin
    # 1. the cache: the person's generation, the evidence generation and the count, in one read
    with django_assert_num_queries(1):
        assert context.unread_count(told) == 2
