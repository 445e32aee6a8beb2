"""A challenge's row on the checklist page is rendered once per process for what it shows
(peerplan/templatetags/item_rows.py, ItemRow): it is exactly what the row template makes of the item, and a
change to anything it shows, or to who is looking, shows at once."""

import copy
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone

from evidence.models import Valence
from peerplan.figures.insights import EvidenceStrength
from peerplan.models import Item, Mitigation, MitigationStatus, organisation_generations
from peerplan.pages import checklists as checklist_pages
from peerplan.templatetags.item_rows import render_item_row, render_trend
from tests.factories import item_for, make_checklist, make_mitigation
from tests.test_item_rows import a_trend

TODAY = timezone.localdate()
S = MitigationStatus

PLAIN = Template('{% include "peerplan/includes/item_row.html" %}')
KEPT = Template("{% load item_rows %}{% item_rows items %}")


@pytest.fixture(autouse=True)
def _rows_rendered_afresh():
    # The rows kept by another test (the same ids in a fresh database) must not answer here.
    render_item_row.cache_clear()
    render_trend.cache_clear()
    yield
    render_item_row.cache_clear()
    render_trend.cache_clear()


@pytest.fixture
def checklist(org_a, owner):
    checklist = make_checklist(org_a, "Community team", owner)
    workload = item_for(checklist, "Workload")
    make_mitigation(workload, "Late", S.IN_PROGRESS, due_date=TODAY - timedelta(days=3))
    make_mitigation(workload, "Done", S.DONE)
    make_mitigation(item_for(checklist, "Role ambiguity"), "Dropped", S.DROPPED)
    Item.objects.filter(pk=item_for(checklist, "Role ambiguity").pk).update(
        decided_at=timezone.now(), applies=False, not_applicable_reason="We have <no> such “role”"
    )
    # A benefit chosen as an outcome shows with its theme's challenge.
    benefit = item_for(checklist, "Role ambiguity", Valence.BENEFIT)
    Item.objects.filter(pk=benefit.pk).update(applies=True)
    make_mitigation(benefit, "Realise it")
    return checklist


def prepared(checklist):
    """The challenges as the checklist page shows them, prepared by checklist_page."""
    page = checklist_pages.checklist_page(checklist, TODAY, ("generation", "", ""))
    return [item for group in page["challenge_groups"] for theme in group.themes for item in theme.items]


def render(template, item, can_edit=True, token="the-token"):
    context = {"item": item, "items": [item], "membership": SimpleNamespace(can_edit=can_edit), "csrf_token": token}
    return template.render(Context(context, use_l10n=False))


@pytest.mark.parametrize("can_edit", [True, False])
def test_a_row_is_what_the_row_template_makes_of_the_item(checklist, can_edit):
    items = prepared(checklist)
    items[0].check_in = a_trend()  # a challenge with its check-in trend
    shown = [render(PLAIN, item, can_edit) for item in items]
    assert any("Does not apply</strong>: We have &lt;no&gt; such “role”" in row for row in shown)
    assert any("1 overdue" in row for row in shown) and any("Outcome to realise" in row for row in shown)
    assert "Agreeing, by round" in shown[0]
    for item, expected in zip(items, shown, strict=True):
        # Twice: rendered, then kept; and with another person's token.
        assert render(KEPT, item, can_edit) == expected
        assert render(KEPT, item, can_edit) == expected
        assert render(KEPT, item, can_edit, "another") == expected.replace("the-token", "another")
    assert render_item_row.cache_info().hits >= 2 * len(items)


@pytest.mark.parametrize("can_edit", [True, False])
def test_a_categorys_rows_are_its_challenges_rows_one_after_the_other(checklist, can_edit):
    page = checklist_pages.checklist_page(checklist, TODAY, ("generation", "", ""))
    for group in page["challenge_groups"]:
        each = [render(PLAIN, item, can_edit) for theme in group.themes for item in theme.items]
        # Kept, and with another person's token.
        expected = "".join(each)
        context = {"items": group.items, "membership": SimpleNamespace(can_edit=can_edit)}
        assert KEPT.render(Context({**context, "csrf_token": "the-token"}, use_l10n=False)) == expected
        assert KEPT.render(Context({**context, "csrf_token": "another"}, use_l10n=False)) == expected.replace(
            "the-token", "another"
        )


def _changed(item, **values):
    """A copy of the prepared item with these values (the finding and its theme copied too)."""
    changed = copy.copy(item)
    changed.finding = copy.copy(item.finding)
    changed.finding.theme = copy.copy(item.finding.theme)
    for name, value in values.items():
        if name == "theme_name":
            changed.finding.theme.name = value
        elif name == "retired_in_version":
            changed.finding.retired_in_version = value
        else:
            setattr(changed, name, value)
    return changed


def _outcome(benefit, **values):
    outcome = copy.copy(benefit)
    outcome.finding = copy.copy(benefit.finding)
    outcome.finding.theme = copy.copy(benefit.finding.theme)
    for name, value in values.items():
        setattr(outcome, name, value)
    return outcome


# Every value the row shows, changed one at a time on the item as the page prepared it.
CHANGES = {
    "the theme renamed": lambda item, benefit: _changed(item, theme_name="Workload & <caseloads>"),
    "its finding retired": lambda item, benefit: _changed(item, retired_in_version=4),
    "kept after the retirement": lambda item, benefit: _changed(item, retired_in_version=4, retired_choice="kept"),
    "evidence updated since the review": lambda item, benefit: _changed(item, evidence_updated=True),
    "decided as applying": lambda item, benefit: _changed(item, decided_at=timezone.now()),
    "decided as not applying": lambda item, benefit: _changed(item, decided_at=timezone.now(), applies=False),
    "the reason it does not apply": lambda item, benefit: _changed(
        item, decided_at=timezone.now(), applies=False, not_applicable_reason="Another reason"
    ),
    "its priority": lambda item, benefit: _changed(item, priority="high"),
    "an action more": lambda item, benefit: _changed(item, mitigation_count=item.mitigation_count + 1),
    "its actions' statuses": lambda item, benefit: _changed(item, statuses=[("Blocked", 2)]),
    "a single review": lambda item, benefit: _changed(item, strength=EvidenceStrength([7], of_reviews=True)),
    "a single reference": lambda item, benefit: _changed(item, strength=EvidenceStrength([7], of_reviews=False)),
    "more references": lambda item, benefit: _changed(item, strength=EvidenceStrength([1, 2, 3], of_reviews=False)),
    "no longer covered": lambda item, benefit: _changed(item, is_covered=False),
    "more overdue": lambda item, benefit: _changed(item, overdue_count=item.overdue_count + 2),
    "no outcome": lambda item, benefit: _changed(item, outcomes=[]),
    "another outcome": lambda item, benefit: _changed(item, outcomes=[_outcome(benefit, pk=benefit.pk + 1000)]),
    "the outcome's actions": lambda item, benefit: _changed(item, outcomes=[_outcome(benefit, mitigation_count=5)]),
    "a check-in trend": lambda item, benefit: _changed(item, check_in=a_trend()),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_to_anything_a_row_shows_shows_at_once(checklist, change):
    items = prepared(checklist)
    workload = next(item for item in items if item.finding.theme.name == "Workload")
    benefit = next(item for item in items if item.outcomes).outcomes[0]
    base = _changed(workload, outcomes=[benefit])
    render(KEPT, base)  # kept as it was
    changed = CHANGES[change](base, benefit)
    assert render(PLAIN, changed) != render(PLAIN, base)
    assert render(KEPT, changed) == render(PLAIN, changed)
    assert render(KEPT, base) == render(PLAIN, base)


def test_who_may_decide_is_theirs_whoever_saw_the_row_first(checklist):
    undecided = next(item for item in prepared(checklist) if not item.is_decided)
    planner_row, viewer_row = render(KEPT, undecided, can_edit=True), render(KEPT, undecided, can_edit=False)
    assert 'name="applies" value="yes"' in planner_row
    assert 'name="applies" value="yes"' not in viewer_row
    assert render(KEPT, undecided, token="") == render(PLAIN, undecided, token="")
    assert "csrfmiddlewaretoken" not in render(KEPT, undecided, token="")


def test_a_row_on_the_page_changes_as_soon_as_its_item_or_actions_change(client, checklist, org_a, planner, viewer):
    workload = item_for(checklist, "Workload")
    client.force_login(planner)

    def row():
        """Workload's row on the checklist page, read right after a change."""
        organisation_generations.organisation_changed(org_a.pk)
        html = client.get(f"/app/checklists/{checklist.pk}/").content.decode()
        return html.split(f'id="item-{workload.pk}"')[1].split('<div class="card mb-2')[0]

    assert "2 actions (1 in progress, 1 done)" in row() and "1 overdue" in row()
    Mitigation.objects.filter(checklist=checklist, action="Late").update(
        status=S.BLOCKED, due_date=TODAY + timedelta(days=3)
    )
    assert "2 actions (1 done, 1 blocked)" in row() and "overdue" not in row()
    make_mitigation(workload, "Another")
    assert "3 actions (1 planned, 1 done, 1 blocked)" in row()
    assert 'name="applies" value="yes"' in row()
    Item.objects.filter(pk=workload.pk).update(decided_at=timezone.now(), priority="high")
    assert "High priority" in row() and 'name="applies" value="yes"' not in row()
    client.force_login(viewer)
    Item.objects.filter(pk=workload.pk).update(decided_at=None)
    assert "Not reviewed yet" in row() and 'name="applies" value="yes"' not in row()
