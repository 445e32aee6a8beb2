"""Coverage on the checklist page: applicable challenges with a live mitigation, and through each
stakeholder group's eyes."""

import re

from peerplan.operations import checklists, mitigations


def figure(client, checklist):
    page = client.get(f"/app/checklists/{checklist.pk}/").content.decode()
    return re.search(r"\d+ of \d+ (applicable )?challenges covered \(\d+%\)(, none reviewed yet)?", page).group(0), page


def test_coverage_rises_with_mitigations_and_ignores_dropped_ones(client, viewer, owner, draft_checklist):
    client.force_login(viewer)
    assert figure(client, draft_checklist)[0] == "0 of 16 challenges covered (0%), none reviewed yet"
    items = list(draft_checklist.items.challenges())
    mitigations.create_mitigation(item=items[0], changes={"action": "A", "status": "done"}, by=owner)
    mitigations.create_mitigation(item=items[1], changes={"action": "B", "status": "blocked"}, by=owner)
    mitigations.create_mitigation(item=items[2], changes={"action": "C", "status": "dropped"}, by=owner)
    assert figure(client, draft_checklist)[0] == "2 of 16 challenges covered (13%), none reviewed yet"  # 12.5, half up


def test_a_challenge_that_does_not_apply_leaves_the_count(client, viewer, owner, draft_checklist):
    items = list(draft_checklist.items.challenges())
    checklists.decide_item(item=items[0], applies=False, reason="Not in our service")
    mitigations.create_mitigation(item=items[1], changes={"action": "B"}, by=owner)
    client.force_login(viewer)
    text, page = figure(client, draft_checklist)
    assert text == "1 of 15 applicable challenges covered (7%)"
    assert "1 challenge marked as not applying is left out" in page


def test_benefits_never_count_as_challenges(client, viewer, owner, draft_checklist):
    benefit = draft_checklist.items.get(finding__theme__name="Bridge")
    checklists.decide_item(item=benefit, applies=True)
    mitigations.create_mitigation(item=benefit, changes={"action": "Realise it"}, by=owner)
    client.force_login(viewer)
    assert figure(client, draft_checklist)[0] == "0 of 16 challenges covered (0%), none reviewed yet"


def test_coverage_through_the_service_users_lens(client, viewer, owner, draft_checklist):
    client.force_login(viewer)
    page = figure(client, draft_checklist)[1]
    total = int(re.search(r"Challenges reported by service users: 0 of (\d+) covered", page).group(1))
    reported = [
        item
        for item in draft_checklist.items.applicable_challenges().prefetch_related("finding__perspectives")
        if "Service users" in item.finding.stakeholder_groups()
    ]
    assert total == len(reported) > 0
    mitigations.create_mitigation(item=reported[0], changes={"action": "For service users"}, by=owner)
    page = figure(client, draft_checklist)[1]
    assert f"Challenges reported by service users: 1 of {total} covered" in page
    assert "Challenges reported by PSWs:" in page


def test_percentages_are_rounded_to_the_nearest_and_never_claim_all_or_none_unless_so():
    from peerplan.lib.numbers import percent

    assert [percent(11, 12), percent(6, 14), percent(1, 8), percent(2, 3)] == [92, 43, 13, 67]
    assert [percent(999, 1000), percent(1, 1000), percent(0, 5), percent(5, 5), percent(0, 0)] == [99, 1, 0, 100, 0]


def test_the_checklist_page_rounds_its_figures_to_the_nearest(client, viewer, owner, draft_checklist):
    items = list(draft_checklist.items.challenges())
    for item in items[:2]:
        checklists.decide_item(item=item, applies=False, reason="Not in our service")
    for item in items[2:8]:
        mitigations.create_mitigation(item=item, changes={"action": "Act", "status": "done"}, by=owner)
    client.force_login(viewer)
    text, page = figure(client, draft_checklist)
    assert text == "6 of 14 applicable challenges covered (43%)"  # 42.9: rounded down it said 42
    assert "6 of 14 with an action done (43%)" in page


def test_before_any_decision_the_figure_does_not_call_the_challenges_applicable(client, viewer, draft_checklist):
    # Every challenge is "not reviewed yet" in the list: the figure must not say they apply.
    client.force_login(viewer)
    text, page = figure(client, draft_checklist)
    assert text == "0 of 16 challenges covered (0%), none reviewed yet"
    assert "applicable challenges covered" not in page
    checklists.decide_item(item=draft_checklist.items.challenges().first(), applies=True)
    assert figure(client, draft_checklist)[0] == "0 of 16 applicable challenges covered (0%)"
