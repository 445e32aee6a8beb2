"""Deciding the challenges: review state, the step-through review, its summary and quick decisions."""

import re

import pytest
from django.utils import timezone

from peerplan.notify.context import unread_count
from peerplan.operations import checklists
from tests.factories import bulk_mitigations, make_checklist


def challenges(checklist):
    return list(checklist.items.challenges().select_related("finding__theme"))


def test_a_new_checklist_starts_with_every_challenge_not_reviewed_yet(client, planner, draft_checklist):
    client.force_login(planner)
    page = client.get(f"/app/checklists/{draft_checklist.pk}/").content.decode()
    assert "0 of 16 challenges decided" in page
    assert page.count(">Not reviewed yet</strong>") == 16
    assert not draft_checklist.items.decided().exists()


def test_saving_a_decision_on_the_item_page_marks_it_decided_by_whom_and_when(client, planner, draft_checklist):
    item = challenges(draft_checklist)[0]
    client.force_login(planner)
    client.post(f"/app/items/{item.pk}/", {"applies": "yes", "priority": "high", "note": ""})
    item.refresh_from_db()
    assert item.decided_by == planner and item.decided_at is not None
    page = client.get(f"/app/checklists/{draft_checklist.pk}/").content.decode()
    assert "1 of 16 challenges decided" in page
    summary = client.get(f"/app/checklists/{draft_checklist.pk}/review/summary/").content.decode()
    assert f"Pat, {timezone.localdate():%-d %B %Y}" in summary


def test_review_the_challenges_opens_the_first_undecided_one(client, planner, draft_checklist):
    first, second = challenges(draft_checklist)[:2]
    client.force_login(planner)
    assert client.get(f"/app/checklists/{draft_checklist.pk}/review/")["Location"] == f"/app/items/{first.pk}/review/"
    checklists.decide_item(item=first, applies=True, by=planner)
    assert client.get(f"/app/checklists/{draft_checklist.pk}/review/")["Location"] == f"/app/items/{second.pk}/review/"


def test_the_review_page_shows_the_evidence_and_an_unanswered_question(client, planner, draft_checklist):
    item = challenges(draft_checklist)[0]
    client.force_login(planner)
    page = client.get(f"/app/items/{item.pk}/review/").content.decode()
    assert "Challenge 1 of 16 · 0 decided" in page
    assert "What the evidence says" in page and "Reported by:" in page
    assert "Not reviewed yet." in page
    assert not re.search(r'<input[^>]*type="radio"[^>]*\bchecked\b', page)  # nothing chosen before a decision


def test_save_and_next_skips_decided_challenges_and_ends_on_the_summary(client, planner, draft_checklist):
    items = challenges(draft_checklist)
    for item in items[1:3]:
        checklists.decide_item(item=item, applies=True, by=planner)
    client.force_login(planner)
    response = client.post(f"/app/items/{items[0].pk}/review/", {"applies": "yes", "go": "next"})
    assert response["Location"] == f"/app/items/{items[3].pk}/review/"
    for item in items[3:-1]:
        client.post(f"/app/items/{item.pk}/review/", {"applies": "no", "not_applicable_reason": "Not here"})
    response = client.post(f"/app/items/{items[-1].pk}/review/", {"applies": "yes"})
    assert response["Location"] == f"/app/checklists/{draft_checklist.pk}/review/summary/"
    summary = client.get(response["Location"]).content.decode()
    assert "16 of 16 challenges decided" in summary
    assert summary.count('Does not apply</strong>: <span class="published-text">Not here</span>') == len(items) - 4
    assert summary.count('/review/?return=summary">Change') == 16


def test_does_not_apply_needs_a_reason_and_nothing_changes_without_one(client, planner, draft_checklist):
    item = challenges(draft_checklist)[0]
    client.force_login(planner)
    response = client.post(f"/app/items/{item.pk}/review/", {"applies": "no", "not_applicable_reason": "  "})
    assert response.status_code == 400
    assert "Say why this does not apply to your service." in response.content.decode()
    item.refresh_from_db()
    assert item.applies and not item.is_decided
    response = client.post(f"/app/items/{item.pk}/review/", {})
    assert "Choose whether this applies to your service." in response.content.decode()


def test_previous_and_back_to_checklist_save_what_was_chosen_and_move_without_it_when_nothing_was(
    client, planner, draft_checklist
):
    first, second, third = challenges(draft_checklist)[:3]
    client.force_login(planner)
    response = client.post(f"/app/items/{second.pk}/review/", {"go": "previous"})
    assert response["Location"] == f"/app/items/{first.pk}/review/"
    second.refresh_from_db()
    assert not second.is_decided
    response = client.post(
        f"/app/items/{third.pk}/review/", {"go": "previous", "applies": "no", "not_applicable_reason": "Done already"}
    )
    assert response["Location"] == f"/app/items/{second.pk}/review/"
    third.refresh_from_db()
    assert third.is_decided and third.not_applicable_reason == "Done already"
    response = client.post(f"/app/items/{first.pk}/review/", {"go": "checklist", "applies": "yes"})
    assert response["Location"] == f"/app/checklists/{draft_checklist.pk}/#item-{first.pk}"


def test_a_change_from_the_summary_returns_to_the_summary(client, planner, draft_checklist):
    item = challenges(draft_checklist)[4]
    client.force_login(planner)
    page = client.get(f"/app/items/{item.pk}/review/?return=summary").content.decode()
    assert "Save and return to the summary" in page
    response = client.post(f"/app/items/{item.pk}/review/", {"applies": "yes", "return": "summary"})
    assert response["Location"] == f"/app/checklists/{draft_checklist.pk}/review/summary/#item-{item.pk}"


def test_a_benefit_has_no_review_step(client, planner, draft_checklist):
    benefit = draft_checklist.items.filter(finding__valence="benefit").first()
    client.force_login(planner)
    assert client.get(f"/app/items/{benefit.pk}/review/")["Location"] == f"/app/items/{benefit.pk}/"


def test_a_viewer_reads_the_decisions_but_does_not_review(client, viewer, draft_checklist):
    client.force_login(viewer)
    assert client.get(f"/app/checklists/{draft_checklist.pk}/review/")["Location"] == (
        f"/app/checklists/{draft_checklist.pk}/review/summary/"
    )
    summary = client.get(f"/app/checklists/{draft_checklist.pk}/review/summary/").content.decode()
    assert "0 of 16 challenges decided" in summary and ">Change<" not in summary
    item = challenges(draft_checklist)[0]
    assert client.get(f"/app/items/{item.pk}/review/").status_code == 403
    assert client.post(f"/app/items/{item.pk}/decide/", {"applies": "yes"}).status_code == 403


# Quick decisions from the list -----------------------------------------------------------------------


def test_a_quick_decision_from_the_list_applies_or_not_with_a_reason(client, planner, draft_checklist):
    first, second = challenges(draft_checklist)[:2]
    client.force_login(planner)
    page = client.get(f"/app/checklists/{draft_checklist.pk}/").content.decode()
    assert f'action="/app/items/{first.pk}/decide/"' in page
    response = client.post(f"/app/items/{first.pk}/decide/", {"applies": "yes"})
    assert response["Location"] == f"/app/checklists/{draft_checklist.pk}/#item-{first.pk}"
    client.post(f"/app/items/{second.pk}/decide/", {"applies": "no", "not_applicable_reason": "Covered by HR"})
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.applies, first.decided_by) == (True, planner)
    assert (second.applies, second.not_applicable_reason, second.decided_by) == (False, "Covered by HR", planner)
    page = client.get(f"/app/checklists/{draft_checklist.pk}/").content.decode()
    assert "2 of 16 challenges decided" in page and "Does not apply</strong>: Covered by HR" in page
    assert f'action="/app/items/{first.pk}/decide/"' not in page  # decided: no quick buttons any more


def test_a_quick_does_not_apply_without_a_reason_is_refused_with_a_message(client, planner, draft_checklist):
    item = challenges(draft_checklist)[0]
    client.force_login(planner)
    response = client.post(f"/app/items/{item.pk}/decide/", {"applies": "no"}, follow=True)
    assert "Say why this does not apply to your service. Nothing was changed." in response.content.decode()
    item.refresh_from_db()
    assert item.applies and not item.is_decided


def test_the_first_decision_is_in_the_items_history(client, planner, draft_checklist):
    item = challenges(draft_checklist)[0]
    client.force_login(planner)
    client.post(f"/app/items/{item.pk}/decide/", {"applies": "yes"})
    page = client.get(f"/app/items/{item.pk}/").content.decode()
    assert "changed this challenge: first decision: applies" in page


# Query budgets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("copies", [1, 10])
def test_the_review_pages_run_a_fixed_number_of_queries(
    client, org_a, owner, planner, django_assert_num_queries, copies
):
    for n in range(copies):
        other = make_checklist(org_a, f"Other {n}", owner)
        bulk_mitigations((item, {"action": "A"}) for item in other.items.all()[: 2 * copies])
    checklist = checklists.create_checklist_from_evidence(organisation=org_a, title="Plan", by=owner)
    for item in challenges(checklist)[:copies]:
        checklists.decide_item(item=item, applies=False, reason="No", by=planner)
    item = challenges(checklist)[12]
    client.force_login(planner)
    unread_count(planner)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    # session, person with the bell's count (two cache reads), item (with finding, theme, category, its source,
    # checklist, organisation, membership), the challenges in order, the finding's references, perspectives, their references, the bell's unread
    # count.
    with django_assert_num_queries(7):
        assert client.get(f"/app/items/{item.pk}/review/").status_code == 200
    # session, person with the bell's count (two cache reads), checklist with membership, the challenges with who
    # decided them.
    with django_assert_num_queries(4):
        assert client.get(f"/app/checklists/{checklist.pk}/review/summary/").status_code == 200
    # session, person (two cache reads), item with membership, the challenges in order; then the save (a savepoint,
    # the update, its history row with its organisation read from the checklist, release) in the same request.
    with django_assert_num_queries(9):
        response = client.post(f"/app/items/{item.pk}/review/", {"applies": "yes"})
    assert response.status_code == 302


# The migrations: review state for existing items, and actions that address many items ---------------


def test_the_migrations_keep_decisions_and_actions_of_existing_checklists(transactional_db):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("peerplan", "0002_load_phases_and_suggested_mitigations")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User = old.get_model("auth", "User")
    Organisation, Checklist = old.get_model("peerplan", "Organisation"), old.get_model("peerplan", "Checklist")
    Item, HistoricalItem = old.get_model("peerplan", "Item"), old.get_model("peerplan", "HistoricalItem")
    OldMitigation = old.get_model("peerplan", "Mitigation")
    Finding = old.get_model("evidence", "Finding")

    pat = User.objects.create(username="pat", first_name="Pat")
    org = Organisation.objects.create(name="Old org", slug="old-org")
    checklist = Checklist.objects.create(organisation=org, title="Before review state")
    findings = list(Finding.objects.filter(valence="challenge").order_by("pk")[:5])
    items = [Item.objects.create(checklist=checklist, finding=finding, applies=True) for finding in findings]
    changed, not_applying, with_action, only_reviewed, untouched = items
    now = timezone.now()

    def record(item, kind, when, user=None, **fields):
        values = {"applies": True, "not_applicable_reason": "", "priority": "medium", "note": ""} | fields
        HistoricalItem.objects.create(
            id=item.pk,
            checklist_id=checklist.pk,
            finding_id=item.finding_id,
            history_type=kind,
            history_date=when,
            history_user=user,
            **values,
        )

    for item in items:
        record(item, "+", now)
    record(changed, "~", now, pat, priority="high")
    Item.objects.filter(pk=changed.pk).update(priority="high")
    Item.objects.filter(pk=not_applying.pk).update(applies=False, not_applicable_reason="Loaded without history")
    record(only_reviewed, "~", now)  # only evidence_reviewed_at changed: not a decision
    action = OldMitigation.objects.create(item=with_action, checklist=checklist, action="Do it", created_by=pat)

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from peerplan.models import Item as NewItem
    from peerplan.models import Mitigation as NewMitigation

    decided = {item.pk: item for item in NewItem.objects.filter(checklist_id=checklist.pk).decided()}
    assert set(decided) == {changed.pk, not_applying.pk, with_action.pk}
    assert decided[changed.pk].decided_by_id == pat.pk
    assert decided[not_applying.pk].decided_by_id is None
    assert decided[with_action.pk].decided_by_id == pat.pk
    assert [item.pk for item in NewMitigation.objects.get(pk=action.pk).items.all()] == [with_action.pk]
    assert not NewItem.objects.get(pk=untouched.pk).is_decided
    # Every existing history record now names its organisation (peerplan 0008, issue 12).
    assert set(NewItem.history.filter(checklist_id=checklist.pk).values_list("organisation_id", flat=True)) == {org.pk}


def test_a_chosen_outcome_sits_with_the_challenges_of_its_theme(client, planner, draft_checklist):
    benefit = next(
        b
        for b in draft_checklist.items.filter(finding__valence="benefit").select_related("finding__theme")
        if draft_checklist.items.challenges().filter(finding__theme=b.finding.theme).exists()
    )
    challenge = draft_checklist.items.challenges().filter(finding__theme=benefit.finding.theme).first()
    client.force_login(planner)
    client.post(f"/app/items/{benefit.pk}/outcome/", {"applies": "yes"})
    page = client.get(f"/app/checklists/{draft_checklist.pk}/").content.decode()
    start = page.index(f'id="item-{challenge.pk}"')
    row = page[start : page.index('<div class="card mb-2', start + 1)]
    assert "Outcome to realise" in row and f'href="/app/items/{benefit.pk}/"' in row
