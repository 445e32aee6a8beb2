"""What the checklist and item pages repeat is rendered once per process for what it shows
(peerplan/templatetags/item_rows.py): it is exactly what the template makes of it, and a change to anything
it shows shows at once."""

import dataclasses
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from peerplan.figures import charts
from peerplan.figures.check_ins import ItemTrend, StatementRound, StatementTrend
from peerplan.models import Answer
from peerplan.pages.history import Change, Entry
from peerplan.templatetags.item_rows import frozen, render_history, render_trend

PLAIN_TREND = Template('{% include "peerplan/check_ins/trend.html" %}')
KEPT_TREND = Template("{% load item_rows %}{% check_in_trend trend %}")
DAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _rendered_afresh():
    render_trend.cache_clear()
    yield
    render_trend.cache_clear()


def counts(agree):
    return {
        Answer.STRONGLY_DISAGREE: 1,
        Answer.DISAGREE: 1,
        Answer.NEITHER: 1,
        Answer.AGREE: agree,
        Answer.STRONGLY_AGREE: 2,
    }


def a_round(number, agree=3, shown=True):
    if not shown:
        return StatementRound(number, DAY + timedelta(weeks=4 * number), "I know what my role is", None, None, None, 5)
    return StatementRound(
        number, DAY + timedelta(weeks=4 * number), "I know what my role is", counts(agree), 1, 5 + agree, 5
    )


def a_trend(*, rounds=None, text="I know what my role is", note="PeerPlan's wording", open_round=None, done=()):
    statement = StatementTrend(7, text, note, rounds if rounds is not None else [a_round(1), a_round(2, agree=6)])
    trend = ItemTrend(12, [statement], open_round, list(done), 5)
    if statement.any_shown:
        trend.chart = charts.agreement_chart("check-in-item-12", [statement], trend.done_dates)
    return trend


def render(template, trend):
    return template.render(Context({"trend": trend}, use_l10n=False))


VARIANTS = {
    "an answer more": lambda: a_trend(rounds=[a_round(1), a_round(2, agree=7)]),
    "a round more": lambda: a_trend(rounds=[a_round(1), a_round(2, agree=6), a_round(3, agree=2)]),
    "a round too few answered": lambda: a_trend(rounds=[a_round(1), a_round(2, shown=False)]),
    "the statement reworded": lambda: a_trend(text="I know what is expected of me"),
    "its wording note": lambda: a_trend(note="Your service's own wording"),
    "a round open": lambda: a_trend(open_round=SimpleNamespace(number=3, closes_on=DAY + timedelta(weeks=13))),
    "the open round's last day": lambda: a_trend(
        open_round=SimpleNamespace(number=3, closes_on=DAY + timedelta(weeks=14))
    ),
    "an action done": lambda: a_trend(done=[DAY + timedelta(weeks=5)]),
    "another day done": lambda: a_trend(done=[DAY + timedelta(weeks=6)]),
    "no closed round yet": lambda: a_trend(rounds=[]),
}


def test_a_kept_trend_is_what_the_template_makes_of_it():
    trend = a_trend()
    assert "Agreeing, by round" in render(PLAIN_TREND, trend)
    assert render(KEPT_TREND, trend) == render(PLAIN_TREND, trend)
    assert render(KEPT_TREND, a_trend()) == render(PLAIN_TREND, trend)  # kept: the same figures, read again
    assert render_trend.cache_info().hits == 1


@pytest.mark.parametrize("change", list(VARIANTS))
def test_a_change_to_anything_a_trend_shows_shows_at_once(change):
    # Kept first: the trend as it was, and with a round open (so its last day alone can change).
    render(KEPT_TREND, a_trend())
    render(KEPT_TREND, a_trend(open_round=SimpleNamespace(number=3, closes_on=DAY + timedelta(weeks=13))))
    changed = VARIANTS[change]()
    assert render(PLAIN_TREND, changed) != render(PLAIN_TREND, a_trend())
    assert render(KEPT_TREND, changed) == render(PLAIN_TREND, changed)


@pytest.mark.parametrize("change", list(VARIANTS))
def test_a_trend_the_page_left_undrawn_is_kept_with_the_chart_its_figures_draw(change):
    # The pages leave the chart to be drawn when the kept part is rendered: its figures are the whole key.
    def undrawn(trend):
        return dataclasses.replace(trend, chart=None)

    render(KEPT_TREND, undrawn(a_trend()))
    changed = VARIANTS[change]()
    assert render(KEPT_TREND, undrawn(changed)) == render(PLAIN_TREND, changed)
    assert render(KEPT_TREND, undrawn(a_trend())) == render(PLAIN_TREND, a_trend())


def test_a_value_of_a_type_the_key_does_not_know_is_refused():
    with pytest.raises(TypeError):
        frozen(a_trend(open_round=object()))
    assert frozen(dataclasses.replace(a_trend(), done_dates=[DAY])) != frozen(a_trend())


# The item page's decision form.

PLAIN_FORM = Template("{% load crispy_forms_tags %}{% crispy form %}")
KEPT_FORM = Template("{% load item_rows %}{% decision_fields form %}")


def fields_of(template, form):
    return template.render(Context({"form": form}, use_l10n=False))


@pytest.fixture
def decisions(draft_checklist, planner):
    """A challenge not decided yet, and one benefit: the forms differ in their fields."""
    challenge = draft_checklist.items.challenges().order_by("pk")[0]
    benefit = draft_checklist.items.exclude(pk__in=draft_checklist.items.challenges()).order_by("pk")[0]
    return challenge, benefit, planner


def test_a_kept_decision_form_is_what_crispy_makes_of_it_and_shows_each_change_at_once(decisions):
    from peerplan.forms.checklists import ItemDecisionForm
    from peerplan.operations.checklists import decide_item
    from peerplan.templatetags.item_rows import render_unbound_form

    render_unbound_form.cache_clear()
    challenge, benefit, planner = decisions
    seen = set()

    def check(item):
        item.refresh_from_db()
        form = ItemDecisionForm(instance=item)
        kept = fields_of(KEPT_FORM, form)
        assert kept == fields_of(PLAIN_FORM, ItemDecisionForm(instance=item))
        assert kept not in seen  # each state below shows differently
        seen.add(kept)

    check(challenge)
    check(benefit)
    decide_item(item=challenge, applies=True, priority="high", by=planner)
    check(challenge)
    decide_item(item=challenge, applies=True, priority="low", by=planner)
    check(challenge)
    decide_item(item=challenge, applies=True, priority="low", note="Fixture note", by=planner)
    check(challenge)
    decide_item(item=challenge, applies=False, reason="Fixture: no PSWs yet", rereview_on=DAY, by=planner)
    check(challenge)
    decide_item(
        item=challenge, applies=False, reason="Fixture: no PSWs yet", rereview_on=DAY + timedelta(1), by=planner
    )
    check(challenge)
    decide_item(item=benefit, applies=True, by=planner)
    check(benefit)
    assert render_unbound_form.cache_info().currsize == len(seen)


def test_a_decision_form_sent_back_with_its_mistakes_is_rendered_afresh(decisions):
    from peerplan.forms.checklists import ItemDecisionForm

    challenge, _, _ = decisions
    form = ItemDecisionForm({"applies": "no", "priority": "high", "note": "Kept as typed"}, instance=challenge)
    assert not form.is_valid()
    kept = fields_of(KEPT_FORM, form)
    assert kept == fields_of(PLAIN_FORM, form)
    assert "Say why this does not apply to your service." in kept and "Kept as typed" in kept


# The item page's history.

PLAIN_HISTORY = Template('{% include "includes/timeline.html" with entries=timeline %}')
KEPT_HISTORY = Template("{% load item_rows %}{% item_history timeline %}")
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def an_entry(**values):
    return Entry(
        **{
            "when": WHEN,
            "who": "Maya Okafor",
            "sentence": "Maya Okafor decided the challenge “Workload” applies",
            "kind": "changed",
            "changes": [Change("priority", "Medium", "High")],
            "reason": "",
            "history_id": 41,
            "object_pk": 7,
            **values,
        }
    )


HISTORIES = {
    "another sentence": lambda: [an_entry(sentence="Sam Lee decided the challenge “Workload” does not apply")],
    "a reason": lambda: [an_entry(reason="After the <ward> review")],
    "another time": lambda: [an_entry(when=WHEN + timedelta(minutes=1))],
    "an entry more": lambda: [an_entry(history_id=42, when=WHEN + timedelta(days=1)), an_entry()],
    "none": lambda: [],
}


def test_a_kept_history_is_what_the_timeline_makes_of_it_and_shows_each_change_at_once():
    render_history.cache_clear()
    rendered = [(KEPT_HISTORY.render(Context({"timeline": [an_entry()]})), [an_entry()])]
    for change in HISTORIES.values():
        rendered.append((KEPT_HISTORY.render(Context({"timeline": change()})), change()))
    for kept, entries in rendered:
        assert kept == PLAIN_HISTORY.render(Context({"timeline": entries}))
    assert len({kept for kept, _ in rendered}) == len(rendered)
    assert KEPT_HISTORY.render(Context({"timeline": [an_entry()]})) == rendered[0][0]
    assert render_history.cache_info().hits == 1
    # Times are written in the person's time zone: another zone is another key.
    with timezone.override(ZoneInfo("America/New_York")):
        assert KEPT_HISTORY.render(Context({"timeline": [an_entry()]})) == PLAIN_HISTORY.render(
            Context({"timeline": [an_entry()]})
        )
        assert "04:30" in KEPT_HISTORY.render(Context({"timeline": [an_entry()]}))
    render_history.cache_clear()
