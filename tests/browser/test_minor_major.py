"""A curator fixes a typo as a minor change, and no service is asked to look again; then makes a major change
with a change note, and the service sees that note and the highlighted difference on the flagged item."""

from playwright.sync_api import expect

from evidence.models import Perspective
from tests.browser.axe import assert_accessible
from tests.browser.helpers import no_horizontal_scroll, sign_in

NOTE = "PSWs' workload is now reported as overwhelming, not only at times: check your actions protect their time."


def test_a_minor_fix_flags_nothing_and_a_major_change_shows_its_note_and_difference_to_the_service(
    live_server, page, another_context, curator, planner, active_checklist
):
    base = live_server.url
    perspective = Perspective.objects.get(finding__theme__name="Workload")
    text = perspective.summary
    assert "PSW workload could be overwhelming." in text
    sign_in(page, base, curator.email)
    change_page = f"{base}/admin/evidence/perspective/{perspective.pk}/change/"

    # A change of the text with no choice is refused beside the choice, and nothing is saved.
    page.goto(change_page)
    page.get_by_label("Summary").fill(text.replace("other staff", "other  staff"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("Choose whether this is a minor or a major change")
    assert_accessible(page)

    # A minor fix: no service is asked to look again.
    page.get_by_label("Summary").fill(text.replace("other staff", "other team"))
    page.get_by_label("Minor change (a typo or formatting)").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Saved as a minor change: no service is asked to look again.")

    planner_page = another_context().new_page()
    sign_in(planner_page, base, planner.email)
    planner_page.goto(f"{base}/app/checklists/{active_checklist.pk}/")
    expect(planner_page.get_by_role("heading", name="Challenges", exact=True)).to_be_visible()
    expect(planner_page.locator("#attention-heading")).to_have_count(0)

    # A major change, with its note: the message counts the checklists, never names their organisations.
    page.goto(change_page)
    page.get_by_label("Summary").fill(
        text.replace("other staff", "other team").replace("could be overwhelming", "was overwhelming")
    )
    page.get_by_label("Major change: services are asked to look again").check()
    page.get_by_label("Change note").fill(NOTE)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Saved as a major change: 1 checklist in 1 organisation will be asked to look again."
    )
    expect(page.locator(".messagelist")).not_to_contain_text("Northside")

    # The service sees the flag, the note and only the words that changed, highlighted.
    planner_page.goto(f"{base}/app/checklists/{active_checklist.pk}/")
    attention = planner_page.locator("section", has=planner_page.locator("#attention-heading"))
    expect(attention).to_contain_text("Evidence updated since you reviewed it")
    attention.get_by_role("link", name="Workload").click()
    flag = planner_page.locator("section", has=planner_page.get_by_role("heading", name="Evidence updated since"))
    expect(flag).to_contain_text(f"Change note: {NOTE}")
    expect(flag.locator(".word-diff del")).to_have_text(["[removed: could be]"])
    expect(flag.locator(".word-diff ins")).to_have_text(["[added: was]"])
    expect(flag).not_to_contain_text("The references or the finding changed")
    assert_accessible(planner_page)
    planner_page.set_viewport_size({"width": 390, "height": 844})
    no_horizontal_scroll(planner_page, 390)
    assert_accessible(planner_page)
