"""Journey 4: a reader who is not signed in filters the evidence, follows a theme and shares the
filtered page's address; the address alone brings back the same filter and the same results.
Done twice: on a desktop screen and on a phone (390×844) without sideways scrolling."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import no_horizontal_scroll


def _read_the_evidence(page, base_url, check_width=None):
    def step():
        if check_width:
            no_horizontal_scroll(page, check_width)

    page.goto(base_url + "/evidence/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence on peer support work")
    every_theme = page.locator(".evidence-themes h3 a")
    expect(every_theme).to_have_count(20)
    step()

    # Filter: stakeholder group "Service users", valence "challenge".
    page.get_by_label("Stakeholder group").select_option(label="Service users")
    page.get_by_label("Benefit or challenge").select_option(label="Challenge")
    page.get_by_role("button", name="Show matching evidence").click()
    expect(page).to_have_url(base_url + "/evidence/?q=&valence=challenge&group=Service+users&ref=")
    count = page.locator(".evidence-result-count")
    expect(count).to_have_text("14 of 20 themes match these filters.")
    themes = page.locator("article h3 a")
    names = themes.all_inner_texts()
    assert len(names) == 14
    # A Service users sample of its own; through a Mixed sample naming them; PSWs only; a benefit.
    assert {"Role ambiguity", "Colleagues and stigma", "Workload"} <= set(names)
    assert "Treatment models" not in names and "Bridge" not in names
    # Only challenges, and only what service users (alone or in a mixed sample naming them) reported.
    expect(page.locator("article h4 .badge")).to_have_text(["Challenge"] * page.locator("article h4").count())
    for group in page.locator("article .perspective h5").all_inner_texts():
        assert group.startswith(("Service users", "Mixed")), group
    step()
    shared_url = page.url

    # Follow a theme: its page has the whole published finding, with its references.
    page.get_by_role("link", name="Role ambiguity", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Role ambiguity")
    expect(page.get_by_role("heading", name="Challenge", exact=False).first).to_be_visible()
    expect(page.get_by_role("heading", name="Service users", exact=False)).to_be_visible()
    expect(page.get_by_role("heading", name="References", exact=True)).to_be_visible()
    # No citation is curated yet: each reference number links to the review's reference list (its DOI).
    expect(page.locator("a.ref-doi").first).to_have_attribute("href", re.compile(r"^https://doi\.org/"))
    expect(page.locator(".evidence-references li")).to_have_count(0)
    step()
    page.go_back()
    expect(count).to_have_text("14 of 20 themes match these filters.")
    return shared_url, names


def _shared_url_reproduces_the_filter(context, shared_url, names, check_width=None):
    other = context.new_page()
    other.goto(shared_url)
    expect(other.get_by_label("Stakeholder group")).to_have_value("Service users")
    expect(other.get_by_label("Benefit or challenge")).to_have_value("challenge")
    expect(other.locator(".evidence-result-count")).to_have_text("14 of 20 themes match these filters.")
    assert other.locator("article h3 a").all_inner_texts() == names
    if check_width:
        no_horizontal_scroll(other, check_width)
    other.close()


def test_a_reader_filters_the_evidence_follows_a_theme_and_shares_the_filter(live_server, page, another_context):
    shared_url, names = _read_the_evidence(page, live_server.url)
    # Someone else, in another browser session, opens the shared address.
    _shared_url_reproduces_the_filter(another_context(), shared_url, names)


@pytest.mark.browser_context_args(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
def test_on_a_phone_the_same_journey_never_scrolls_sideways(live_server, page):
    assert page.viewport_size == {"width": 390, "height": 844}
    # The menu is folded behind its button on a phone; it opens and its links are there.
    page.goto(live_server.url + "/")
    no_horizontal_scroll(page, 390)
    page.get_by_role("button", name="Show navigation").click()
    expect(page.get_by_role("link", name="Evidence", exact=True)).to_be_visible()
    shared_url, names = _read_the_evidence(page, live_server.url, check_width=390)
    _shared_url_reproduces_the_filter(page.context, shared_url, names, check_width=390)
    # The filtered index on a phone passes the audit too (reflow, target sizes, contrast).
    page.goto(shared_url)
    assert_accessible(page)
