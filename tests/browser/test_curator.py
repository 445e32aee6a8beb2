"""Journey 1: a curator signs in, opens a challenge theme in the admin, corrects a reference citation,
adds a suggested action with its provenance; the public evidence page shows the corrected citation."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in

WRONG = "Smith J. Peer suport workers: a reveiw. 2091."
RIGHT = (
    "Ibrahim N, Thompson D, Nixdorf R, et al. A systematic review of influences on implementation of "
    "peer support work for adults with mental health problems. Soc Psychiatry Psychiatr Epidemiol. 2020;55:285–93."
)
SUGGESTION = "Hold a joint induction day for each new PSW and their team"


@pytest.fixture
def mistyped_citation(db):
    from evidence.models import Reference

    Reference.objects.filter(number=23).update(citation=WRONG)


def test_a_curator_corrects_a_citation_and_adds_a_suggestion_that_states_its_provenance(
    live_server, page, curator, mistyped_citation
):
    base = live_server.url
    h1 = page.locator("h1")
    public = page.context.new_page()
    public.goto(base + "/evidence/themes/role-ambiguity/")
    expect(public.locator("#ref-23")).to_contain_text(WRONG)

    sign_in(page, base, curator.email)
    page.get_by_role("link", name="Curate").click()
    expect(page.get_by_role("link", name="Themes")).to_be_visible()

    # The challenge theme in the admin, with its findings and their references.
    page.get_by_role("link", name="Themes").click()
    page.get_by_role("link", name="Role ambiguity", exact=True).click()
    expect(h1).to_have_text("Change theme")
    expect(page.get_by_label("Name")).to_have_value("Role ambiguity")
    expect(page.locator(".inline-group")).to_contain_text("Challenge")

    # Correct reference [23]'s citation.
    page.goto(base + "/admin/")
    page.get_by_role("link", name="References").click()
    page.get_by_role("searchbox").fill("23")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="23", exact=True).click()
    expect(h1).to_have_text("Change reference")
    expect(page.get_by_label("Citation")).to_have_value(WRONG)
    page.get_by_label("Citation").fill(RIGHT)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    # Add a suggested action, with where it comes from: a draft until a curator publishes it.
    page.goto(base + "/admin/")
    page.get_by_role("link", name="Suggested actions").click()
    page.get_by_role("link", name="Add suggested action").click()
    expect(h1).to_have_text("Add suggested action")
    page.get_by_label("Title:", exact=True).fill(SUGGESTION)
    page.get_by_label("Description:", exact=True).fill(
        "A shared day on what the role is and is not, before caseloads start."
    )
    page.get_by_role("group", name="Cooper et al. 2024, Table 6").first.get_by_role(
        "checkbox", name="Role ambiguity", exact=True
    ).check()
    page.get_by_label("Provenance:", exact=True).select_option(label="Curator's suggestion")
    page.get_by_label("Source:", exact=True).select_option(label="Cooper et al. 2024, Table 6")
    page.get_by_label("Note on the source:", exact=True).fill("Curators, from Table 6, Role ambiguity, PSWs [23, 34]")
    page.get_by_label("Rationale:", exact=True).fill(
        "PSWs reported being unsure of their role; a shared induction sets it out."
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    row = page.locator("#result_list tr", has_text=SUGGESTION)
    expect(row).to_contain_text("Curator's suggestion")
    expect(row).to_contain_text("Role ambiguity")
    expect(row).to_contain_text("Draft")

    # The public page, for anyone: the corrected citation, the mistyped one gone.
    public.reload()
    expect(public.locator("#ref-23")).to_contain_text(RIGHT)
    expect(public.locator("main")).not_to_contain_text(WRONG)
