"""Readable timelines from simple-history, and restoring an earlier version of an action."""

from datetime import date

import pytest

from peerplan.models import Mitigation, MitigationStatus
from peerplan.pages import history
from tests.factories import item_for, make_checklist


def save_as(obj, user):
    obj._history_user = user
    obj.save()
    return obj


@pytest.fixture
def sam(org_a):
    from tests.conftest import _member

    return _member(org_a, "sam", "planner", "Sam")


@pytest.fixture
def action(org_a, manager, sam):
    checklist = make_checklist(org_a, "Community team", manager)
    mitigation = Mitigation(checklist=checklist, action="Write a role description")
    save_as(mitigation, sam)
    mitigation.items.add(item_for(checklist, "Role ambiguity"))
    mitigation.status = MitigationStatus.DONE
    save_as(mitigation, sam)
    return mitigation


def test_a_status_change_reads_as_a_sentence(action):
    sentences = [entry.sentence for entry in history.mitigation_timeline(action)]
    assert sentences == ["Sam changed status from Planned to Done", "Sam created this action"]


def test_several_changes_read_as_one_sentence_with_names_dates_and_labels(action, sam, manager):
    action.due_date = date(2025, 5, 8)
    action.owner = manager
    action.status = MitigationStatus.IN_PROGRESS
    action.co_produced = True
    save_as(action, sam)
    newest = history.mitigation_timeline(action)[0]
    assert newest.sentence == (
        "Sam set owner to Maya, set due date to 8 May 2025, changed status from Done to In progress "
        "and changed co-produced with people with lived experience from no to yes"
    )
    assert newest.who == "Sam"


def test_saving_without_a_change_adds_no_line(action, sam):
    action.version += 1  # bookkeeping only
    save_as(action, sam)
    assert len(history.mitigation_timeline(action)) == 2


def test_the_checklist_timeline_names_items_and_actions_and_shows_deletions(action, manager, sam):
    item = action.items.get()
    item.priority = "high"
    save_as(item, manager)
    checklist = action.checklist
    action._history_user = sam
    action.delete()
    sentences = [entry.sentence for entry in history.checklist_timeline(checklist)]
    assert sentences[0] == "Sam deleted the action “Write a role description”"
    assert sentences[1] == "Maya updated the challenge “Role ambiguity”: changed priority from Medium to High"
    assert "Sam updated the action “Write a role description”: changed status from Planned to Done" in sentences
    assert sentences[-2:] == [
        "Sam created the action “Write a role description”",
        "Someone created this checklist",
    ]


def test_the_item_timeline_shows_a_not_applicable_decision(action, manager):
    item = action.items.get()
    item.applies = False
    item.not_applicable_reason = "Roles are defined nationally"
    save_as(item, manager)
    assert history.item_timeline(item)[0].sentence == (
        "Maya changed decision from applies to does not apply and set reason it does not apply to "
        "“Roles are defined nationally”"
    )


def test_the_history_pages_show_the_timeline_to_members(client, action, viewer):
    client.force_login(viewer)
    response = client.get(f"/app/mitigations/{action.pk}/history/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Sam changed status from Planned to Done" in text
    assert "Restore" not in text  # viewers cannot restore
    response = client.get(f"/app/checklists/{action.checklist_id}/history/")
    assert (
        "Sam updated the action “Write a role description” (for Role ambiguity): changed status from Planned to Done"
        in response.content.decode()
    )


def test_a_change_made_through_a_request_records_who_made_it(client, action, manager):
    client.force_login(manager)
    first = action.history.order_by("history_date").first()
    client.post(f"/app/mitigations/{action.pk}/restore/{first.history_id}/", {"version": action.version})
    assert history.mitigation_timeline(action)[0].who == "Maya"


def test_a_manager_restores_an_earlier_version(client, action, manager):
    created = action.history.order_by("history_date").first()
    client.force_login(manager)
    page = client.get(f"/app/mitigations/{action.pk}/history/").content.decode()
    assert f'action="/app/mitigations/{action.pk}/restore/{created.history_id}/"' in page
    response = client.post(f"/app/mitigations/{action.pk}/restore/{created.history_id}/", {"version": "1"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == MitigationStatus.PLANNED
    assert action.version == 2
    newest = history.mitigation_timeline(action)[0]
    assert newest.sentence == "Maya changed status from Done to Planned"
    assert newest.reason.startswith("Restored the version of ")
    assert action.history.count() == 3


def test_restore_keeps_the_action_where_it_is(client, action, owner):
    created = action.history.order_by("history_date").first()
    original = (action.pk, list(action.items.all()), action.checklist_id, action.created_at)
    client.force_login(owner)
    client.post(f"/app/mitigations/{action.pk}/restore/{created.history_id}/", {"version": "1"})
    action.refresh_from_db()
    assert (action.pk, list(action.items.all()), action.checklist_id, action.created_at) == original


def test_a_restore_after_someone_else_changed_the_action_changes_nothing(client, action, manager, sam):
    created = action.history.order_by("history_date").first()
    action.notes = "Changed meanwhile"
    action.version = 2
    save_as(action, sam)
    client.force_login(manager)
    response = client.post(f"/app/mitigations/{action.pk}/restore/{created.history_id}/", {"version": "1"}, follow=True)
    assert "Someone changed this action after you opened its history" in response.content.decode()
    action.refresh_from_db()
    assert (action.status, action.notes, action.version) == (MitigationStatus.DONE, "Changed meanwhile", 2)


def test_an_owner_who_has_left_is_kept_by_name(client, action, manager, sam):
    action.owner = sam
    save_as(action, sam)
    with_owner = action.history.order_by("-history_date").first()
    action.owner = None
    save_as(action, manager)
    sam.memberships.all().delete()
    client.force_login(manager)
    client.post(f"/app/mitigations/{action.pk}/restore/{with_owner.history_id}/", {"version": "1"})
    action.refresh_from_db()
    assert action.owner is None
    assert action.owner_name == "Sam"


@pytest.mark.parametrize("person", ["planner", "viewer"])
def test_planners_and_viewers_cannot_restore(client, action, request, person):
    created = action.history.order_by("history_date").first()
    client.force_login(request.getfixturevalue(person))
    response = client.post(f"/app/mitigations/{action.pk}/restore/{created.history_id}/", {"version": "1"})
    assert response.status_code == 403
    action.refresh_from_db()
    assert (action.status, action.version) == (MitigationStatus.DONE, 1)


def test_outsiders_get_404_for_history_and_restore(client, action, outsider):
    created = action.history.order_by("history_date").first()
    client.force_login(outsider)
    assert client.get(f"/app/mitigations/{action.pk}/history/").status_code == 404
    assert client.get(f"/app/checklists/{action.checklist_id}/history/").status_code == 404
    response = client.post(f"/app/mitigations/{action.pk}/restore/{created.history_id}/", {"version": "1"})
    assert response.status_code == 404
    action.refresh_from_db()
    assert action.status == MitigationStatus.DONE


def test_a_version_of_another_action_cannot_be_restored(client, action, manager, sam):
    other = Mitigation(checklist=action.checklist, action="Another")
    save_as(other, sam)
    other.items.set(action.items.all())
    client.force_login(manager)
    record = other.history.first()
    assert client.post(f"/app/mitigations/{action.pk}/restore/{record.history_id}/").status_code == 404


def test_restore_only_answers_post(client, action, manager):
    created = action.history.order_by("history_date").first()
    client.force_login(manager)
    assert client.get(f"/app/mitigations/{action.pk}/restore/{created.history_id}/").status_code == 405
