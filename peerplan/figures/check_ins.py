"""The figures of a checklist's check-in, thresholded: what any page (the checklist, an item, the dashboard,
the board report, the API) may show of the answers, and nothing more.

The rules live here once:
- nothing of a round shows while it is open (not even how many answered);
- a statement's figures in a closed round show only when at least the threshold (never below
  settings.CHECK_IN_THRESHOLD) answered it on the scale; otherwise the round says only that too few did;
- comments show only when the check-in has comments on, from closed rounds that at least the threshold
  answered, in a fixed shuffled order and without dates.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

from django.conf import settings
from django.db.models import BigIntegerField, F, Func, OuterRef, Subquery

from evidence.models import OWN_WORDING, PEERPLAN_WORDING
from peerplan.figures import charts
from peerplan.lib.numbers import percent
from peerplan.lib.prepared import PreparedQuery
from peerplan.models import (
    AGREEING,
    SCALE,
    Answer,
    CheckIn,
    Item,
    Mitigation,
    MitigationStatus,
    Round,
    RoundComment,
    RoundStatement,
    RoundTally,
)


def threshold_of(check_in, round_=None):
    """The fewest answers a figure needs: the check-in's (for a round, the larger of the check-in's and the
    one its invitation promised when it opened), never below the site's."""
    return max(check_in.threshold, round_.threshold if round_ else 0, settings.CHECK_IN_THRESHOLD)


@dataclass(frozen=True)
class StatementRound:
    """One statement in one closed round: its figures, or None for all of them when too few answered."""

    number: int
    closes_on: date
    text: str
    counts: dict | None  # {Answer: count} for the five points of the scale
    not_applicable: int | None
    answered: int | None  # on the scale
    threshold: int = 5  # the fewest answers its figures needed

    @property
    def shown(self):
        return self.counts is not None

    @property
    def agreeing_percent(self):
        """Whole percent of those who answered on the scale who agree or strongly agree."""
        if not self.shown or not self.answered:
            return None
        return percent(sum(self.counts[a] for a in AGREEING), self.answered)

    def scale(self):
        """(label, count) for the five points, in order (for tables)."""
        return [(Answer(a).label, self.counts[a]) for a in SCALE] if self.shown else []


@dataclass
class StatementTrend:
    statement_id: int
    text: str  # as the latest round asked it
    wording_note: str
    rounds: list = field(default_factory=list)

    @property
    def any_shown(self):
        return any(r.shown for r in self.rounds)


@dataclass
class ItemTrend:
    """What a page shows beside one challenge: its statements across the closed rounds, the round open now
    (its number and last day, nothing else), and the days the challenge's actions were done."""

    item_id: int
    statements: list
    open_round: object  # a Round or None
    done_dates: list
    threshold: int
    chart: object = None

    @property
    def any_shown(self):
        return any(s.any_shown for s in self.statements)

    def drawn(self):
        """The trend with its chart (of its statements by round, its done days marked), where it shows any
        figure: drawn from those values alone, so a part kept for them (templatetags/item_rows.py) draws it
        only when it renders."""
        if self.chart is not None or not self.any_shown:
            return self
        chart = charts.agreement_chart(f"check-in-item-{self.item_id}", self.statements, self.done_dates)
        return replace(self, chart=chart)


def shown_counts(counts, threshold):
    """What may be shown of one statement in one closed round, from its tallies ({Answer: count}): (the five
    points' counts, "does not apply", how many answered on the scale), or three Nones below `threshold`.
    The one rule for every figure built here."""
    answered = sum(counts.get(a, 0) for a in SCALE)
    if answered < threshold:
        return None, None, None
    return {a: counts.get(a, 0) for a in SCALE}, counts.get(Answer.DOES_NOT_APPLY, 0), answered


def tallies(round_ids):
    """{(round id, statement id): {Answer: count}} of the given rounds (one query)."""
    return tallies_from(RoundTally.objects.filter(round_id__in=round_ids).values_list(*TALLY_FIELDS))


# A tally as tallies_from reads it.
TALLY_FIELDS = ("round_id", "statement_id", "answer", "count")


def tallies_from(rows):
    """tallies' answer from rows of TALLY_FIELDS."""
    counts = defaultdict(dict)
    for round_id, statement_id, answer, count in rows:
        counts[round_id, statement_id][answer] = count
    return counts


def trends_by_theme(rounds, check_ins):
    """{check-in id: {theme id: {statement id: StatementTrend}}}: each statement the given rounds ({id: Round},
    of `check_ins`, {id: CheckIn}) asked, in the order they asked them, with a StatementRound for each closed
    round (two queries: the statements asked, the closed rounds' tallies). A statement asked only by an open
    round is there with no figures."""
    asked = asked_in_order(RoundStatement.objects.filter(round_id__in=list(rounds)))
    counts = tallies([pk for pk, r in rounds.items() if r.is_closed])
    return trends_from(rounds, check_ins, asked, counts)


def asked_in_order(asked):
    """The query trends_by_theme reads the statements asked with: `asked` (RoundStatements) as trends_from takes
    them, in the order their rounds asked them."""
    return asked.order_by("round__check_in", "round__number", "position").values_list(
        "round_id", "statement_id", "text", "statement__theme_id", "statement__organisation_id"
    )


def trends_from(rounds, check_ins, asked, counts):
    """trends_by_theme's answer from the statements `asked` (asked_in_order's rows: those of rounds other than
    `rounds` are passed over) and the closed rounds' `counts` (tallies)."""
    result = defaultdict(lambda: defaultdict(dict))
    for round_id, statement_id, text, theme_id, organisation_id in asked:
        round_ = rounds.get(round_id)
        if round_ is None:
            continue
        by_theme = result[round_.check_in_id]
        trend = by_theme[theme_id].get(statement_id)
        if trend is None:
            note = OWN_WORDING if organisation_id else PEERPLAN_WORDING
            trend = by_theme[theme_id][statement_id] = StatementTrend(statement_id, text, note)
        trend.text = text  # as the latest round asked it
        if round_.is_closed:
            needed = threshold_of(check_ins[round_.check_in_id], round_)
            figures = shown_counts(counts[round_id, statement_id], needed)
            trend.rounds.append(StatementRound(round_.number, round_.closes_on, text, *figures, needed))
    return result


def done_links(links):
    """(item id, action id) of `links` (the items' and actions' through table) whose action is done."""
    return links.filter(mitigation__status=MitigationStatus.DONE).values_list("item_id", "mitigation_id")


def done_history(records):
    """The actions' history records as done_dates_from reads them, oldest first."""
    return records.order_by("history_date", "history_id").values_list("id", "status", "history_date")


def done_dates_from(links, records):
    """{item id: sorted days on which an action addressing it became done (and stayed done)}, from done_links'
    rows and those actions' done_history (the organisation's records only: history.py's rule)."""
    done_by = defaultdict(set)
    for item_id, mitigation_id in links:
        done_by[mitigation_id].add(item_id)
    became_done = {}
    for mitigation_id, status, when in records:
        if mitigation_id not in done_by:
            continue
        if status != MitigationStatus.DONE:
            became_done.pop(mitigation_id, None)
        else:
            became_done.setdefault(mitigation_id, when.date())
    dates = defaultdict(set)
    for mitigation_id, day in became_done.items():
        for item_id in done_by[mitigation_id]:
            dates[item_id].add(day)
    return {item_id: sorted(days) for item_id, days in dates.items()}


def trends_for_items(checklist, *, item=None, with_charts=True):
    """{item id: ItemTrend} for every challenge the checklist's check-in asks about (or only the item of id
    `item`, if it asks about it), empty without a check-in: per statement, per closed round, the thresholded
    figures. Seven queries at most however many rounds, statements and items (check_in_with_trends lists
    them)."""
    return check_in_with_trends(checklist, item=item, with_charts=with_charts)[1]


def _asked_items(check_in_id):
    """The items a check-in asks about."""
    return Item.objects.filter(check_ins=check_in_id)


def _done_links_of(check_in_id, item_id=None):
    # Joined to the check-in's items, not filtered by a subquery of them (or a list of their ids): SQLite then
    # reads the links from the check-in's items rather than every organisation's done actions (0.75 -> 0.02 ms
    # at the benchmark's size).
    links = Mitigation.items.through.objects.filter(item__check_ins=check_in_id)
    return done_links(links if item_id is None else links.filter(item_id=item_id))


def _done_history_of(organisation_id, check_in_id, item_id=None):
    done = _done_links_of(check_in_id, item_id).values("mitigation_id")
    # The organisation's records only (history.py's rule), found from the done actions' ids: SQLite (without
    # statistics) would otherwise walk the organisation's index, every record of every action it ever changed,
    # which grows with every write (0.37 -> 0.03 ms at the benchmark's size). A unary plus keeps the column
    # out of its choice of index, and changes nothing else (on PostgreSQL too).
    # A big integer, as the column is: an integer field's lookup refuses (EmptyResultSet) a value outside the
    # database's range for it, 32 bits on PostgreSQL.
    of_organisation = Func(F("organisation_id"), template="+%(expressions)s", output_field=BigIntegerField())
    return done_history(
        Mitigation.history.alias(record_organisation=of_organisation).filter(
            id__in=done, record_organisation=organisation_id
        )
    )


# check_in_with_trends' queries, compiled once per process (peerplan/lib/prepared.py): building and compiling
# them cost the checklist page more than running them. For the check-in (`check_in_id`) and for all its items
# (ALL_ITEMS) or one of them (ONE_ITEM: `item_id`), each a query of its own, as one is compiled for one set of
# values. Read where the queryset would have read them on the ids of the rows before (the rounds, the items):
# the same rows.
CHECK_IN = PreparedQuery(
    lambda checklist_id: CheckIn.objects.filter(checklist_id=checklist_id).order_by("pk")[:1], without_actions=True
)
# The check-in with the theme of one of its items (`item_id`), None where it does not ask about that item: for one
# item's trend, the check-in and whether it asks about the item in one query.
CHECK_IN_ASKING = PreparedQuery(
    lambda checklist_id, item_id: (
        CheckIn.objects.filter(checklist_id=checklist_id)
        .annotate(
            asked_theme_id=Subquery(
                CheckIn.items.through.objects.filter(checkin_id=OuterRef("pk"), item_id=item_id).values(
                    "item__finding__theme_id"
                )[:1]
            )
        )
        .order_by("pk")[:1]
    ),
    without_actions=True,
)
ROUNDS = PreparedQuery(lambda check_in_id: Round.objects.filter(check_in_id=check_in_id).order_by("number"))
ASKED = PreparedQuery(
    lambda check_in_id: asked_in_order(RoundStatement.objects.filter(round__check_in_id=check_in_id)),
    without_actions=True,
)
CLOSED_TALLIES = PreparedQuery(
    lambda check_in_id: RoundTally.objects.filter(
        round__check_in_id=check_in_id, round__closed_at__isnull=False
    ).values_list(*TALLY_FIELDS),
    without_actions=True,
)
ALL_ITEMS = {
    "themes": PreparedQuery(
        lambda check_in_id: _asked_items(check_in_id).values_list("pk", "finding__theme_id"), without_actions=True
    ),
    "done_links": PreparedQuery(_done_links_of),
    "done_history": PreparedQuery(_done_history_of),
}
ONE_ITEM = {
    "done_links": PreparedQuery(_done_links_of),
    "done_history": PreparedQuery(_done_history_of),
}


def check_in_with_trends(checklist, *, item=None, with_charts=True):
    """(the checklist's check-in or None, trends_for_items). Seven queries, one without a check-in:
    1. the check-in, 2. its items' themes, 3. its rounds, 4. the statements each round asked,
    5. the closed rounds' tallies, 6. the items' done actions, 7. those actions' history. For one item, the
    first two are one query (CHECK_IN_ASKING), and nothing more is read when the check-in does not ask about
    it. As the queryset would for no ids, a query whose rows are read for rows the one before found none of
    is not run."""
    if item is None:
        (check_in,) = CHECK_IN(checklist_id=checklist.pk) or (None,)
    else:
        (check_in,) = CHECK_IN_ASKING(checklist_id=checklist.pk, item_id=item) or (None,)
    if check_in is None:
        return None, {}
    if item is None:
        queries, values = ALL_ITEMS, {"check_in_id": check_in.pk}
        themes = dict(queries["themes"](**values))
    elif check_in.asked_theme_id is None:
        return check_in, {}  # a trend of the items it asks about only
    else:
        queries, values = ONE_ITEM, {"check_in_id": check_in.pk, "item_id": item}
        themes = {item: check_in.asked_theme_id}
    threshold = threshold_of(check_in)
    rounds = {}
    for round_ in ROUNDS(check_in_id=check_in.pk):
        round_.check_in = check_in  # as check_in.rounds would have it
        rounds[round_.pk] = round_
    open_round = next((r for r in rounds.values() if not r.is_closed), None)
    asked = ASKED(check_in_id=check_in.pk) if rounds else []
    closed = any(r.is_closed for r in rounds.values())
    counts = tallies_from(CLOSED_TALLIES(check_in_id=check_in.pk) if closed else [])
    by_theme = trends_from(rounds, {check_in.pk: check_in}, asked, counts)[check_in.pk]
    links = queries["done_links"](**values) if themes else []
    history = queries["done_history"](organisation_id=checklist.organisation_id, **values) if links else []
    done = done_dates_from(links, history)

    result = {}
    for item_id, theme_id in themes.items():
        statements = list(by_theme.get(theme_id, {}).values())
        trend = ItemTrend(item_id, statements, open_round, done.get(item_id, []), threshold)
        result[item_id] = trend.drawn() if with_charts else trend
    return check_in, result


def comments_by_round(rounds, check_in):
    """{round id: its comments in their fixed shuffled order}, for the rounds whose comments may be shown
    (one query, or none)."""
    shown = [r.pk for r in rounds if comments_shown(r, check_in)]
    comments = defaultdict(list)
    if shown:
        for round_id, text in RoundComment.objects.filter(round_id__in=shown).values_list("round_id", "text"):
            comments[round_id].append(text)
    return comments


def comments_shown(round_, check_in):
    """Whether a round's comments may be shown: comments on, the round closed, and enough answered."""
    return check_in.comments_on and round_.is_closed and round_.answered_count >= threshold_of(check_in, round_)


def round_summary(round_, check_in):
    """How many answered a closed round, or None (open, or fewer than the threshold: then not even that)."""
    if not round_.is_closed or round_.answered_count < threshold_of(check_in, round_):
        return None
    return round_.answered_count


@dataclass(frozen=True)
class AskedFigures:
    """One statement as a closed round asked it, with its figures where shown (None where too few answered)."""

    statement: object  # the Statement, with its theme, category and source loaded
    text: str  # as the round asked it
    position: int
    counts: dict | None  # {Answer: count} for the five points of the scale
    not_applicable: int | None


@dataclass(frozen=True)
class RoundFigures:
    """What may be shown of one round: of an open one nothing but the round itself (its number and dates);
    of a closed one how many answered, each statement it asked and its comments, each where the rules show it."""

    round: object
    answered: int | None
    statements: list
    # None where comments are not shown (off, or too few answered); else in alphabetical order, which says
    # nothing of when or by whom, and which a copy (whose rows get new random ids) keeps.
    comments: list | None


def rounds_with_figures(check_in):
    """Every round of the check-in, in order, as RoundFigures (the organisation archive's check-ins): the
    rules at the top of this module, never a figure they hide. Four queries, or three without comments."""
    rounds = list(check_in.rounds.order_by("number"))
    closed = [r.pk for r in rounds if r.is_closed]
    asked = defaultdict(list)
    for row in (
        RoundStatement.objects.filter(round_id__in=closed)
        .select_related("statement__theme__category__source")
        .order_by("round_id", "position")
    ):
        asked[row.round_id].append(row)
    counts = tallies(closed)
    comments = comments_by_round(rounds, check_in)
    result = []
    for round_ in rounds:
        if not round_.is_closed:
            result.append(RoundFigures(round_, None, [], None))
            continue
        needed = threshold_of(check_in, round_)
        statements = []
        for row in asked[round_.pk]:
            shown, not_applicable, _ = shown_counts(counts[round_.pk, row.statement_id], needed)
            statements.append(AskedFigures(row.statement, row.text, row.position, shown, not_applicable))
        texts = sorted(comments.get(round_.pk, [])) if comments_shown(round_, check_in) else None
        result.append(RoundFigures(round_, round_summary(round_, check_in), statements, texts))
    return result
