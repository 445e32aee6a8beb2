"""The action's page is its home (what it is, the challenges it addresses, status, owner and due date in
place, comments, files, latest changes), its form picks the challenges, and every save returns to where the
person came from. Title and details: adoption writes them apart, and migration 0021 splits what it joined."""

import importlib
from datetime import date

import pytest
from django.apps import apps as global_apps
from django.core.files.uploadedfile import SimpleUploadedFile

from peerplan.models import Mitigation, SuggestedMitigation
from peerplan.notify.context import unread_count
from peerplan.operations import attachments, checklists, comments, mitigations
from tests.factories import item_for, make_mitigation

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
THREE = ("Role ambiguity", "Workload", "Boundaries")


def form_data(mitigation, challenges, **changes):
    """The action's form as a browser sends it, unchanged but for `changes`."""
    data = {
        "action": mitigation.action,
        "details": mitigation.details,
        "owner": mitigation.owner_id or "",
        "owner_name": mitigation.owner_name,
        "due_date": mitigation.due_date.isoformat() if mitigation.due_date else "",
        "status": mitigation.status,
        "phase": mitigation.phase_id or "",
        "notes": mitigation.notes,
        "version": mitigation.version,
        "challenges": [item.pk for item in challenges],
    }
    return {**data, **changes}


def new_action(**changes):
    data = {"action": "Agree the PSW job plan", "status": "planned", "version": "1"}
    return {**data, **changes}


# The page ------------------------------------------------------------------------------------------------


def test_the_action_page_shows_what_it_is_and_where_it_stands(client, planner, active_checklist):
    role, workload = item_for(active_checklist, "Role ambiguity"), item_for(active_checklist, "Workload")
    action = mitigations.create_mitigation(
        items=[role, workload],
        changes={"action": "Agree the PSW job plan", "details": "With HR.\n\nReview after 3 months."},
        by=planner,
    )
    comments.post_comment(
        body="Draft is ready", by=planner, organisation=active_checklist.organisation, mitigation=action
    )
    client.force_login(planner)
    page = client.get(f"/app/mitigations/{action.pk}/").content.decode()
    assert '<h1 class="published-text action-title">Agree the PSW job plan</h1>' in page
    assert "With HR.\n\nReview after 3 months." in page
    # The challenges it addresses open their items; status, owner and due date change in place.
    assert f'<a href="/app/items/{role.pk}/">Role ambiguity</a>' in page
    assert f'<a href="/app/items/{workload.pk}/">Workload</a>' in page
    assert f'action="/app/mitigations/{action.pk}/quick/"' in page
    assert f'name="next" value="/app/mitigations/{action.pk}/"' in page
    assert "Draft is ready" in page and 'id="attachments"' in page
    assert "Latest changes" in page and f'href="/app/mitigations/{action.pk}/history/"' in page
    assert f'href="/app/mitigations/{action.pk}/edit/"' in page


def test_a_viewer_sees_the_action_without_controls(client, viewer, action):
    client.force_login(viewer)
    page = client.get(f"/app/mitigations/{action.pk}/").content.decode()
    assert "Write the PSW job description" in page
    assert "/quick/" not in page and "/edit/" not in page


def test_a_status_changed_in_place_without_javascript_returns_to_the_action_page(client, planner, action):
    client.force_login(planner)
    response = client.post(
        f"/app/mitigations/{action.pk}/quick/",
        {"status": "done", "owner": planner.pk, "due_date": "", "version": 1, "next": f"/app/mitigations/{action.pk}/"},
    )
    assert response["Location"] == f"/app/mitigations/{action.pk}/"
    action.refresh_from_db()
    assert action.status == "done"


@pytest.mark.parametrize("size", [1, 10])
def test_the_action_page_runs_a_fixed_number_of_queries(
    client, org_a, planner, manager, active_checklist, size, django_assert_num_queries
):
    challenges = list(active_checklist.items.applicable_challenges()[: 2 * size])
    action = mitigations.create_mitigation(
        items=challenges, changes={"action": "Agree the PSW job plan", "owner": planner}, by=planner
    )
    for n in range(2 * size):
        comments.post_comment(body=f"Note {n} for @Maya", by=planner, organisation=org_a, mitigation=action)
        mitigations.update_mitigation(
            mitigation_id=action.pk, changes={"notes": f"Note {n}"}, version=action.version + n, by=planner
        )
    for n in range(size):
        attachments.add_attachment(
            upload=SimpleUploadedFile(f"plan-{n}.pdf", PDF), by=planner, organisation=org_a, mitigation=action
        )
    client.force_login(planner)
    unread_count(planner)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    # session, person with the bell's count (two cache reads), action (with checklist, organisation, owner, suggestion, phase), the challenges it
    # addresses (with finding, theme, category), the person's membership with the action; the members (read once: the in-place
    # edit's, whose membership is the loader's, and those one can mention); the latest changes (the action's history, what was merged into it, the owners they
    # name); comments with authors, their mentions; attachments; removed attachments
    with django_assert_num_queries(12):
        response = client.get(f"/app/mitigations/{action.pk}/")
    page = response.content.decode()
    assert page.count('class="comment ') == 2 * size
    assert page.count("/download/") + page.count("/attachments/") >= size
    assert all(f'href="/app/items/{item.pk}/"' in page for item in challenges)


# Every place that names an action outside the lists opens its page ---------------------------------------


def test_history_pages_and_the_phases_page_open_the_action_page(client, planner, active_checklist, action):
    client.force_login(planner)
    history_page = client.get(f"/app/mitigations/{action.pk}/history/").content.decode()
    assert f'href="/app/mitigations/{action.pk}/"' in history_page
    assert f"/app/mitigations/{action.pk}/edit/" not in history_page
    phases = client.get(f"/app/checklists/{active_checklist.pk}/phases/").content.decode()
    assert f'href="/app/mitigations/{action.pk}/"' in phases


# The form: challenges ticked in it ----------------------------------------------------------------------


def test_the_form_offers_only_challenges_that_apply_and_keeps_a_linked_one_marked(
    client, planner, owner, active_checklist
):
    role, workload = item_for(active_checklist, "Role ambiguity"), item_for(active_checklist, "Workload")
    action = make_mitigation(role, "Agree the PSW job plan")
    action.items.add(workload)
    boundaries = item_for(active_checklist, "Boundaries")
    for item in (workload, boundaries):
        checklists.decide_item(item=item, applies=False, reason="Not in this service", by=owner)
    client.force_login(planner)
    form = client.get(f"/app/mitigations/{action.pk}/edit/").content.decode()
    assert f'id="challenge-{role.pk}" checked' in form
    # Marked "does not apply" after it was linked: shown, ticked and marked, so a save never drops it unseen.
    assert f'id="challenge-{workload.pk}" checked' in form and "Marked “does not apply”" in form
    assert f'id="challenge-{boundaries.pk}"' not in form  # never offered
    new = client.get(f"/app/items/{role.pk}/mitigations/new/").content.decode()
    assert f'id="challenge-{workload.pk}"' not in new and f'id="challenge-{role.pk}" checked' in new


def test_a_challenge_not_offered_cannot_be_ticked_by_a_forged_post(client, planner, owner, active_checklist):
    role, boundaries = item_for(active_checklist, "Role ambiguity"), item_for(active_checklist, "Boundaries")
    checklists.decide_item(item=boundaries, applies=False, reason="Not here", by=owner)
    client.force_login(planner)
    response = client.post(f"/app/items/{role.pk}/mitigations/new/", new_action(challenges=[role.pk, boundaries.pk]))
    assert response.status_code == 400 and "Tick only challenges listed here." in response.content.decode()
    assert not Mitigation.objects.exists()


def test_an_action_for_three_challenges_is_made_in_one_post(client, planner, active_checklist):
    three = [item_for(active_checklist, name) for name in THREE]
    client.force_login(planner)
    response = client.post(
        f"/app/items/{three[0].pk}/mitigations/new/",
        new_action(details="With HR", challenges=[item.pk for item in three]),
    )
    assert response.status_code == 302 and response["Location"] == f"/app/items/{three[0].pk}/"
    action = Mitigation.objects.get()
    assert set(action.items.all()) == set(three)
    assert (action.action, action.details) == ("Agree the PSW job plan", "With HR")
    assert active_checklist.coverage().covered == 3


def test_none_ticked_is_refused_and_everything_typed_is_kept(client, planner, active_checklist):
    role = item_for(active_checklist, "Role ambiguity")
    client.force_login(planner)
    response = client.post(
        f"/app/items/{role.pk}/mitigations/new/",
        new_action(details="Talk to HR first, then the team", notes="Budget agreed"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Tick at least one challenge for this action to address." in page
    assert 'value="Agree the PSW job plan"' in page
    assert "Talk to HR first, then the team" in page and "Budget agreed" in page
    assert not Mitigation.objects.exists()


def test_an_edit_changes_the_challenges_and_the_text_together_and_records_both(client, planner, active_checklist):
    role, workload, boundaries = [item_for(active_checklist, name) for name in THREE]
    action = make_mitigation(role, "Agree the PSW job plan")
    client.force_login(planner)
    response = client.post(
        f"/app/mitigations/{action.pk}/edit/",
        form_data(action, [workload, boundaries], details="Agreed with HR"),
    )
    assert response["Location"] == f"/app/mitigations/{action.pk}/"  # back to its page
    action.refresh_from_db()
    assert set(action.items.all()) == {workload, boundaries}
    assert (action.details, action.version) == ("Agreed with HR", 2)
    timeline = client.get(f"/app/mitigations/{action.pk}/history/").content.decode()
    assert "set details to “Agreed with HR”" in timeline
    assert "now also addresses" in timeline and "no longer addresses “Role ambiguity”" in timeline


def test_a_change_of_challenges_alone_moves_the_version_so_an_older_form_is_refused(
    client, planner, manager, active_checklist
):
    role, workload, boundaries = [item_for(active_checklist, name) for name in THREE]
    action = make_mitigation(role, "Agree the PSW job plan")
    client.force_login(manager)
    client.post(f"/app/mitigations/{action.pk}/edit/", form_data(action, [role, workload]))
    action.refresh_from_db()
    assert action.version == 2
    # The planner's form was opened at version 1 and ticks Boundaries instead.
    client.force_login(planner)
    stale = form_data(action, [role, boundaries], version=1, notes="Ask the team")
    response = client.post(f"/app/mitigations/{action.pk}/edit/", stale)
    assert response.status_code == 409
    page = response.content.decode().replace("\n", "")
    assert "Someone else changed this action while you were editing" in page
    assert '<th scope="row">Challenges</th>' in page
    assert f'id="challenge-{boundaries.pk}" checked' in page and "Ask the team" in page
    assert 'name="version" value="2"' in page
    assert set(action.items.all()) == {role, workload}


def test_a_new_title_is_short_and_an_old_long_one_is_kept(client, planner, active_checklist):
    role = item_for(active_checklist, "Role ambiguity")
    client.force_login(planner)
    response = client.post(f"/app/items/{role.pk}/mitigations/new/", new_action(action="x" * 201, challenges=[role.pk]))
    assert response.status_code == 400
    assert "Keep the title to at most 200 characters (it has 201): put the rest in the details." in (
        response.content.decode()
    )
    old = make_mitigation(role, "y" * 500)
    response = client.post(f"/app/mitigations/{old.pk}/edit/", form_data(old, [role], status="done"))
    assert response.status_code == 302
    old.refresh_from_db()
    assert (old.action, old.status) == ("y" * 500, "done")


# Where a save lands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/app/", "javascript:alert(1)", "app/relative/"],
)
def test_a_next_off_this_site_is_ignored(client, planner, action, target):
    client.force_login(planner)
    response = client.post(f"/app/mitigations/{action.pk}/edit/", form_data(action, action.items.all(), next=target))
    assert response["Location"] == f"/app/mitigations/{action.pk}/"
    form = client.get(f"/app/mitigations/{action.pk}/edit/", {"next": target}).content.decode()
    assert "evil.example" not in form and "javascript:" not in form


def test_a_next_on_this_site_is_where_each_save_lands(client, planner, active_checklist, action):
    listing = "/app/orgs/northside/actions/?status=planned&q=job"
    client.force_login(planner)
    edit = client.post(f"/app/mitigations/{action.pk}/edit/", form_data(action, action.items.all(), next=listing))
    assert edit["Location"] == listing
    item = action.items.get()
    made = client.post(f"/app/items/{item.pk}/mitigations/new/", new_action(challenges=[item.pk], next=listing))
    assert made["Location"] == listing


def test_an_adopted_action_is_saved_back_to_the_page_it_was_adopted_from(client, planner, active_checklist):
    role = item_for(active_checklist, "Role ambiguity")
    suggestion = SuggestedMitigation.objects.filter(is_published=True, themes=role.finding.theme_id).first()
    client.force_login(planner)
    checklist_page = f"/app/checklists/{active_checklist.pk}/"
    adopted = client.post(f"/app/items/{role.pk}/adopt/{suggestion.pk}/", {"next": checklist_page})
    action = Mitigation.objects.get()
    form = client.get(adopted["Location"]).content.decode()
    assert f'name="next" value="{checklist_page}"' in form
    saved = client.post(adopted["Location"], form_data(action, [role], owner=planner.pk, next=checklist_page))
    assert saved["Location"] == checklist_page


# Title and details --------------------------------------------------------------------------------------


def test_adoption_writes_the_title_and_details_apart(planner, active_checklist):
    role = item_for(active_checklist, "Role ambiguity")
    suggestion = SuggestedMitigation.objects.filter(is_published=True, themes=role.finding.theme_id).exclude(
        description=""
    )[0]
    action = mitigations.adopt_suggestion(item=role, suggestion=suggestion, by=planner)
    assert (action.action, action.details) == (suggestion.title, suggestion.description)


def test_the_migration_splits_what_adoption_joined_and_leaves_the_rest(planner, active_checklist):
    split = importlib.import_module("peerplan.migrations.0021_action_title_and_details")
    role = item_for(active_checklist, "Role ambiguity")
    suggestion = SuggestedMitigation.objects.filter(is_published=True).exclude(description="")[0]
    joined = make_mitigation(role, f"{suggestion.title}\n\n{suggestion.description}", suggestion=suggestion)
    crlf = make_mitigation(role, f"{suggestion.title}\r\n\r\nOur own words", suggestion=suggestion)
    title_only = make_mitigation(role, suggestion.title, suggestion=suggestion)
    rewritten = make_mitigation(role, f"Our version of it\n\n{suggestion.description}", suggestion=suggestion)
    run_on = make_mitigation(role, f"{suggestion.title}s for everyone", suggestion=suggestion)
    own = make_mitigation(role, f"{suggestion.title}\n\nNot adopted, typed by hand")
    split.split_adopted(global_apps, None)
    rows = {m.pk: (m.action, m.details) for m in Mitigation.objects.all()}
    assert rows[joined.pk] == (suggestion.title, suggestion.description)
    assert rows[crlf.pk] == (suggestion.title, "Our own words")
    assert rows[title_only.pk] == (suggestion.title, "")
    assert rows[rewritten.pk] == (f"Our version of it\n\n{suggestion.description}", "")
    assert rows[run_on.pk] == (f"{suggestion.title}s for everyone", "")
    assert rows[own.pk] == (f"{suggestion.title}\n\nNot adopted, typed by hand", "")
    # Backwards: one field again, joined as adoption joined it.
    split.join_details(global_apps, None)
    joined.refresh_from_db()
    assert joined.action == f"{suggestion.title}\n\n{suggestion.description}"


def test_the_details_are_in_the_checklist_export(client, manager, active_checklist):
    role = item_for(active_checklist, "Role ambiguity")
    mitigations.create_mitigation(
        items=[role],
        changes={"action": "Agree the PSW job plan", "details": "With HR", "due_date": date(2030, 1, 1)},
        by=manager,
    )
    client.force_login(manager)
    response = client.get(f"/app/checklists/{active_checklist.pk}/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Action,Details,Owner" in text and "Agree the PSW job plan,With HR," in text


def test_the_action_list_search_finds_words_in_the_details(client, planner, active_checklist):
    role = item_for(active_checklist, "Role ambiguity")
    mitigations.create_mitigation(
        items=[role], changes={"action": "Agree the PSW job plan", "details": "Ask the bank staff office"}, by=planner
    )
    client.force_login(planner)
    assert "Agree the PSW job plan" in client.get("/app/orgs/northside/actions/?q=bank+office").content.decode()
    assert "Agree the PSW job plan" not in client.get("/app/orgs/northside/actions/?q=payroll").content.decode()
