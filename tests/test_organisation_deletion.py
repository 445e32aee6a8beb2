"""Deleting an organisation: an owner types its name; it is hidden from everyone at once, restorable by an
owner for 30 days, then purged with every row and stored file it held. (The walk of every URL, API call,
notification and email for a deleted organisation is in tests/test_one_gate.py, beside the other people
who may not read an organisation now.)"""

import json
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django.utils.formats import date_format

from evidence.models import Reference, Statement
from peerplan.figures import shared_learning
from peerplan.lib.errors import NotAllowed, Refused
from peerplan.models import (
    Answer,
    ChallengeFigure,
    Checklist,
    Membership,
    Network,
    Notification,
    Organisation,
    SharedLearningRun,
    SuggestedMitigation,
    SuggestionFigure,
)
from peerplan.notify import events
from peerplan.operations import (
    attachments,
    checklists,
    comments,
    mitigations,
    networks,
    organisation_purge,
    organisations,
    own_evidence,
)
from tests.api_helpers import call, token_for
from tests.factories import make_check_in, make_closed_round, make_member
from tests.worlds import snapshot

MARK = "xyzzy"


def _delete(client, organisation, typed):
    return client.post(f"/app/orgs/{organisation.slug}/delete/", {"name": typed})


# Deleting ---------------------------------------------------------------------------------------------------


def test_the_delete_page_says_what_is_deleted_when_and_that_it_can_be_restored(client, org_a, owner):
    client.force_login(owner)
    assert 'href="/app/orgs/northside/delete/"' in client.get("/app/orgs/northside/members/").content.decode()
    page = client.get("/app/orgs/northside/delete/").content.decode()
    assert "Delete Northside Mental Health Service?" in page
    assert "its checklists, decisions and actions, their history, comments and attached files" in page
    assert "restore it, with everything as it was, from their organisations page for 30 days" in page
    assert "After 30 days it is removed for good" in page
    assert 'class="btn btn-danger">Delete organisation</button>' in page


def test_typing_the_wrong_name_changes_nothing_and_says_so(client, org_a, owner, active_checklist):
    client.force_login(owner)
    response = _delete(client, org_a, "Northside")
    assert response.status_code == 400
    page = response.content.decode()
    assert "does not match the organisation&#x27;s name, so nothing was deleted" in page
    assert "<title>Error: " in page
    org_a.refresh_from_db()
    assert not org_a.is_deleted
    assert client.get("/app/orgs/northside/").status_code == 200
    with pytest.raises(Refused):
        organisations.delete_organisation(organisation=org_a, typed_name="", by=owner)


def test_an_owner_deletes_it_and_nobody_sees_it_any_more(client, org_a, owner, manager, viewer, active_checklist):
    client.force_login(owner)
    response = _delete(client, org_a, "Northside Mental Health Service")
    assert response["Location"] == "/app/"
    start = client.get("/app/").content.decode()
    until = date_format(timezone.localtime() + timedelta(days=30), "j F Y")
    assert "Northside Mental Health Service is deleted. Nobody can see it now." in start
    assert f"Deleted: restore until {until}" in start
    assert 'href="/app/orgs/northside/"' not in start
    for person in (owner, manager, viewer):
        client.force_login(person)
        assert client.get("/app/orgs/northside/").status_code == 404
        assert client.get(f"/app/checklists/{active_checklist.pk}/").status_code == 404
        assert client.get(f"/app/checklists/{active_checklist.pk}/export.csv").status_code == 404
        assert "Northside" not in client.get("/app/tokens/").content.decode()
        assert "Northside" not in client.get("/app/my-actions/").content.decode()
    for person in (manager, viewer):  # only owners see it, under "Deleted organisations"
        client.force_login(person)
        assert "Northside" not in client.get("/app/").content.decode()
    org_a.refresh_from_db()
    assert org_a.deleted_by == owner and org_a.is_deleted


def test_only_an_owner_may_delete_it(client, org_a, owner, manager, viewer, outsider):
    for person, status in ((manager, 403), (viewer, 403), (outsider, 404)):
        client.force_login(person)
        assert client.get("/app/orgs/northside/delete/").status_code == status
        assert _delete(client, org_a, org_a.name).status_code == status
    client.force_login(manager)
    assert "/delete/" not in client.get("/app/orgs/northside/members/").content.decode()
    org_a.refresh_from_db()
    assert not org_a.is_deleted
    with pytest.raises(NotAllowed):
        organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=manager)


def test_its_invitations_stop_working_and_its_tokens_answer_nothing(client, org_a, owner, planner):
    invitation = organisations.invite(organisation=org_a, email="new@example.org", role="planner", by=owner)
    secret = token_for(owner, org_a)
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    response = client.get(f"/app/invitations/{invitation.token}/")
    assert response.status_code == 410 and "Northside" not in response.content.decode()
    assert call(client, "get", "/api/organisations/", secret).json() == []
    assert call(client, "get", "/api/organisations/northside/", secret).status_code == 404


def test_it_leaves_its_networks_at_once(client, org_a, owner):
    coordinator = make_member(Organisation.objects.create(name="Elsewhere", slug="elsewhere"), "nia", "owner", "Nia")
    network = Network.objects.create(name="North East network", slug="north-east")
    network.coordinators.add(coordinator)
    membership = networks.invite_organisation(network=network, organisation=org_a, by=coordinator)
    networks.answer_invitation(membership=membership, accept=True, by=owner)
    client.force_login(coordinator)
    assert "Northside" in client.get("/app/networks/north-east/").content.decode()
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    assert "Northside" not in client.get("/app/networks/north-east/").content.decode()
    organisations.restore_organisation(organisation=org_a, by=owner)
    assert "Northside" in client.get("/app/networks/north-east/").content.decode()


def test_scheduled_notifications_and_reminders_skip_it(org_a, owner, planner, active_checklist, mailoutbox):
    from peerplan.notify import scan

    item = active_checklist.items.challenges().first()
    mitigations.create_mitigation(
        item=item, changes={"action": "Late", "owner": planner, "due_date": date.today() - timedelta(days=2)}, by=owner
    )
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    assert scan.record_scheduled(date.today()) == 0
    call_command("send_reminders", stdout=open(os.devnull, "w"))
    assert not [m for m in mailoutbox if "Late" in m.body]


# Restoring --------------------------------------------------------------------------------------------------


def test_an_owner_restores_it_in_one_step_and_everything_is_back(
    client, org_a, owner, planner, active_checklist, action
):
    notification = events.record(recipient=planner, kind="assigned", organisation=org_a, mitigation=action)
    before = snapshot()
    client.force_login(owner)
    _delete(client, org_a, org_a.name)
    response = client.post("/app/orgs/northside/restore/")
    assert response["Location"] == "/app/orgs/northside/"
    page = client.get(response["Location"]).content.decode()
    assert "Northside Mental Health Service is restored: everything in it is back as it was." in page
    assert "Deleted organisations" not in client.get("/app/").content.decode()
    assert snapshot() == before
    org_a.refresh_from_db()
    assert org_a.deleted_at is None and org_a.deleted_by is None
    client.force_login(planner)
    assert client.get(f"/app/checklists/{active_checklist.pk}/").status_code == 200
    assert client.get(f"/app/notifications/{notification.pk}/open/").status_code == 302


def test_only_an_owner_may_restore_it_and_others_learn_nothing(client, org_a, owner, manager, viewer, outsider):
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    for person in (manager, viewer, outsider):
        client.force_login(person)
        assert client.post("/app/orgs/northside/restore/").status_code == 404
        assert "Northside" not in client.get("/app/").content.decode()
    org_a.refresh_from_db()
    assert org_a.is_deleted
    with pytest.raises(NotAllowed):
        organisations.restore_organisation(organisation=org_a, by=manager)


def test_restoring_an_organisation_that_is_not_deleted_changes_nothing(client, org_a, owner, viewer):
    client.force_login(viewer)
    assert client.post("/app/orgs/northside/restore/").status_code == 403
    client.force_login(owner)
    assert client.post("/app/orgs/northside/restore/").status_code == 400


# Purging ----------------------------------------------------------------------------------------------------


def _every_table():
    """{model: {row as a tuple of all its columns}} for every model of every installed app, history and
    through tables included."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        columns = [field.attname for field in model._meta.concrete_fields]
        tables[model] = {tuple(map(_hashable, row)) for row in model._base_manager.values_list(*columns)}
    return tables


def _hashable(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


def _stored_files():
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _words_of(row):
    return " ".join(str(value) for value in row if isinstance(value, str)).lower()


def _points_at(model, row, organisation_id):
    """Whether a row (of any table) names the organisation in a column that holds an organisation's id."""
    columns = [field for field in model._meta.concrete_fields]
    for field, value in zip(columns, row, strict=True):
        if field.is_relation and field.related_model is Organisation and value == organisation_id:
            return True
    return model is Organisation and row[0] == organisation_id


def _plan(organisation, by, word):
    """A little of everything an organisation holds, `word` in all it says; returns its checklist."""
    checklist = checklists.create_checklist_from_evidence(
        organisation=organisation, title=f"{word} plan", by=by, status="active"
    )
    item = checklist.items.challenges().select_related("finding__theme").first()
    checklists.decide_item(item=item, applies=True, by=by)
    suggestion = SuggestedMitigation.objects.filter(themes=item.finding.theme_id, is_published=True).first()
    adopted = mitigations.adopt_suggestion(item=item, suggestion=suggestion, by=by)
    action = mitigations.create_mitigation(item=item, changes={"action": f"{word} action", "owner": by}, by=by)
    mitigations.update_mitigation(
        mitigation_id=action.pk, changes={"action": f"{word} action, renamed"}, version=action.version, by=by
    )
    comment = comments.post_comment(body=f"{word} comment", by=by, organisation=organisation, mitigation=adopted)
    gone = comments.post_comment(body=f"{word} comment, deleted", by=by, organisation=organisation, item=item)
    comments.delete_comment(comment=gone, by=by)
    attachments.add_attachment(
        upload=SimpleUploadedFile(f"{word}.txt", f"{word} minutes".encode()),
        by=by,
        organisation=organisation,
        item=item,
    )
    source = own_evidence.create_own_source(
        organisation=organisation, name=f"{word} survey", title=f"{word} survey", year=2026
    )
    own_evidence.add_own_finding(
        source=source, heading=f"{word} heading", theme=f"{word} theme", kind="challenge", group="PSWs", summary=word
    )
    Reference.objects.create(source=source, number=1, citation=f"{word} et al. 2026")
    # A check-in asking the organisation's own statement, with a closed round answered and commented.
    own_statement = Statement.objects.create(
        theme=item.finding.theme, text=f"{word} statement", organisation=organisation
    )
    check_in = make_check_in(
        checklist, by=by, items=[item], emails=[f"{word}-psw@example.org"], comments_on=True, comments_read_by=word
    )
    make_closed_round(check_in, [{own_statement: Answer.AGREE}] * 5, comments=[f"{word} check-in comment"])
    organisations.invite(organisation=organisation, email=f"{word}@example.org", role="planner", by=by)
    token_for(by, organisation)
    events.record(recipient=by, kind="commented", organisation=organisation, comment=comment, mitigation=adopted)
    return checklist


@pytest.fixture
def network(owner, outsider):
    network = Network.objects.create(name="North East network", slug="north-east")
    network.coordinators.add(outsider)
    return network


def test_the_purge_leaves_no_row_in_any_table_and_no_file_of_the_organisation(
    org_a, org_b, owner, planner, outsider, network, django_capture_on_commit_callbacks
):
    # Organisation B's data, and everything that was there before A had any: all must stay as it is.
    _plan(org_b, outsider, "southern")
    b_membership = networks.invite_organisation(network=network, organisation=org_b, by=outsider)
    networks.answer_invitation(membership=b_membership, accept=True, by=outsider)
    before_a, files_before_a = _every_table(), _stored_files()
    assert files_before_a

    checklist = _plan(org_a, owner, MARK)
    membership = networks.invite_organisation(network=network, organisation=org_a, by=outsider)
    networks.answer_invitation(membership=membership, accept=True, by=owner)
    checklists.change_checklist(checklist=checklist, changes={"title": f"{MARK} plan, renamed"})
    with_a = _every_table()
    assert any(MARK in _words_of(row) for rows in with_a.values() for row in rows)
    assert len(_stored_files()) > len(files_before_a)

    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the purge commits
        purged = organisation_purge.purge_due(now=timezone.now() + timedelta(days=30, seconds=1))
    assert purged == ["Northside Mental Health Service"]

    after = _every_table()
    recomputed = {SharedLearningRun, ChallengeFigure, SuggestionFigure}  # by the purge, without A
    left = []
    for model, rows in after.items():
        for row in rows:
            if _points_at(model, row, org_a.pk) or MARK in _words_of(row):
                left.append((model._meta.label, row))
            elif row not in before_a[model] and model not in recomputed:
                left.append((model._meta.label, row))
    assert left == [], "rows of the purged organisation are left"
    # Everything else (B's data, the evidence, people, the network) is exactly as it was.
    for model, rows in before_a.items():
        if model in recomputed:
            continue
        kept = {row for row in rows if not _points_at(model, row, org_a.pk)}
        assert kept <= after[model], model._meta.label
    assert _stored_files() == files_before_a
    assert not Organisation.objects.filter(pk=org_a.pk).exists()
    assert Membership.objects.filter(user=owner).count() == 0  # the people stay, without it
    assert owner.__class__.objects.filter(pk__in=[owner.pk, planner.pk]).count() == 2


def test_only_organisations_deleted_30_days_ago_or_more_are_purged(org_a, org_b, owner, outsider):
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    organisations.delete_organisation(organisation=org_b, typed_name=org_b.name, by=outsider)
    Organisation.objects.filter(pk=org_b.pk).update(deleted_at=timezone.now() - timedelta(days=29, hours=23))
    Organisation.objects.filter(pk=org_a.pk).update(deleted_at=timezone.now() - timedelta(days=30))
    live = Organisation.objects.create(name="Still here", slug="still-here")
    call_command("purge_deleted_organisations", stdout=open(os.devnull, "w"))
    assert set(Organisation.objects.values_list("slug", flat=True)) >= {"southside", "still-here"}
    assert not Organisation.objects.filter(slug="northside").exists()
    assert Organisation.objects.get(pk=live.pk).deleted_at is None


def test_the_shared_figures_stop_counting_it_and_are_recomputed_without_it(org_a, org_b, owner, outsider):
    for organisation, by in ((org_a, owner), (org_b, outsider)):
        checklist = _plan(organisation, by, "shared")
        Organisation.objects.filter(pk=organisation.pk).update(share_anonymously=True)
        for item in checklist.items.challenges()[:3]:
            item.applies, item.decided_at = True, timezone.now()
            item.save()
    assert shared_learning.compute().organisations == 2
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    assert shared_learning.compute().organisations == 1  # not counted from the moment it is deleted
    organisation_purge.purge_due(now=timezone.now() + timedelta(days=31))
    run = SharedLearningRun.objects.order_by("-finished_at").first()
    assert run.organisations == 1
    assert Checklist.objects.filter(organisation_id=org_a.pk).count() == 0


def test_an_organisation_restored_after_it_was_listed_for_the_purge_is_kept(org_a, owner, active_checklist):
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    Organisation.objects.filter(pk=org_a.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    listed = Organisation.objects.due_for_purge().get()
    organisations.restore_organisation(organisation=org_a, by=owner)
    assert organisation_purge.purge_organisation(organisation=listed) is False
    assert Checklist.objects.filter(pk=active_checklist.pk).exists()


def test_a_coordinator_cannot_invite_a_deleted_organisation_by_its_short_name(client, org_a, owner, outsider, network):
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    client.force_login(outsider)
    response = client.post("/app/networks/north-east/invite/", {"organisation": "northside"})
    assert "Northside" not in response.content.decode()
    assert not network.memberships.exists()
    assert not Notification.objects.filter(recipient=owner).exists()


def test_a_purge_removes_a_file_no_row_names_in_its_folder(org_a, owner, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    stray = default_storage.save(f"attachments/{org_a.pk}/left-by-a-failed-upload", ContentFile(b"x"))
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    with django_capture_on_commit_callbacks(execute=True):
        organisation_purge.purge_due(now=timezone.now() + timedelta(days=31))
    assert not default_storage.exists(stray)


def test_notifications_about_it_are_purged(org_a, owner, planner):
    events.record(recipient=planner, kind="assigned", organisation=org_a)
    organisations.delete_organisation(organisation=org_a, typed_name=org_a.name, by=owner)
    organisation_purge.purge_due(now=timezone.now() + timedelta(days=31))
    assert not Notification.objects.filter(recipient=planner).exists()
