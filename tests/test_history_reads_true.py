"""History that reads true (issue 14): no phantom changes, people's words, which challenge an action
is for, and a link from each entry to what it is about."""

from peerplan.models import Mitigation, SuggestedMitigation
from peerplan.pages import history
from tests.factories import item_for, make_mitigation


def edit_form(mitigation, **changes):
    data = {
        "action": mitigation.action,
        "owner": mitigation.owner_id or "",
        "owner_name": mitigation.owner_name,
        "due_date": mitigation.due_date.isoformat() if mitigation.due_date else "",
        "status": mitigation.status,
        "phase": mitigation.phase_id or "",
        "notes": mitigation.notes,
        "version": mitigation.version,
        "challenges": [item.pk for item in mitigation.items.all()],
    }
    return {**data, **changes}


def test_saving_an_adopted_action_untouched_logs_no_change_though_the_browser_sends_crlf(
    client, active_checklist, planner
):
    suggestion = SuggestedMitigation.objects.filter(is_published=True).first()
    text = "Set out the PSW role.\nSet out who supervises it.\n\nReview it after six months."
    action = make_mitigation(item_for(active_checklist, "Role ambiguity"), text)
    action.suggestion = suggestion
    action.save()
    client.force_login(planner)
    # What a browser sends for a textarea: CRLF line endings.
    response = client.post(f"/app/mitigations/{action.pk}/edit/", edit_form(action, action=text.replace("\n", "\r\n")))
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.action == text  # normalised once, as saved
    assert action.version == 1  # nothing changed, so nothing was saved: an open form elsewhere stays good
    sentences = [entry.sentence for entry in history.mitigation_timeline(action)]
    assert not any("changed title" in sentence for sentence in sentences), sentences
    page = client.get(f"/app/checklists/{active_checklist.pk}/history/").content.decode()
    assert "changed title" not in page


def test_an_old_record_with_crlf_against_lf_is_no_change(active_checklist, manager):
    action = make_mitigation(item_for(active_checklist, "Workload"), "Cap caseloads\r\nat twelve")
    action.action = "Cap caseloads\nat twelve"
    action._history_user = manager
    action.save()
    assert [entry.kind for entry in history.mitigation_timeline(action)] == ["created"]


def test_a_decision_reads_in_people_s_words(active_checklist, manager):
    item = item_for(active_checklist, "Isolation and validation")
    item.applies = False
    item.not_applicable_reason = "Every PSW works in a team of peers"
    item.rereview_on = "2027-03-01"
    item._history_user = manager
    item.save()
    sentence = history.checklist_timeline(active_checklist)[0].sentence
    assert sentence == (
        "Maya updated the challenge “Isolation and validation”: changed decision from applies to does not "
        "apply, set reason it does not apply to “Every PSW works in a team of peers” and set re-review date "
        "to 1 March 2027"
    )
    assert "the item" not in sentence and "rereview" not in sentence and ": challenge" not in sentence


def test_an_action_entry_says_which_challenges_it_is_for_and_links_to_it(client, active_checklist, viewer, planner):
    action = make_mitigation(item_for(active_checklist, "Workload"), "Cap caseloads", owner=planner)
    action.items.add(item_for(active_checklist, "Boundaries"))
    action.status = "done"
    action._history_user = planner
    action.save()
    newest = history.checklist_timeline(active_checklist)[0]
    assert newest.sentence == (
        "Pat updated the action “Cap caseloads” (for Workload; Boundaries): changed status from Planned to Done"
    ) or newest.sentence == (
        "Pat updated the action “Cap caseloads” (for Boundaries; Workload): changed status from Planned to Done"
    )
    client.force_login(viewer)
    page = client.get(f"/app/checklists/{active_checklist.pk}/history/").content.decode()
    assert f'<a class="small" href="/app/mitigations/{action.pk}/">Open the action</a>' in page


def test_a_challenge_entry_links_to_the_challenge_and_a_deleted_action_to_nothing(
    client, active_checklist, manager, viewer
):
    item = item_for(active_checklist, "Workload")
    item.priority = "high"
    item._history_user = manager
    item.save()
    gone = make_mitigation(item, "Short-lived action")
    gone_pk = gone.pk
    gone.delete()
    client.force_login(viewer)
    page = client.get(f"/app/checklists/{active_checklist.pk}/history/").content.decode()
    assert f'<a class="small" href="/app/items/{item.pk}/">Open the challenge</a>' in page
    assert "deleted the action “Short-lived action”" in page
    assert f"/app/mitigations/{gone_pk}/" not in page
    assert not Mitigation.objects.filter(pk=gone_pk).exists()
