"""The step-through review within its budget: deciding all 16 challenges of a new checklist, half of them
"does not apply" with a reason, takes at most 17 page loads from the checklist page and at most 3 clicks
or key presses per challenge beyond typing. Done once with the mouse and once with the keyboard alone,
where focus must land on the decision each time a challenge opens."""

import pytest
from playwright.sync_api import expect

from peerplan.models import Item
from peerplan.operations import checklists
from tests.browser.helpers import assert_visible_focus, sign_in

PAGE_LOAD_BUDGET = 17
PRESS_BUDGET = 3


@pytest.fixture
def new_checklist(org_a, owner, planner):
    return checklists.create_checklist_from_evidence(organisation=org_a, title="Recovery team 2026", by=owner)


class Counter:
    """Page loads of the main frame, and the clicks and key presses a person made (typing not counted)."""

    def __init__(self, page):
        self.page = page
        self.loads = 0
        self.presses = 0
        page.on("load", self._loaded)

    def _loaded(self, _page):
        self.loads += 1

    def click(self, locator):
        self.presses += 1
        locator.click()

    def key(self, name):
        self.presses += 1
        self.page.keyboard.press(name)

    def type(self, text):
        self.page.keyboard.type(text)


def _reason(n):
    return f"Reason {n}: our service already handles this another way."


def _review_all(page, live_server, new_checklist, keyboard):
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}/app/checklists/{new_checklist.pk}/")
    expect(page.locator("#review-progress")).to_have_text("0 of 16 challenges decided")
    counter = Counter(page)
    h1 = page.get_by_role("heading", level=1)

    counter.click(page.get_by_role("link", name="Review the challenges"))
    for n in range(16):
        expect(page.locator("#review-position")).to_contain_text(f"Challenge {n + 1} of 16 · {n} decided")
        applies = n % 2 == 0
        before = counter.presses
        if keyboard:
            # Focus is already on the decision: no Tab needed to reach it. The page moves it there from
            # review.js at the end of the body, after the position line above is shown: wait for it, as a
            # person's keys would (reading document.activeElement at once raced the script under load).
            expect(
                page.locator("#applies-yes"), f"focus is not on the decision when challenge {n + 1} opened"
            ).to_be_focused()
            assert_visible_focus(page)
            if applies:
                counter.key("Space")
                expect(page.get_by_role("radio", name="Applies")).to_be_checked()
                counter.key("Enter")
            else:
                counter.key("ArrowDown")
                expect(page.get_by_role("radio", name="Does not apply")).to_be_checked()
                counter.key("Tab")
                expect(page.get_by_label("Why it does not apply")).to_be_focused()
                counter.type(_reason(n))
                counter.key("Enter")
        else:
            if applies:
                counter.click(page.get_by_role("radio", name="Applies"))
            else:
                counter.click(page.get_by_role("radio", name="Does not apply"))
                counter.click(page.get_by_label("Why it does not apply"))
                counter.type(_reason(n))
            counter.click(page.get_by_role("button", name="Save and next"))
        if n < 15:
            expect(page.locator("#review-position")).to_contain_text(f"Challenge {n + 2} of 16")
        assert counter.presses - before <= PRESS_BUDGET, f"challenge {n + 1} took {counter.presses - before}"

    expect(h1).to_have_text("Check your decisions")
    expect(page.locator("#review-progress")).to_have_text("16 of 16 challenges decided")
    expect(h1).to_be_focused()
    page.wait_for_load_state("load")
    assert counter.loads <= PAGE_LOAD_BUDGET, f"{counter.loads} page loads"

    items = list(Item.objects.filter(checklist=new_checklist).challenges().order_by())
    assert all(item.is_decided for item in items)
    not_applying = [item for item in items if not item.applies]
    assert len(not_applying) == 8 and all(item.not_applicable_reason.startswith("Reason ") for item in not_applying)
    return counter


def test_deciding_all_16_challenges_with_the_mouse_keeps_within_the_budget(live_server, page, new_checklist):
    counter = _review_all(page, live_server, new_checklist, keyboard=False)
    assert counter.presses <= 1 + 16 * PRESS_BUDGET


def test_deciding_all_16_challenges_with_the_keyboard_alone(live_server, page, new_checklist):
    counter = _review_all(page, live_server, new_checklist, keyboard=True)
    # 8 applies × 2 presses + 8 "does not apply" × 3 presses, after one click on "Review the challenges".
    assert counter.presses == 1 + 8 * 2 + 8 * 3


def test_a_change_from_the_summary_and_the_previous_step(live_server, page, new_checklist, planner):
    items = list(new_checklist.items.challenges().select_related("finding__theme"))
    for item in items:
        checklists.decide_item(item=item, applies=True, by=planner)
    sign_in(page, live_server.url, "pat@example.org")
    page.goto(f"{live_server.url}/app/checklists/{new_checklist.pk}/review/summary/")
    row = page.locator(f"#item-{items[3].pk}")
    row.get_by_role("link", name="Change").click()
    expect(page.get_by_role("radio", name="Applies")).to_be_checked()
    page.get_by_role("radio", name="Does not apply").check()
    page.get_by_label("Why it does not apply").fill("A commissioner's decision")
    page.get_by_role("button", name="Save and return to the summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your decisions")
    expect(row).to_contain_text("Does not apply: A commissioner's decision")
    row.get_by_role("link", name="Change").click()
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(items[2].finding.theme.name)
