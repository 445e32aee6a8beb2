"""Status, owner and due date changed in place (htmx, and a plain form post without JavaScript), many
actions at once, and the action list's search and filters."""

import html
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from peerplan.models import Mitigation, organisation_generations
from peerplan.operations import mitigations
from tests.factories import item_for, make_checklist, make_mitigation

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def caseload_action(active_checklist):
    """An action nobody owns yet, with no due date, that a search for "caseloads" finds."""
    return make_mitigation(item_for(active_checklist, "Workload"), "Cap caseloads at twelve")


def post_quick(client, action, version=None, headers=HTMX, **fields):
    data = {"status": action.status, "owner": "", "due_date": "", "version": version or action.version} | fields
    return client.post(f"/app/mitigations/{action.pk}/quick/", data, **headers)


def test_an_in_place_change_with_htmx_answers_with_the_updated_block(client, planner, caseload_action):
    client.force_login(planner)
    response = post_quick(client, caseload_action, status="done", owner=str(planner.pk), due_date="2030-01-31")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div class="action-props" id="quick-{caseload_action.pk}" data-version="2">')
    assert "Saved." in html and '<option value="done" selected>' in html
    # The status control is the tag: coloured as what is chosen.
    assert 'class="form-select form-select-sm prop prop-status prop-status-done"' in html
    caseload_action.refresh_from_db()
    assert (
        caseload_action.status,
        caseload_action.owner,
        caseload_action.due_date.isoformat(),
        caseload_action.version,
    ) == (
        "done",
        planner,
        "2030-01-31",
        2,
    )
    assert caseload_action.history.first().history_user == planner


def test_without_javascript_the_same_post_returns_to_the_list_with_its_filters(client, planner, caseload_action):
    client.force_login(planner)
    back = "/app/orgs/northside/actions/?status=planned&q=caseloads"
    response = post_quick(client, caseload_action, headers={}, status="in_progress", next=back)
    assert response.status_code == 302 and response["Location"] == back
    caseload_action.refresh_from_db()
    assert caseload_action.status == "in_progress"


def test_a_stale_in_place_change_gets_the_conflict_message_and_keeps_the_choice(
    client, planner, manager, caseload_action
):
    mitigations.update_mitigation(mitigation_id=caseload_action.pk, changes={"status": "blocked"}, version=1)
    client.force_login(planner)
    response = post_quick(client, caseload_action, version=1, status="done")
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this action since you opened the page. Saved now: Blocked" in html
    assert '<option value="done" selected>' in html and 'name="version" value="2"' in html
    caseload_action.refresh_from_db()
    assert caseload_action.status == "blocked"
    # Saving again (the block now carries the new version) applies their choice knowingly.
    assert post_quick(client, caseload_action, version=2, status="done").status_code == 200
    caseload_action.refresh_from_db()
    assert caseload_action.status == "done"


def test_a_stale_change_without_javascript_gets_a_page_saying_so(client, planner, caseload_action):
    mitigations.update_mitigation(mitigation_id=caseload_action.pk, changes={"status": "blocked"}, version=1)
    client.force_login(planner)
    response = post_quick(client, caseload_action, headers={}, version=1, status="done")
    assert response.status_code == 409
    assert "<h1>Someone else changed this action</h1>" in response.content.decode()


def test_bad_in_place_input_is_refused_with_a_message_and_nothing_changes(client, planner, outsider, caseload_action):
    client.force_login(planner)
    response = post_quick(client, caseload_action, status="finished", due_date="31/02/2030", owner=str(outsider.pk))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose one of the statuses listed. Nothing was changed." in html
    assert "Choose a member of this organisation as owner." in html
    caseload_action.refresh_from_db()
    assert (caseload_action.status, caseload_action.owner, caseload_action.version) == ("planned", None, 1)


def test_a_viewer_sees_the_values_without_controls(client, viewer, caseload_action):
    client.force_login(viewer)
    page = client.get("/app/orgs/northside/actions/").content.decode()
    assert (
        f'id="quick-{caseload_action.pk}-status"' not in page
        and '<span class="status-tag status-tag-planned">Planned</span>' in page
        and '<span class="prop-text">No owner</span>' in page
        and '<span class="prop-text">No due date</span>' in page
        and f"/app/mitigations/{caseload_action.pk}/change/" not in page
    )
    assert post_quick(client, caseload_action, status="done").status_code == 403


# Many at once ---------------------------------------------------------------------------------------


@pytest.fixture
def five(active_checklist):
    items = list(active_checklist.items.challenges()[:5])
    return [make_mitigation(item, f"Action {n}") for n, item in enumerate(items)]


def ids(actions):
    return [f"{a.pk}:{a.version}" for a in actions]


def test_a_bulk_change_sets_the_status_of_five_actions_and_says_what_changed(client, planner, five):
    client.force_login(planner)
    response = client.post(
        "/app/orgs/northside/actions/bulk/", {"ids": ids(five), "status": "done", "owner": ""}, follow=True
    )
    html = response.content.decode()
    assert "Status set to done on 5 actions:" in html
    for action in five:
        action.refresh_from_db()
        assert action.status == "done"
        assert action.history.first().history_user == planner


def test_a_bulk_change_of_owner_and_due_date_and_a_stale_action_left_alone(client, planner, manager, five):
    mitigations.update_mitigation(mitigation_id=five[0].pk, changes={"notes": "Changed meanwhile"}, version=1)
    client.force_login(planner)
    due = timezone.localdate() + timedelta(days=30)
    response = client.post(
        "/app/orgs/northside/actions/bulk/",
        {"ids": ids(five), "status": "", "owner": str(manager.pk), "due_date": due.isoformat()},
        follow=True,
    )
    html = response.content.decode()
    assert "on 4 actions" in html and "Not changed, because someone changed it after you loaded the list" in html
    five[0].refresh_from_db()
    assert five[0].owner is None
    assert all(Mitigation.objects.get(pk=a.pk).owner == manager for a in five[1:])


def test_bulk_ids_of_another_organisation_are_refused_and_nothing_changes(client, planner, org_b, outsider, five):
    theirs = make_mitigation(item_for(make_checklist(org_b, "Their plan", outsider), "Workload"), "Theirs")
    client.force_login(planner)
    response = client.post("/app/orgs/northside/actions/bulk/", {"ids": ids(five) + ids([theirs]), "status": "done"})
    assert response.status_code == 404
    assert not Mitigation.objects.filter(status="done").exists()


def test_a_bulk_change_with_nothing_chosen_or_nothing_selected_says_so(client, planner, five):
    client.force_login(planner)
    html = client.post("/app/orgs/northside/actions/bulk/", {"ids": ids(five)}, follow=True).content.decode()
    assert "Choose what to set: a status, an owner or a due date. Nothing was changed." in html
    html = client.post("/app/orgs/northside/actions/bulk/", {"status": "done"}, follow=True).content.decode()
    assert "Select at least one action. Nothing was changed." in html


def test_a_viewer_cannot_bulk_change(client, viewer, five):
    client.force_login(viewer)
    assert client.post("/app/orgs/northside/actions/bulk/", {"ids": ids(five), "status": "done"}).status_code == 403
    assert not Mitigation.objects.filter(status="done").exists()


# Search and filters ----------------------------------------------------------------------------------


def test_the_action_list_searches_actions_and_notes_and_finds_those_without_owner_or_date(
    client, manager, planner, active_checklist
):
    workload = item_for(active_checklist, "Workload")
    make_mitigation(workload, "Cap caseloads at twelve", owner=planner, due_date=timezone.localdate())
    make_mitigation(workload, "Weekly supervision", notes="Ask about caseloads too")
    make_mitigation(workload, "Name an outside owner", owner_name="HR partner")
    client.force_login(manager)

    def found(query):
        html = client.get(f"/app/orgs/northside/actions/?{query}").content.decode()
        return {t for t in ("Cap caseloads", "Weekly supervision", "Name an outside owner") if t in html}

    assert found("q=caseloads") == {"Cap caseloads", "Weekly supervision"}
    assert found("q=CASELOADS+twelve") == {"Cap caseloads"}
    assert found("no_owner=on") == {"Weekly supervision"}
    assert found("no_due_date=on") == {"Weekly supervision", "Name an outside owner"}


def test_the_title_and_the_change_link_carry_the_filtered_list_and_a_change_returns_to_it(
    client, planner, caseload_action
):
    client.force_login(planner)
    listing = "/app/orgs/northside/actions/?q=caseloads&no_due_date=on"
    html = client.get(listing).content.decode()
    back = "/app/orgs/northside/actions/%3Fq%3Dcaseloads%26no_due_date%3Don"
    assert f'href="/app/mitigations/{caseload_action.pk}/?next={back}">Cap caseloads at twelve</a>' in html
    change_link = f"/app/mitigations/{caseload_action.pk}/change/?next={back}"
    assert change_link in html
    form = client.get(change_link).content.decode()
    assert "<h1>Change status, owner or due date</h1>" in form
    assert 'name="next" value="/app/orgs/northside/actions/?q=caseloads&amp;no_due_date=on"' in form
    assert f'<option value="{planner.pk}">Pat</option>' in form  # every member, in this one form
    response = post_quick(client, caseload_action, headers={}, status="in_progress", owner=planner.pk, next=listing)
    assert response["Location"] == listing
    caseload_action.refresh_from_db()
    assert (caseload_action.status, caseload_action.owner) == ("in_progress", planner)


def test_the_change_page_is_for_those_who_may_edit_and_never_returns_to_another_site(
    client, planner, viewer, caseload_action
):
    client.force_login(viewer)
    assert client.get(f"/app/mitigations/{caseload_action.pk}/change/").status_code == 403
    client.force_login(planner)
    form = client.get(f"/app/mitigations/{caseload_action.pk}/change/?next=https://evil.example/").content.decode()
    assert "evil.example" not in form
    assert f'name="next" value="/app/mitigations/{caseload_action.pk}/"' in form


def test_an_edit_never_returns_to_another_site(client, planner, caseload_action):
    client.force_login(planner)
    response = client.post(
        f"/app/mitigations/{caseload_action.pk}/edit/",
        {
            "action": "Cap caseloads",
            "status": "planned",
            "version": 1,
            "challenges": [item.pk for item in caseload_action.items.all()],
            "next": "https://evil.example/",
        },
    )
    # Back to the action's own page instead.
    assert response["Location"] == f"/app/mitigations/{caseload_action.pk}/"


# Query budgets: an in-place change answers within a page's budget ------------------------------------


@pytest.mark.parametrize("copies", [1, 10])
def test_an_in_place_change_runs_a_fixed_number_of_queries(
    client, org_a, owner, planner, django_assert_num_queries, copies
):
    for n in range(copies):
        other = make_checklist(org_a, f"Other {n}", owner)
        for item in other.items.all()[:5]:
            make_mitigation(item, "Other", owner=planner)
    checklist = make_checklist(org_a, "Plan", owner)
    action = make_mitigation(item_for(checklist, "Workload"), "Mine")
    client.force_login(planner)
    # session, person (two cache reads), action (with checklist, organisation, owner, suggestion, phase and
    # the person's membership), the update (savepoint, lock, update, history with its organisation read from
    # the checklist, release); the answer shows what is saved and reads nothing (the checklist and the
    # person's role are the loader's; the members to choose from are read only to show a person's own choice
    # back).
    with django_assert_num_queries(9):
        assert post_quick(client, action, status="done").status_code == 200


@pytest.mark.parametrize("copies", [1, 10])
def test_an_in_place_change_committed_runs_a_fixed_number_of_statements_its_generation_replaced_in_one(
    transactional_db, client, org_a, owner, planner, django_assert_num_queries, copies
):
    # transactional_db: the change really commits, as the benchmark's writers' do, so what runs once it
    # commits (the organisation's generation replaced) is counted too.
    for n in range(copies):
        other = make_checklist(org_a, f"Other {n}", owner)
        for item in other.items.all()[:5]:
            make_mitigation(item, "Other", owner=planner)
    action = make_mitigation(item_for(make_checklist(org_a, "Plan", owner), "Workload"), "Mine", owner=planner)
    before = organisation_generations.generation(org_a.pk)
    client.force_login(planner)
    # session, person (two cache reads), the action with the person's membership, the owner chosen read as a member of the
    # organisation (not read again by the model's own check), then the transaction: begin, lock, update,
    # history (its organisation read from the checklist), commit; once committed, the action's organisation
    # looked up and its generation replaced (one upsert: Django's database cache took five statements, a
    # count of the whole cache for culling among them). The answer reads nothing more.
    with django_assert_num_queries(12):
        assert post_quick(client, action, status="done", owner=str(planner.pk)).status_code == 200
    assert organisation_generations.generation(org_a.pk) != before
    assert Mitigation.objects.get(pk=action.pk).status == "done"


def test_no_template_carries_an_inline_style_the_policy_would_refuse():
    """The policy (settings.CONTENT_SECURITY_POLICY) allows style only from files: a style="…" attribute or
    a <style> element is refused, logs a violation and is not applied. The browser tests fail on any
    violation they meet (tests/browser/conftest.py, PageProblems); this catches the ones they do not visit."""
    from django.conf import settings

    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"] == ["'self'"]
    found = [
        f"{template.relative_to(settings.BASE_DIR)}: {match}"
        for template in (settings.BASE_DIR / "templates").rglob("*.html")
        for match in re.findall(r"\sstyle=|<style\b", template.read_text())
    ]
    assert found == []


def test_htmx_never_copies_a_style_attribute_while_settling_a_swap(client, planner):
    # htmx settles a swapped element by copying these attributes with setAttribute: a "style" there is an
    # inline style the policy refuses (and a violation logged on every in-place save).
    client.force_login(planner)
    text = client.get("/app/orgs/northside/actions/").content.decode()
    config = json.loads(html.unescape(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", text).group(1)))
    assert config["includeIndicatorStyles"] is False
    assert "style" not in config["attributesToSettle"]


LONG = "Offer supervision beyond peer work to every peer support worker in the team each month"


def test_confirmations_shorten_a_long_action_at_a_word_with_an_ellipsis(client, planner, active_checklist):
    action = make_mitigation(item_for(active_checklist, "Workload"), LONG)
    client.force_login(planner)
    back = "/app/orgs/northside/actions/"
    data = {"status": "done", "owner": "", "due_date": "", "version": action.version, "next": back}
    text = client.post(f"/app/mitigations/{action.pk}/quick/", data, follow=True).content.decode()
    assert "Saved: “Offer supervision beyond peer work to every peer support…”." in text
    action.refresh_from_db()
    text = client.post(back + "bulk/", {"ids": ids([action]), "status": "blocked"}, follow=True).content.decode()
    assert "“Offer supervision beyond peer work to every peer…”" in text
    assert "peer wo”" not in text and "peer w…" not in text


def test_shorten_cuts_only_a_word_longer_than_the_room():
    from peerplan.lib.text import shorten

    assert shorten("Short enough", 12) == "Short enough"
    assert shorten("Agree a role, then review it", 14) == "Agree a role…"
    assert shorten("Supercalifragilistic", 8) == "Superca…"
