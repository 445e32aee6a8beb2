"""Mitigations: the form and its plain errors, owners narrowed to the organisation, and two people
editing the same mitigation at once (the second is told, and nothing is lost)."""

from peerplan.models import Mitigation
from peerplan.operations import mitigations


def form_data(item, **overrides):
    data = {
        "action": "Benchmark PSW pay",
        "owner": "",
        "owner_name": "",
        "due_date": "2026-09-30",
        "status": "planned",
    }
    data.update({"phase": "", "notes": "", "version": "1", "challenges": [item.pk]})
    return {**data, **overrides}


def test_a_planner_adds_a_mitigation_owned_by_a_member(client, planner, manager, item):
    client.force_login(planner)
    response = client.post(
        f"/app/items/{item.pk}/mitigations/new/", form_data(item, owner=manager.pk, co_produced="on")
    )
    assert response["Location"] == f"/app/items/{item.pk}/"
    mitigation = Mitigation.objects.get()
    assert (mitigation.owner, str(mitigation.due_date), mitigation.checklist_id) == (
        manager,
        "2026-09-30",
        item.checklist_id,
    )
    assert mitigation.co_produced and mitigation.created_by == planner


def test_an_owner_outside_the_organisation_is_named(client, planner, item):
    client.force_login(planner)
    client.post(f"/app/items/{item.pk}/mitigations/new/", form_data(item, owner_name="HR partner, Sam Lee"))
    assert Mitigation.objects.get().owner_name == "HR partner, Sam Lee"


def test_an_owner_from_another_organisation_is_refused_beside_the_field(client, planner, outsider, item):
    client.force_login(planner)
    response = client.post(f"/app/items/{item.pk}/mitigations/new/", form_data(item, owner=outsider.pk))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose a member of this organisation." in page
    assert 'id="error_1_id_owner"' in page
    assert "otto@example.org" not in page  # outsiders are not even offered
    assert "Benchmark PSW pay" in page
    assert not Mitigation.objects.exists()


def test_a_due_date_that_is_not_a_date_is_explained_and_the_typing_is_kept(client, planner, item):
    client.force_login(planner)
    response = client.post(
        f"/app/items/{item.pk}/mitigations/new/",
        form_data(item, due_date="next tuesday", notes="Ask finance first"),
    )
    page = response.content.decode()
    assert "Enter a date like 31/12/2026." in page
    assert 'value="next tuesday"' in page and "Ask finance first" in page
    assert not Mitigation.objects.exists()


def test_an_empty_action_and_an_unknown_status_are_explained(client, planner, item):
    client.force_login(planner)
    page = client.post(
        f"/app/items/{item.pk}/mitigations/new/", form_data(item, action="", status="finished")
    ).content.decode()
    assert "Give the action a title: say what will be done." in page
    assert "Choose one of the statuses listed." in page
    assert not Mitigation.objects.exists()


def test_a_member_and_an_outside_owner_together_are_refused(client, planner, manager, item):
    client.force_login(planner)
    page = client.post(
        f"/app/items/{item.pk}/mitigations/new/", form_data(item, owner=manager.pk, owner_name="Someone")
    ).content.decode()
    assert "not both" in page
    assert not Mitigation.objects.exists()


def test_an_edit_saves_raises_the_version_and_records_who_changed_it(client, planner, owner, item):
    mitigation = mitigations.create_mitigation(item=item, changes={"action": "First"}, by=owner)
    client.force_login(planner)
    response = client.post(
        f"/app/mitigations/{mitigation.pk}/edit/", form_data(item, action="Second", status="in_progress")
    )
    assert response.status_code == 302
    mitigation.refresh_from_db()
    assert (mitigation.action, mitigation.status, mitigation.version) == ("Second", "in_progress", 2)
    latest = mitigation.history.first()
    assert latest.action == "Second" and latest.history_user == planner


def test_a_second_save_from_an_older_version_is_told_and_loses_nothing(client, planner, manager, item):
    mitigation = mitigations.create_mitigation(item=item, changes={"action": "Benchmark PSW pay"}, by=manager)
    # Both open the form at version 1; the manager saves first.
    client.force_login(manager)
    client.post(f"/app/mitigations/{mitigation.pk}/edit/", form_data(item, status="done", version="1"))
    client.force_login(planner)
    response = client.post(
        f"/app/mitigations/{mitigation.pk}/edit/",
        form_data(item, status="blocked", notes="Finance said no", version="1"),
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this action while you were editing" in page
    assert '<td class="published-text">Blocked</td><td class="published-text">Done</td>' in page.replace("\n", "")
    assert "Finance said no" in page  # what the planner typed is still in the form
    assert 'name="version" value="2"' in page
    mitigation.refresh_from_db()
    assert (mitigation.status, mitigation.notes, mitigation.version) == ("done", "", 2)
    # Keep mine: resubmitting carries the new version and is saved.
    client.post(
        f"/app/mitigations/{mitigation.pk}/edit/",
        form_data(item, status="blocked", notes="Finance said no", version="2"),
    )
    mitigation.refresh_from_db()
    assert (mitigation.status, mitigation.notes, mitigation.version) == ("blocked", "Finance said no", 3)
    assert [h.status for h in mitigation.history.order_by("history_date")] == ["planned", "done", "blocked"]


def test_a_viewer_cannot_add_or_edit(client, viewer, owner, item):
    mitigation = mitigations.create_mitigation(item=item, changes={"action": "First"}, by=owner)
    client.force_login(viewer)
    assert client.get(f"/app/items/{item.pk}/mitigations/new/").status_code == 403
    assert client.post(f"/app/mitigations/{mitigation.pk}/edit/", form_data(item, action="Mine")).status_code == 403
    mitigation.refresh_from_db()
    assert mitigation.action == "First"


def test_the_form_uses_date_inputs(client, planner, item):
    client.force_login(planner)
    assert 'type="date" name="due_date"' in client.get(f"/app/items/{item.pk}/mitigations/new/").content.decode()
