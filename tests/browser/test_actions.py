"""Actions in the browser: adopting a suggestion for 3 challenges gives ONE action shown on all 3 items
and once in the action list; an in-place status change with JavaScript on and the same with it off; a
bulk change of 5 actions."""

from playwright.sync_api import expect

from peerplan.models import Mitigation, SuggestedMitigation
from tests.browser.helpers import sign_in
from tests.factories import item_for, make_mitigation

THEMES = ["Role ambiguity", "Workload", "Boundaries"]


def test_adopting_for_three_challenges_gives_one_action_on_all_three(live_server, page, active_checklist, planner):
    suggestion = SuggestedMitigation.objects.create(
        title="Agree a PSW job plan with each team",
        provenance="curator",
        is_published=True,
        source_note="Curator's suggestion",
        position=0,
    )
    suggestion.themes.set([item_for(active_checklist, name).finding.theme for name in THEMES])
    # The only one offered, so it is the one at the top of "Suggestions that would cover the most".
    SuggestedMitigation.objects.exclude(pk=suggestion.pk).update(is_published=False)
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}/app/checklists/{active_checklist.pk}/")
    card = page.locator("#suggestions li", has=page.get_by_role("heading", name=suggestion.title))
    card.get_by_role("button", name="Adopt for 3 challenges").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit action")
    expect(page.locator(".messages")).to_contain_text("adopted as one action addressing 3 challenges")
    page.get_by_label("Owner (a member of this organisation)").select_option(label="Pat (pat@example.org)")
    page.get_by_label("Due date").fill("2030-03-31")
    page.get_by_role("button", name="Save action").click()
    action = Mitigation.objects.get(suggestion=suggestion)
    assert action.owner == planner and action.due_date.isoformat() == "2030-03-31"
    for name in THEMES:
        page.goto(f"{live_server.url}/app/items/{item_for(active_checklist, name).pk}/")
        cards = page.locator("section[aria-labelledby=mitigations-heading] li")
        expect(cards).to_have_count(1)
        expect(cards).to_contain_text("Addresses 3 challenges: Role ambiguity; Boundaries; Workload")
    page.goto(f"{live_server.url}/app/orgs/northside/actions/")
    rows = page.locator("[data-action-row]", has_text=suggestion.title)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Role ambiguity; Boundaries; Workload")


def test_an_in_place_status_change_with_javascript(live_server, page, active_checklist, planner):
    action = make_mitigation(item_for(active_checklist, "Workload"), "Cap caseloads at twelve")
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}/app/orgs/northside/actions/?q=caseloads")
    loads = []
    page.on("load", lambda _: loads.append(1))
    status = page.get_by_label("Status of “Cap caseloads at twelve”")
    status.select_option(label="Done")  # saved on change: no button to press
    expect(page.locator(f"#quick-{action.pk}")).to_contain_text("Saved.")
    assert loads == []  # the row changed in place: no page load
    assert page.url.endswith("/actions/?q=caseloads")
    action.refresh_from_db()
    assert action.status == "done"
    # Focus stays on the control the person used, in the new block.
    expect(page.locator(f"#quick-{action.pk}-status")).to_be_focused()


def test_the_same_status_change_without_javascript(live_server, another_context, active_checklist, planner):
    action = make_mitigation(item_for(active_checklist, "Workload"), "Cap caseloads at twelve")
    page = another_context(java_script_enabled=False).new_page()
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}/app/orgs/northside/actions/?q=caseloads")
    page.get_by_role("link", name="Change status, owner or due date of “Cap caseloads at twelve”").click()
    page.get_by_label("Status").select_option(label="Done")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Saved: “Cap caseloads at twelve”.")
    assert page.url.endswith("/actions/?q=caseloads")  # back in the filtered list
    expect(page.locator(f"#action-{action.pk} .props-read .status-tag")).to_have_text("Done")
    action.refresh_from_db()
    assert action.status == "done"


def test_a_bulk_change_of_five_actions(live_server, page, active_checklist, planner, manager):
    items = list(active_checklist.items.challenges().select_related("finding__theme")[:6])
    actions = [make_mitigation(item, f"Bulk action {n}") for n, item in enumerate(items)]
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}/app/orgs/northside/actions/")
    for action in actions[:5]:
        page.get_by_label(f"Select “{action.action}”").check()
    page.get_by_label("Set status").select_option(label="In progress")
    page.get_by_label("Set owner").select_option(label="Maya")
    page.get_by_role("button", name="Apply to the selected actions").click()
    expect(page.locator(".messages")).to_contain_text("Status set to in progress, owner set to Maya on 5 actions")
    for action in actions[:5]:
        action.refresh_from_db()
        assert (action.status, action.owner) == ("in_progress", manager)
        assert action.history.count() == 2
    actions[5].refresh_from_db()
    assert actions[5].status == "planned"
