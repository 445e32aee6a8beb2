"""Creating a checklist from the evidence, editing, archiving and deleting it, and its page."""

import pytest

from evidence.models import Finding, Valence
from peerplan.models import Checklist, Item, organisation_generations
from peerplan.operations import mitigations
from tests.factories import bulk_mitigations


def test_a_new_checklist_holds_every_challenge_and_benefit_in_published_order(client, planner, org_a):
    client.force_login(planner)
    response = client.post(
        "/app/orgs/northside/checklists/new/",
        {
            "title": "Community team",
            "service": "Community team",
            "status": "draft",
            "review_date": "2026-12-31",
        },
    )
    checklist = Checklist.objects.get()
    assert response["Location"] == f"/app/checklists/{checklist.pk}/"
    expected = list(
        Finding.objects.filter(valence__in=["challenge", "benefit"])
        .order_by("theme__category__position", "theme__position", "position")
        .values_list("pk", flat=True)
    )
    assert list(checklist.items.values_list("finding_id", flat=True)) == expected
    assert checklist.items.challenges().count() == Finding.objects.filter(valence=Valence.CHALLENGE).count() == 16
    assert not checklist.items.challenges().filter(applies=False).exists()
    assert not checklist.items.filter(finding__valence=Valence.BENEFIT, applies=True).exists()
    assert not checklist.items.filter(finding__valence="").exists()
    assert checklist.created_by == planner and checklist.organisation == org_a


def test_a_title_too_long_and_a_date_that_is_not_a_date_are_explained_and_nothing_is_lost(client, planner):
    client.force_login(planner)
    response = client.post(
        "/app/orgs/northside/checklists/new/",
        {"title": "x" * 201, "service": "Ward 7", "status": "draft", "review_date": "31/31/2026"},
    )
    page = response.content.decode()
    assert "Title must be at most 200 characters (it has 201)." in page
    assert "Enter a date like 31/12/2026." in page
    assert 'value="Ward 7"' in page and "x" * 201 in page
    assert not Checklist.objects.exists()


def test_a_date_typed_the_british_way_is_understood(client, planner):
    client.force_login(planner)
    client.post("/app/orgs/northside/checklists/new/", {"title": "T", "status": "active", "review_date": "31/12/2026"})
    assert str(Checklist.objects.get().review_date) == "2026-12-31"


def test_a_viewer_cannot_create_a_checklist(client, viewer):
    client.force_login(viewer)
    assert client.post("/app/orgs/northside/checklists/new/", {"title": "T", "status": "draft"}).status_code == 403
    assert not Checklist.objects.exists()


def test_a_planner_edits_the_details(client, planner, draft_checklist):
    client.force_login(planner)
    client.post(
        f"/app/checklists/{draft_checklist.pk}/edit/", {"title": "Renamed", "status": "active", "review_date": ""}
    )
    draft_checklist.refresh_from_db()
    assert (draft_checklist.title, draft_checklist.status) == ("Renamed", "active")


def test_a_planner_archives_and_unarchives_and_nothing_is_deleted(client, planner, draft_checklist):
    client.force_login(planner)
    client.post(f"/app/checklists/{draft_checklist.pk}/archive/")
    draft_checklist.refresh_from_db()
    assert draft_checklist.status == "archived"
    assert draft_checklist.items.count() == 25
    client.post(f"/app/checklists/{draft_checklist.pk}/unarchive/")
    draft_checklist.refresh_from_db()
    assert draft_checklist.status == "active"


def test_the_delete_page_says_what_will_go(client, owner, draft_checklist):
    item = draft_checklist.items.challenges().first()
    mitigations.create_mitigation(item=item, changes={"action": "Do one thing"}, by=owner)
    mitigations.create_mitigation(item=item, changes={"action": "Do another"}, by=owner)
    client.force_login(owner)
    page = client.get(f"/app/checklists/{draft_checklist.pk}/delete/").content.decode()
    assert "its 25 items" in page and "its 2 actions" in page
    assert Checklist.objects.exists()


def test_only_an_owner_deletes_a_checklist(client, owner, manager, planner, draft_checklist):
    for person in (manager, planner):
        client.force_login(person)
        assert client.post(f"/app/checklists/{draft_checklist.pk}/delete/").status_code == 403
    assert Checklist.objects.filter(pk=draft_checklist.pk).exists()
    client.force_login(owner)
    response = client.post(f"/app/checklists/{draft_checklist.pk}/delete/")
    assert response["Location"] == "/app/orgs/northside/"
    assert not Checklist.objects.exists() and not Item.objects.exists()
    assert Finding.objects.count() == 26  # the evidence is untouched


def test_the_checklist_page_shows_coverage_uncovered_challenges_and_items_in_published_order(
    client, viewer, owner, draft_checklist
):
    role_ambiguity = draft_checklist.items.challenges().get(finding__theme__name="Role ambiguity")
    mitigations.create_mitigation(
        item=role_ambiguity, changes={"action": "Write a role description", "status": "planned"}, by=owner
    )
    mitigations.create_mitigation(item=role_ambiguity, changes={"action": "Old idea", "status": "dropped"}, by=owner)
    client.force_login(viewer)
    page = client.get(f"/app/checklists/{draft_checklist.pk}/").content.decode()
    assert "1 of 16 challenges covered (6%), none reviewed yet" in page
    workload = draft_checklist.items.challenges().get(finding__theme__name="Workload")
    assert "Not covered" not in _row(page, role_ambiguity) and "Not covered" in _row(page, workload)
    assert "2 actions (1 planned, 1 dropped)" in _row(page, role_ambiguity)
    challenges = page[page.index('id="challenges-heading"') : page.index('id="leverage-heading"')]
    assert challenges.index("Confusion over the PSW role") < challenges.index("Organisational challenges")
    assert challenges.index("Role ambiguity") < challenges.index("Boundaries")
    assert "0 of 9 chosen" in page


def test_a_planner_chooses_a_benefit_as_an_outcome_from_the_checklist_page(client, planner, draft_checklist):
    benefit = draft_checklist.items.get(finding__theme__name="Bridge")
    client.force_login(planner)
    response = client.post(f"/app/items/{benefit.pk}/outcome/", {"applies": "yes"})
    assert response["Location"] == f"/app/checklists/{draft_checklist.pk}/#benefits"
    benefit.refresh_from_db()
    assert benefit.applies
    assert "1 of 9 chosen" in client.get(f"/app/checklists/{draft_checklist.pk}/").content.decode()


def _row(page, item):
    """The challenge's row in the checklist's list."""
    start = page.index(f'id="item-{item.pk}"')
    return page[start : page.index('<div class="card mb-2', start + 1)]


STATUSES = ["planned", "done", "dropped", "blocked", "in_progress"] * 2


def _add_mitigations(checklist, owner, per_item):
    bulk_mitigations(
        (item, {"action": f"Action {n}", "owner": owner, "status": status})
        for item in checklist.items.all()
        for n, status in zip(range(per_item), STATUSES[:per_item], strict=True)
    )


@pytest.mark.parametrize("per_item", [1, 10])
def test_the_checklist_page_runs_a_fixed_number_of_queries(
    client, owner, draft_checklist, per_item, django_assert_num_queries
):
    _add_mitigations(draft_checklist, owner, per_item)
    client.force_login(owner)
    client.get(f"/app/checklists/{draft_checklist.pk}/")  # the evidence facts are cached once for every checklist
    # The body cached by that view is out of date.
    organisation_generations.organisation_changed(draft_checklist.organisation)
    # session, person with the bell's count (two cache reads), checklist with the membership, the cached body and its
    # generations (one cache read), items with counts and coverage (the coverage, the stakeholder lens and the
    # uncovered items the suggestions are ranked against are read from them), live mitigations per phase
    # with how many are co-produced, the suggestion each action was adopted from (none adopted twice here: no merge offered,
    # and nothing more read for it), storing the body (the database cache: count, then the upsert in a
    # savepoint: 4), the checklist's check-in (none here: its trends are pinned in tests/test_check_ins.py). The
    # items' findings with their themes and categories, the evidence facts and the phases are kept by this
    # process for the evidence generation since the first read. (Every challenge is covered here, so no suggestion is ranked: tests/test_evidence_releases.py
    # pins the page with suggestions ranked, which reads nothing more for it.)
    with django_assert_num_queries(12):
        response = client.get(f"/app/checklists/{draft_checklist.pk}/")
    assert response.status_code == 200


def test_the_new_checklist_form_says_the_challenges_start_not_reviewed_yet(client, planner):
    # As the list then shows them: "Not reviewed yet", not "marked as applying until you say otherwise".
    client.force_login(planner)
    page = client.get("/app/orgs/northside/checklists/new/").content.decode()
    assert "each not reviewed yet until you say whether it applies to your service" in page
    assert "marked as applying" not in page


def test_benefits_are_offered_as_outcomes_by_their_own_name_not_the_challenges(client, planner, draft_checklist):
    client.force_login(planner)
    page = client.get(f"/app/checklists/{draft_checklist.pk}/").content.decode()
    outcomes = page[page.index('id="benefits-heading"') :]
    assert "The benefit reported under “Role ambiguity”" in outcomes
    assert ">Role ambiguity</a>" not in outcomes
