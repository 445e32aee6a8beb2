"""Readable timelines from simple-history, and restoring an earlier version of an action."""

from datetime import date

import pytest

from peerplan.models import Mitigation, MitigationStatus
from peerplan.pages import history
from tests.factories import item_for, make_checklist, make_member


def save_as(obj, user):
    obj._history_user = user
    obj.save()
    return obj


@pytest.fixture
def sam(org_a):
    return make_member(org_a, "sam", "planner", "Sam")


@pytest.fixture
def action_done_by_sam(org_a, manager, sam):
    """An action with a history of its own: Sam created it and then marked it done (two versions by Sam), on
    the manager's checklist. The timelines and restores here read those two versions."""
    checklist = make_checklist(org_a, "Community team", manager)
    mitigation = Mitigation(checklist=checklist, action="Write a role description")
    save_as(mitigation, sam)
    mitigation.items.add(item_for(checklist, "Role ambiguity"))
    mitigation.status = MitigationStatus.DONE
    save_as(mitigation, sam)
    return mitigation


def test_a_status_change_reads_as_a_sentence(action_done_by_sam):
    sentences = [entry.sentence for entry in history.mitigation_timeline(action_done_by_sam)]
    assert sentences == ["Sam changed status from Planned to Done", "Sam created this action"]


def test_several_changes_read_as_one_sentence_with_names_dates_and_labels(action_done_by_sam, sam, manager):
    action_done_by_sam.due_date = date(2025, 5, 8)
    action_done_by_sam.owner = manager
    action_done_by_sam.status = MitigationStatus.IN_PROGRESS
    action_done_by_sam.co_produced = True
    save_as(action_done_by_sam, sam)
    newest = history.mitigation_timeline(action_done_by_sam)[0]
    assert newest.sentence == (
        "Sam set owner to Maya, set due date to 8 May 2025, changed status from Done to In progress "
        "and changed co-produced with people with lived experience from no to yes"
    )
    assert newest.who == "Sam"


def test_saving_without_a_change_adds_no_line(action_done_by_sam, sam):
    action_done_by_sam.version += 1  # bookkeeping only
    save_as(action_done_by_sam, sam)
    assert len(history.mitigation_timeline(action_done_by_sam)) == 2


def test_the_checklist_timeline_names_items_and_actions_and_shows_deletions(action_done_by_sam, manager, sam):
    item = action_done_by_sam.items.get()
    item.priority = "high"
    save_as(item, manager)
    checklist = action_done_by_sam.checklist
    action_done_by_sam._history_user = sam
    action_done_by_sam.delete()
    sentences = [entry.sentence for entry in history.checklist_timeline(checklist)]
    assert sentences[0] == "Sam deleted the action “Write a role description”"
    assert sentences[1] == "Maya updated the challenge “Role ambiguity”: changed priority from Medium to High"
    assert "Sam updated the action “Write a role description”: changed status from Planned to Done" in sentences
    assert sentences[-2:] == [
        "Sam created the action “Write a role description”",
        "Maya created this checklist",
    ]


def test_the_item_timeline_shows_a_not_applicable_decision(action_done_by_sam, manager):
    item = action_done_by_sam.items.get()
    item.applies = False
    item.not_applicable_reason = "Roles are defined nationally"
    save_as(item, manager)
    assert history.item_timeline(item)[0].sentence == (
        "Maya changed decision from applies to does not apply and set reason it does not apply to "
        "“Roles are defined nationally”"
    )


def test_the_history_pages_show_the_timeline_to_members(client, action_done_by_sam, viewer):
    client.force_login(viewer)
    response = client.get(f"/app/mitigations/{action_done_by_sam.pk}/history/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Sam changed status from Planned to Done" in text
    assert "Restore" not in text  # viewers cannot restore
    response = client.get(f"/app/checklists/{action_done_by_sam.checklist_id}/history/")
    assert (
        "Sam updated the action “Write a role description” (for Role ambiguity): changed status from Planned to Done"
        in response.content.decode()
    )


def test_a_change_made_through_a_request_records_who_made_it(client, action_done_by_sam, manager):
    client.force_login(manager)
    first = action_done_by_sam.history.order_by("history_date").first()
    client.post(
        f"/app/mitigations/{action_done_by_sam.pk}/restore/{first.history_id}/", {"version": action_done_by_sam.version}
    )
    assert history.mitigation_timeline(action_done_by_sam)[0].who == "Maya"


def test_a_manager_restores_an_earlier_version(client, action_done_by_sam, manager):
    created = action_done_by_sam.history.order_by("history_date").first()
    client.force_login(manager)
    page = client.get(f"/app/mitigations/{action_done_by_sam.pk}/history/").content.decode()
    assert f'action="/app/mitigations/{action_done_by_sam.pk}/restore/{created.history_id}/"' in page
    response = client.post(f"/app/mitigations/{action_done_by_sam.pk}/restore/{created.history_id}/", {"version": "1"})
    assert response.status_code == 302
    action_done_by_sam.refresh_from_db()
    assert action_done_by_sam.status == MitigationStatus.PLANNED
    assert action_done_by_sam.version == 2
    newest = history.mitigation_timeline(action_done_by_sam)[0]
    assert newest.sentence == "Maya changed status from Done to Planned"
    assert newest.reason.startswith("Restored the version of ")
    assert action_done_by_sam.history.count() == 3


def test_restore_keeps_the_action_where_it_is(client, action_done_by_sam, owner):
    created = action_done_by_sam.history.order_by("history_date").first()
    original = (
        action_done_by_sam.pk,
        list(action_done_by_sam.items.all()),
        action_done_by_sam.checklist_id,
        action_done_by_sam.created_at,
    )
    client.force_login(owner)
    client.post(f"/app/mitigations/{action_done_by_sam.pk}/restore/{created.history_id}/", {"version": "1"})
    action_done_by_sam.refresh_from_db()
    assert (
        action_done_by_sam.pk,
        list(action_done_by_sam.items.all()),
        action_done_by_sam.checklist_id,
        action_done_by_sam.created_at,
    ) == original


def test_a_restore_after_someone_else_changed_the_action_changes_nothing(client, action_done_by_sam, manager, sam):
    created = action_done_by_sam.history.order_by("history_date").first()
    action_done_by_sam.notes = "Changed meanwhile"
    action_done_by_sam.version = 2
    save_as(action_done_by_sam, sam)
    client.force_login(manager)
    response = client.post(
        f"/app/mitigations/{action_done_by_sam.pk}/restore/{created.history_id}/", {"version": "1"}, follow=True
    )
    assert "Someone changed this action after you opened its history" in response.content.decode()
    action_done_by_sam.refresh_from_db()
    assert (action_done_by_sam.status, action_done_by_sam.notes, action_done_by_sam.version) == (
        MitigationStatus.DONE,
        "Changed meanwhile",
        2,
    )


def test_an_owner_who_has_left_is_kept_by_name(client, action_done_by_sam, manager, sam):
    action_done_by_sam.owner = sam
    save_as(action_done_by_sam, sam)
    with_owner = action_done_by_sam.history.order_by("-history_date").first()
    action_done_by_sam.owner = None
    save_as(action_done_by_sam, manager)
    sam.memberships.all().delete()
    client.force_login(manager)
    client.post(f"/app/mitigations/{action_done_by_sam.pk}/restore/{with_owner.history_id}/", {"version": "1"})
    action_done_by_sam.refresh_from_db()
    assert action_done_by_sam.owner is None
    assert action_done_by_sam.owner_name == "Sam"


@pytest.mark.parametrize("person", ["planner", "viewer"])
def test_planners_and_viewers_cannot_restore(client, action_done_by_sam, request, person):
    created = action_done_by_sam.history.order_by("history_date").first()
    client.force_login(request.getfixturevalue(person))
    response = client.post(f"/app/mitigations/{action_done_by_sam.pk}/restore/{created.history_id}/", {"version": "1"})
    assert response.status_code == 403
    action_done_by_sam.refresh_from_db()
    assert (action_done_by_sam.status, action_done_by_sam.version) == (MitigationStatus.DONE, 1)


def test_outsiders_get_404_for_history_and_restore(client, action_done_by_sam, outsider):
    created = action_done_by_sam.history.order_by("history_date").first()
    client.force_login(outsider)
    assert client.get(f"/app/mitigations/{action_done_by_sam.pk}/history/").status_code == 404
    assert client.get(f"/app/checklists/{action_done_by_sam.checklist_id}/history/").status_code == 404
    response = client.post(f"/app/mitigations/{action_done_by_sam.pk}/restore/{created.history_id}/", {"version": "1"})
    assert response.status_code == 404
    action_done_by_sam.refresh_from_db()
    assert action_done_by_sam.status == MitigationStatus.DONE


def test_a_version_of_another_action_cannot_be_restored(client, action_done_by_sam, manager, sam):
    other = Mitigation(checklist=action_done_by_sam.checklist, action="Another")
    save_as(other, sam)
    other.items.set(action_done_by_sam.items.all())
    client.force_login(manager)
    record = other.history.first()
    assert client.post(f"/app/mitigations/{action_done_by_sam.pk}/restore/{record.history_id}/").status_code == 404


def test_restore_only_answers_post(client, action_done_by_sam, manager):
    created = action_done_by_sam.history.order_by("history_date").first()
    client.force_login(manager)
    assert client.get(f"/app/mitigations/{action_done_by_sam.pk}/restore/{created.history_id}/").status_code == 405
