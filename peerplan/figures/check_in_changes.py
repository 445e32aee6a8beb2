"""Check-in figures across many checklists at once, for the pages that show more than one (the dashboard's
lists, a network's members), in a fixed number of queries.

Every figure here is a figures.check_ins.StatementRound, built by the same code as the checklist's own
pages (figures.check_ins.trends_by_theme: shown_counts, each round's own threshold_of): nothing of an open
round, and a closed round's figures of a statement only where at least the threshold answered it. Figures are
never added up across check-ins or organisations, so no total can show what a round below the threshold held
back.

The dashboard's rules, stated once:
- worse: a statement's % agreeing fell by at least CHANGE_POINTS between the check-in's last two closed
  rounds, both shown for that statement (a round below the threshold puts nothing on the list);
- not improved: every action addressing the challenge that is not dropped is done (at least one), and no
  statement's % agreeing rose by at least CHANGE_POINTS from the last closed round that closed on or before the
  day the last of them was done to the latest closed round that opened after it (both shown). Until a round
  has opened and closed after the actions were done, the challenge is not listed: nothing to compare yet.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import Count, Q

from peerplan.figures.check_ins import (
    TALLY_FIELDS,
    StatementRound,
    asked_in_order,
    done_dates_from,
    done_history,
    done_links,
    tallies_from,
    trends_by_theme,
    trends_from,
)
from peerplan.lib.prepared import PreparedQuery
from peerplan.models import (
    LIVE_STATUSES,
    CheckIn,
    ChecklistStatus,
    Item,
    Mitigation,
    MitigationStatus,
    Round,
    RoundStatement,
    RoundTally,
)

# How far a statement's % agreeing must move between two rounds to count as a change, in percentage points.
# Small rounds move by a few points from one person's answer (one of 5 is 20 points; of 20, 5 points).
CHANGE_POINTS = 10


@dataclass(frozen=True)
class Change:
    """One statement of a challenge compared between two closed rounds, both shown."""

    text: str
    wording_note: str
    before: StatementRound
    after: StatementRound

    @property
    def points(self):
        return self.after.agreeing_percent - self.before.agreeing_percent


@dataclass
class ChallengeChange:
    """A challenge on one of the dashboard's lists, with the statements that put it there."""

    item: Item
    changes: list


@dataclass
class CheckInTrends:
    """One check-in's closed rounds, in order, and the trend of each statement they asked, by theme."""

    check_in: CheckIn
    rounds: list = field(default_factory=list)
    by_theme: dict = field(default_factory=lambda: defaultdict(dict))  # theme id: {statement id: StatementTrend}

    def for_theme(self, theme_id):
        return list(self.by_theme.get(theme_id, {}).values())


def statement_trends(check_ins):
    """{check-in id: CheckInTrends} for `check_ins`: each statement their closed rounds asked, with the
    thresholded figures of each (three queries: the closed rounds, the statements they asked, their tallies)."""
    result = {c.pk: CheckInTrends(c) for c in check_ins}
    rounds = {r.pk: r for r in Round.objects.closed().filter(check_in__in=list(result)).order_by("check_in", "number")}
    for round_ in rounds.values():
        result[round_.check_in_id].rounds.append(round_)
    for check_in_id, by_theme in trends_by_theme(
        rounds, {pk: trends.check_in for pk, trends in result.items()}
    ).items():
        result[check_in_id].by_theme = by_theme
    return result


def _compared(trend, before, after):
    """The statement between rounds numbered `before` and `after`, when both asked it and both are shown."""
    by_number = {r.number: r for r in trend.rounds}
    first, last = by_number.get(before), by_number.get(after)
    if first is None or last is None or first.agreeing_percent is None or last.agreeing_percent is None:
        return None
    return Change(trend.text, trend.wording_note, first, last)


def _worse(statements, rounds):
    """The statements that fell by CHANGE_POINTS or more over the check-in's last two closed rounds."""
    if len(rounds) < 2:
        return []
    changes = (_compared(trend, rounds[-2].number, rounds[-1].number) for trend in statements)
    return [c for c in changes if c is not None and c.points <= -CHANGE_POINTS]


def _not_improved(statements, rounds, done_on):
    """The statements compared from before the actions were all done to after, when none of them rose by
    CHANGE_POINTS or more (else an empty list: improved, or nothing to compare)."""
    before = [r.number for r in rounds if r.closes_on <= done_on]
    after = [r.number for r in rounds if r.opens_on > done_on]
    if not before or not after:
        return []
    changes = [c for c in (_compared(trend, before[-1], after[-1]) for trend in statements) if c is not None]
    if any(c.points >= CHANGE_POINTS for c in changes):
        return []
    return changes


def _of_tracked_check_ins(organisation_id, via):
    """Rows reached through a check-in (`via` it) of one of the organisation's active checklists: those the
    dashboard's lists read (its checklists are the active ones)."""
    return {
        f"{via}checklist__organisation_id": organisation_id,
        f"{via}checklist__status": ChecklistStatus.ACTIVE,
    }


# The check-in lists' queries, compiled once per process (peerplan/lib/prepared.py): built the same way on every
# request, for the organisation alone. Each reads what the check-ins of the organisation's active checklists
# hold; dashboard_changes keeps what belongs to check-ins with two closed rounds. The first four read no action.
CLOSED_ROUNDS = PreparedQuery(
    lambda organisation_id: (
        Round.objects.closed()
        .filter(**_of_tracked_check_ins(organisation_id, "check_in__"))
        .select_related("check_in")
        .order_by("check_in", "number")
    ),
    without_actions=True,
)
ASKED = PreparedQuery(
    lambda organisation_id: asked_in_order(
        RoundStatement.objects.filter(
            round__closed_at__isnull=False, **_of_tracked_check_ins(organisation_id, "round__check_in__")
        )
    ),
    without_actions=True,
)
TALLIES = PreparedQuery(
    lambda organisation_id: RoundTally.objects.filter(
        round__closed_at__isnull=False, **_of_tracked_check_ins(organisation_id, "round__check_in__")
    ).values_list(*TALLY_FIELDS),
    without_actions=True,
)
ASKED_ABOUT = PreparedQuery(
    lambda organisation_id: (
        Item.objects.filter(**_of_tracked_check_ins(organisation_id, "check_ins__"))
        .select_related("checklist", "finding__theme")
        # What the lists show of a challenge (its theme's name, its checklist's title) and what places it.
        .only("checklist__title", "finding__theme__name")
        .in_published_order()
    ),
    without_actions=True,
)
# Their actions counted, apart: a change to an action leaves the challenges as they were (kept), and these
# counts need neither the evidence nor an order.
ACTIONS_OF_ASKED_ABOUT = PreparedQuery(
    lambda organisation_id: (
        Item.mitigations.through.objects.filter(**_of_tracked_check_ins(organisation_id, "item__check_ins__"))
        .values("item_id")
        .annotate(
            live=Count("mitigation", filter=Q(mitigation__status__in=LIVE_STATUSES), distinct=True),
            done=Count("mitigation", filter=Q(mitigation__status=MitigationStatus.DONE), distinct=True),
        )
        .values_list("item_id", "live", "done")
        .order_by()
    )
)


def _done_links(organisation_id):
    return done_links(
        Item.mitigations.through.objects.filter(**_of_tracked_check_ins(organisation_id, "item__check_ins__"))
    )


DONE_LINKS = PreparedQuery(_done_links)
DONE_HISTORY = PreparedQuery(
    lambda organisation_id: done_history(
        Mitigation.history.filter(
            organisation_id=organisation_id, id__in=_done_links(organisation_id).values("mitigation_id")
        )
    )
)


def dashboard_changes(organisation, checklists):
    """The dashboard's two lists for the organisation's `checklists` (its active ones, read with their
    `has_check_in`: pages.dashboard.dashboard), as the module's rules say: {"any_check_in", "worse":
    [ChallengeChange], "not_improved": [ChallengeChange]}, challenges in the checklists' order and then
    published order. Seven queries whatever the size: the closed rounds with their check-ins (1), the statements
    they asked and their tallies (2, as figures.check_ins.trends_by_theme), the challenges asked about (1) and
    their actions counted (1), the days actions were done (2, as figures.check_ins.check_in_with_trends); none
    where no checklist has a check-in, only the first where no check-in has two closed rounds, and not the last
    two where no challenge asked about has all its actions done."""
    if not any(checklist.has_check_in for checklist in checklists):
        # Most organisations: the rest would only build queries that cannot find anything.
        return {"any_check_in": False, "worse": [], "not_improved": []}
    trends = {}
    for round_ in CLOSED_ROUNDS(organisation_id=organisation.pk):
        trends.setdefault(round_.check_in_id, CheckInTrends(round_.check_in)).rounds.append(round_)
    # Both lists compare two closed rounds of one check-in (worse: the last two; not improved: one that closed
    # before the actions were done and one that opened after), so a check-in with fewer has nothing on them yet.
    trends = {pk: trend for pk, trend in trends.items() if len(trend.rounds) >= 2}
    if not trends:
        return {"any_check_in": True, "worse": [], "not_improved": []}
    compared = {round_.pk: round_ for trend in trends.values() for round_ in trend.rounds}
    check_ins = {pk: trend.check_in for pk, trend in trends.items()}
    asked, counts = ASKED(organisation_id=organisation.pk), tallies_from(TALLIES(organisation_id=organisation.pk))
    for check_in_id, by_theme in trends_from(compared, check_ins, asked, counts).items():
        trends[check_in_id].by_theme = by_theme
    check_in_of = {c.checklist_id: c.pk for c in check_ins.values()}
    items = [item for item in ASKED_ABOUT(organisation_id=organisation.pk) if item.checklist_id in check_in_of]
    all_done = {
        item_id
        for item_id, live, done in ACTIONS_OF_ASKED_ABOUT(organisation_id=organisation.pk)
        if live and done == live
    }
    # When each was done matters only to a challenge whose actions are all done (not improved): none, no reading.
    done_dates = (
        done_dates_from(DONE_LINKS(organisation_id=organisation.pk), DONE_HISTORY(organisation_id=organisation.pk))
        if all_done
        else {}
    )
    order = {c.pk: n for n, c in enumerate(checklists)}
    worse, not_improved = [], []
    for item in sorted(items, key=lambda item: order[item.checklist_id]):
        check_in = trends[check_in_of[item.checklist_id]]
        statements = check_in.for_theme(item.finding.theme_id)
        if changes := _worse(statements, check_in.rounds):
            worse.append(ChallengeChange(item, changes))
        if item.pk in all_done and done_dates.get(item.pk):
            if changes := _not_improved(statements, check_in.rounds, max(done_dates[item.pk])):
                not_improved.append(ChallengeChange(item, changes))
    return {"any_check_in": True, "worse": worse, "not_improved": not_improved}


# A network's page shows this many of the latest closed rounds of each statement.
NETWORK_ROUNDS = 3


@dataclass
class SharedChallenge:
    """One challenge of a member's checklist as a network's coordinators see it: its statements with the
    thresholded figures of their last NETWORK_ROUNDS closed rounds."""

    theme: str
    statements: list


def shared_trends(checklists):
    """{checklist id: [SharedChallenge]} for `checklists`, in published order, each under its own check-in's
    threshold. Only for members whose owner agreed to share check-in trends: the caller passes only their
    checklists. Five queries (none without a checklist): the check-ins, statement_trends (3), the challenges
    they ask about."""
    check_ins = list(CheckIn.objects.filter(checklist__in=checklists))
    trends = statement_trends(check_ins)
    check_in_of = {c.checklist_id: c.pk for c in check_ins}
    result = defaultdict(list)
    for item in Item.objects.filter(check_ins__in=check_ins).select_related("finding__theme").in_published_order():
        statements = trends[check_in_of[item.checklist_id]].for_theme(item.finding.theme_id)
        latest = [replace(s, rounds=s.rounds[-NETWORK_ROUNDS:]) for s in statements]
        result[item.checklist_id].append(SharedChallenge(item.finding.theme.name, latest))
    return result
