"""History never crosses organisations, whatever the ids (issue 12, defect 1).

Organisation A deletes a checklist whose action and item have history; the site administrator backs up
and restores (as the README tells them to try now and then). Organisation B's new checklist, item and
action must neither get the ids A's history rows name, nor, should they share ids anyway (a database
restored by an older PeerPlan), show or restore anything of A's."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from peerplan.figures import tracking
from peerplan.models import Attachment, Checklist, Comment, Item, Mitigation, MitigationStatus
from peerplan.operations import checklists, comments, mitigations
from tests.factories import item_for, make_checklist

A_ACTION = "Secret plan of Northside: brief the ward about Ms Example"
A_NOTE = "Northside's private note about ward 3"
A_OWNER = "Dr Northside Outsider"
A_COMMENT = "Northside's comment: Ms Example was unwell on ward 3"
A_FILE = "northside-ward-3-incident.pdf"


def save_as(obj, user):
    obj._history_user = user
    obj.save()
    return obj


@pytest.fixture
def deleted_in_a(org_a, owner):
    """A's checklist with an item note and an action edited twice (so it has restorable versions),
    then deleted. Returns the ids the deleted rows had."""
    checklist = make_checklist(org_a, "Northside wards", owner)
    item = item_for(checklist, "Role ambiguity")
    item.note = A_NOTE
    save_as(item, owner)
    action = Mitigation(checklist=checklist, action=A_ACTION, owner_name=A_OWNER, notes=A_NOTE)
    save_as(action, owner)
    action.items.add(item)
    action.status = MitigationStatus.IN_PROGRESS
    save_as(action, owner)
    comment = comments.post_comment(body=A_COMMENT, by=owner, organisation=org_a, item=item)
    comments.edit_comment(comment=comment, body=A_COMMENT + " (edited)", by=owner)
    attachment = Attachment(
        organisation=org_a,
        item=item,
        file="attachments/x.pdf",
        name=A_FILE,
        content_type="application/pdf",
        type_label="PDF",
        size=10,
        added_by=owner,
    )
    save_as(attachment, owner)
    attachment._history_user = owner
    attachment.delete()
    ids = {"checklist": checklist.pk, "item": item.pk, "mitigation": action.pk, "comment": comment.pk}
    checklist._history_user = owner
    checklist.delete()
    return ids


def backup_and_restore(tmp_path):
    path = tmp_path / "backup.json"
    call_command("backup", output=str(path), verbosity=0)
    call_command("restore", str(path), interactive=False, verbosity=0)


def b_plan(org_b, outsider):
    checklist = checklists.create_checklist_from_evidence(organisation=org_b, title="Southside plan", by=outsider)
    item = item_for(checklist, "Role ambiguity")
    item.note = "Southside's own note"
    save_as(item, outsider)
    action = Mitigation(checklist=checklist, action="Southside's own action")
    save_as(action, outsider)
    action.items.add(item)
    return checklist, item, action


def test_after_a_restore_new_rows_never_get_an_id_that_a_history_row_names(deleted_in_a, org_b, outsider, tmp_path):
    backup_and_restore(tmp_path)

    checklist, item, action = b_plan(org_b, outsider)

    assert checklist.pk > deleted_in_a["checklist"]
    assert item.pk > deleted_in_a["item"]
    assert action.pk > deleted_in_a["mitigation"]
    comment = comments.post_comment(body="Southside's comment", by=outsider, organisation=org_b, item=item)
    assert comment.pk > deleted_in_a["comment"]


def test_after_a_restore_the_other_organisations_timelines_show_nothing_of_the_deleted_plan(
    client, deleted_in_a, org_b, outsider, tmp_path
):
    backup_and_restore(tmp_path)
    checklist, item, action = b_plan(org_b, outsider)
    client.force_login(outsider)

    for path in (
        f"/app/checklists/{checklist.pk}/history/",
        f"/app/mitigations/{action.pk}/history/",
        f"/app/items/{item.pk}/",
    ):
        page = client.get(path).content.decode()
        assert A_ACTION not in page and A_NOTE not in page and A_OWNER not in page, path
        assert A_FILE not in page and "Northside&#x27;s comment" not in page, path
        assert "Olive" not in page, path


@pytest.fixture
def b_reuses_a_ids(deleted_in_a, org_b, outsider):
    """B's checklist, item and action with exactly the ids of A's deleted ones, as a database restored by
    an older PeerPlan handed out."""
    ids = deleted_in_a
    checklist = Checklist.objects.create(
        pk=ids["checklist"], organisation=org_b, title="Southside", created_by=outsider
    )
    other = make_checklist(org_b, "Southside items", outsider)
    template = item_for(other, "Role ambiguity")
    Item.objects.filter(pk=template.pk).update(id=ids["item"], checklist=checklist)
    item = Item.objects.get(pk=ids["item"])
    action = save_as(Mitigation(pk=ids["mitigation"], checklist=checklist, action="Southside's action"), outsider)
    action.items.add(item)
    comment = save_as(
        Comment(pk=ids["comment"], organisation=org_b, item=item, author=outsider, body="Southside's comment"),
        outsider,
    )
    return checklist, item, action, comment


def test_a_timeline_reads_only_its_own_organisations_history_whatever_the_ids(client, b_reuses_a_ids, outsider):
    checklist, item, action, comment = b_reuses_a_ids
    client.force_login(outsider)

    for path in (
        f"/app/checklists/{checklist.pk}/history/",
        f"/app/mitigations/{action.pk}/history/",
        f"/app/items/{item.pk}/",
        f"/app/comments/{comment.pk}/edit/",
    ):
        response = client.get(path)
        page = response.content.decode()
        assert response.status_code == 200, path
        assert A_ACTION not in page and A_NOTE not in page and A_OWNER not in page, path
        # Nor the other organisation's earlier comment texts or removed files under the same ids.
        assert "Northside&#x27;s comment" not in page and A_FILE not in page, path
    assert "Southside&#x27;s action" in client.get(f"/app/mitigations/{action.pk}/history/").content.decode()


def test_a_manager_cannot_restore_another_organisations_version_whatever_the_ids(client, b_reuses_a_ids, outsider):
    checklist, item, action, comment = b_reuses_a_ids
    foreign = Mitigation.history.filter(id=action.pk, action=A_ACTION).exclude(history_type="-")
    assert foreign.exists()  # the ids really are shared
    client.force_login(outsider)

    for record in foreign:
        response = client.post(
            f"/app/mitigations/{action.pk}/restore/{record.history_id}/", {"version": action.version}
        )
        assert response.status_code == 404

    action.refresh_from_db()
    assert action.action == "Southside's action" and action.owner_name == ""


def test_every_history_record_of_items_and_actions_names_its_organisation_whichever_operation_wrote_it(
    org_a, org_b, owner, outsider
):
    """The timelines' scope is only as good as the organisation each record carries: every planning
    operation, single saves and bulk inserts alike, must fill it."""
    source = make_checklist(org_a, "Community team 2025", owner)
    workload, boundaries = item_for(source, "Workload"), item_for(source, "Boundaries")
    checklists.decide_item(item=workload, applies=False, reason="Capped by contract", by=owner)
    first = mitigations.create_mitigation(items=[boundaries], changes={"action": "Boundaries workshop"}, by=owner)
    second = mitigations.create_mitigation(items=[workload], changes={"action": "Workload review"}, by=owner)
    mitigations.link_items(mitigation=first, items=[workload], by=owner)
    mitigations.bulk_update_mitigations(
        actions=[first, second],
        versions={first.pk: first.version, second.pk: second.version},
        changes={"status": "in_progress"},
        by=owner,
    )
    mitigations.merge_mitigations(keep=Mitigation.objects.get(pk=first.pk), others=[second], by=owner)
    checklists.copy_checklist(source=source, title="Community team 2026", by=owner)
    make_checklist(org_b, "Southside", outsider)

    organisation_of = dict(Checklist.objects.values_list("pk", "organisation_id"))
    for model in (Item, Mitigation):
        records = list(model.history.values_list("checklist_id", "organisation_id"))
        assert records, model
        assert all(organisation == organisation_of[checklist] for checklist, organisation in records), model


def test_progress_over_time_counts_only_its_own_organisations_history_whatever_the_ids(b_reuses_a_ids, org_b):
    """A's deleted action lived from 40 to 10 days ago under the checklist id B's checklist has now: B's
    trend must not count it on any day."""
    checklist, item, action, comment = b_reuses_a_ids
    today = timezone.localdate()
    a_records = Mitigation.history.exclude(organisation_id=org_b.pk).filter(id=action.pk)
    a_records.exclude(history_type="-").update(history_date=timezone.now() - timedelta(days=40))
    a_records.filter(history_type="-").update(history_date=timezone.now() - timedelta(days=10))
    Mitigation.history.filter(organisation_id=org_b.pk).update(history_date=timezone.now())

    trend = tracking.progress_over_time(org_b.pk, [checklist.pk], today, 3)

    assert [(p.actions, p.done) for p in trend.points if p.day < today] == [(0, 0)] * (len(trend.points) - 1)
    assert (trend.points[-1].actions, trend.points[-1].done) == (1, 0)
