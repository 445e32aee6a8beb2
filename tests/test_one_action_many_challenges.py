"""One action (Mitigation) addressing many challenges of one checklist: adopting for N, ticking them in the
action's form, merging duplicates, and the lists, coverage, history, exports and reminders that follow."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from peerplan.models import ChecklistStatus, Mitigation, SuggestedMitigation
from peerplan.operations import checklists, mitigations
from tests.factories import item_for, make_checklist, make_mitigation


@pytest.fixture
def three(draft_checklist):
    return [item_for(draft_checklist, name) for name in ("Role ambiguity", "Workload", "Boundaries")]


@pytest.fixture
def shared(three, planner):
    """One action addressing three challenges."""
    return mitigations.create_mitigation(items=three, changes={"action": "Agree the PSW job plan"}, by=planner)


def test_one_action_shows_on_each_challenge_it_addresses_and_counts_for_each(
    client, viewer, draft_checklist, three, shared
):
    client.force_login(viewer)
    for item in three:
        page = client.get(f"/app/items/{item.pk}/").content.decode()
        assert "Agree the PSW job plan" in page
        assert "Addresses 3 challenges: Role ambiguity; Boundaries; Workload" in page
    assert draft_checklist.coverage().covered == 3
    listing = client.get("/app/orgs/northside/actions/").content.decode()
    assert listing.count("Agree the PSW job plan") == 1
    assert "Role ambiguity; Boundaries; Workload" in listing


def test_adopting_for_n_challenges_makes_one_action_and_opens_it(client, planner, draft_checklist):
    suggestion = SuggestedMitigation.objects.create(
        title="Joint induction", provenance="curator", is_published=True, source_note="Curator"
    )
    themes = [
        item.finding.theme
        for item in (item_for(draft_checklist, "Role ambiguity"), item_for(draft_checklist, "Workload"))
    ]
    suggestion.themes.set(themes)
    client.force_login(planner)
    response = client.post(f"/app/checklists/{draft_checklist.pk}/adopt/{suggestion.pk}/", follow=True)
    action = Mitigation.objects.get(suggestion=suggestion)
    # Its form, which comes back to the checklist the suggestion was adopted from once saved.
    assert response.redirect_chain[-1][0] == (
        f"/app/mitigations/{action.pk}/edit/?next=%2Fapp%2Fchecklists%2F{draft_checklist.pk}%2F"
    )
    page = response.content.decode()
    assert "is adopted as one action addressing 2 challenges" in page and "Give it an owner and a due date." in page
    assert sorted(item.finding.theme.name for item in action.items.all()) == ["Role ambiguity", "Workload"]


def edit_data(mitigation, challenges, **changes):
    return {
        "action": mitigation.action,
        "status": mitigation.status,
        "version": mitigation.version,
        "challenges": challenges,
        **changes,
    }


def test_an_action_is_linked_to_another_challenge_and_unlinked_in_its_form(
    client, planner, draft_checklist, three, shared
):
    extra = item_for(draft_checklist, "Treatment models")
    client.force_login(planner)
    client.post(f"/app/mitigations/{shared.pk}/edit/", edit_data(shared, [item.pk for item in [*three, extra]]))
    assert extra in shared.items.all()
    shared.refresh_from_db()
    client.post(f"/app/mitigations/{shared.pk}/edit/", edit_data(shared, [three[1].pk, three[2].pk, extra.pk]))
    assert set(shared.items.all()) == {three[1], three[2], extra}
    timeline = client.get(f"/app/mitigations/{shared.pk}/history/").content.decode()
    # Linking a challenge is a change, said as one (it read "saved this action without changes").
    assert "changed this action: now also addresses “Treatment models”" in timeline
    assert "changed this action: no longer addresses “Role ambiguity”" in timeline
    assert "without changes" not in timeline


def test_an_action_linked_to_nothing_is_refused(client, planner, draft_checklist):
    item = item_for(draft_checklist, "Workload")
    action = make_mitigation(item, "Only one")
    client.force_login(planner)
    response = client.post(f"/app/mitigations/{action.pk}/edit/", edit_data(action, [], action="Typed title"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Tick at least one challenge for this action to address." in page
    assert 'value="Typed title"' in page
    assert list(action.items.all()) == [item]


def test_challenges_of_another_checklist_or_organisation_cannot_be_ticked(
    client, planner, org_a, org_b, owner, outsider, draft_checklist, shared
):
    other_checklist = make_checklist(org_a, "Other plan", owner)
    theirs = make_checklist(org_b, "Their plan", outsider)
    client.force_login(planner)
    for foreign in (item_for(other_checklist, "Workload"), item_for(theirs, "Workload")):
        response = client.post(f"/app/mitigations/{shared.pk}/edit/", edit_data(shared, [foreign.pk]))
        assert response.status_code == 400
        assert "Tick only challenges listed here." in response.content.decode()
    assert shared.items.count() == 3


def test_duplicates_adopted_twice_are_offered_and_merged_into_one_keeping_every_history(
    client, planner, manager, draft_checklist
):
    suggestion = SuggestedMitigation.objects.filter(is_published=True).first()
    first = mitigations.adopt_suggestion(
        item=item_for(draft_checklist, "Role ambiguity"), suggestion=suggestion, by=planner
    )
    second = mitigations.adopt_suggestion(item=item_for(draft_checklist, "Workload"), suggestion=suggestion, by=planner)
    mitigations.update_mitigation(mitigation_id=second.pk, changes={"status": "in_progress"}, version=1)
    client.force_login(manager)
    page = client.get(f"/app/checklists/{draft_checklist.pk}/").content.decode()
    assert "Adopted more than once" in page and f"/app/mitigations/{first.pk}/#merge" in page
    # Merging is offered on the action's page, not in its form, where it would throw away what was typed.
    assert "Merge into one" in client.get(f"/app/mitigations/{first.pk}/").content.decode()
    assert "Merge into one" not in client.get(f"/app/mitigations/{first.pk}/edit/").content.decode()
    response = client.post(f"/app/mitigations/{first.pk}/merge/", {"others": [second.pk]}, follow=True)
    assert "1 action was merged into this one." in response.content.decode()
    assert not Mitigation.objects.filter(pk=second.pk).exists()
    assert {item.finding.theme.name for item in first.items.all()} == {"Role ambiguity", "Workload"}
    timeline = client.get(f"/app/mitigations/{first.pk}/history/").content.decode()
    assert "changed this action: merged 1 duplicate action into this one" in timeline
    assert "changed status from Planned to In progress" in timeline  # the merged action's own life
    assert "Adopted more than once" not in client.get(f"/app/checklists/{draft_checklist.pk}/").content.decode()


def test_actions_of_another_organisation_cannot_be_merged_in(client, planner, org_b, outsider, draft_checklist, shared):
    theirs = make_checklist(org_b, "Their plan", outsider)
    foreign = make_mitigation(item_for(theirs, "Workload"), "Theirs")
    client.force_login(planner)
    assert client.post(f"/app/mitigations/{shared.pk}/merge/", {"others": [foreign.pk]}).status_code == 404
    assert Mitigation.objects.filter(pk=foreign.pk).exists()


def test_the_export_has_one_row_per_action_naming_every_challenge(client, manager, draft_checklist, shared):
    client.force_login(manager)
    response = client.get(f"/app/checklists/{draft_checklist.pk}/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    mine = [row for row in rows if "Agree the PSW job plan" in row]
    assert len(mine) == 1
    assert mine[0][1] == "Role ambiguity; Boundaries; Workload"


def test_the_report_and_reminders_name_every_challenge(client, manager, planner, draft_checklist, shared):
    # Late actions are reported and reminded of only once their checklist is active (the draft rule).
    checklists.set_checklist_status(checklist=draft_checklist, status=ChecklistStatus.ACTIVE)
    mitigations.update_mitigation(
        mitigation_id=shared.pk,
        changes={"owner": planner, "due_date": timezone.localdate() - timedelta(days=1)},
        version=1,
    )
    client.force_login(manager)
    report = client.get(f"/app/checklists/{draft_checklist.pk}/report/").content.decode()
    assert "Also addresses: Boundaries; Workload" in report
    call_command("send_reminders", stdout=io.StringIO())
    (email,) = [m for m in mail.outbox if planner.email in m.to]
    assert "Role ambiguity; Boundaries; Workload" in email.body
