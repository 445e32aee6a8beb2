"""The dashboard, the action lists' quick views and in-place edits, and progress pages (the action lists'
rows and first pages: pages/action_lists.py)."""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Value
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse

from peerplan.figures import charts
from peerplan.figures.tracking import (
    DUE_SOON_DAYS,
    QUICK_VIEW_LABELS,
    STATUS_ORDER,
    TREND_MONTHS,
    Progress,
    counted_by_index,
    coverage_grid_rows,
    coverage_of_rows,
    grid_from_rows,
    progress_and_totals_from_counts,
    progress_over_time,
)
from peerplan.lib.kept_parts import kept
from peerplan.lib.prepared import PreparedQuery
from peerplan.lib.row_links import url_parts
from peerplan.models import (
    MEMBER_NAME_FIELDS,
    CheckIn,
    Checklist,
    ChecklistStatus,
    Coverage,
    Item,
    MemberName,
    Membership,
    Mitigation,
    MitigationStatus,
    display_name,
    due_between_q,
    no_due_date_q,
    no_owner_in_checklists_q,
    open_q,
    soonest_due_key,
    theme_name_links,
    tracked_q,
    with_theme_names,
)
from peerplan.pages import checklist_counts, page_cache
from peerplan.pages.action_lists import LIST_PAGE_SIZE, LISTED_FIELDS, listed
from peerplan.pages.findings import kept_findings

# The checklist page shows the few suggestions that would cover most; the rest are on each item.
LEVERAGE_SHOWN = 5


# Lists on the dashboard show this many and link to the full, filtered action list.
DASHBOARD_LIST_LENGTH = 10


@dataclass
class ChecklistSummary:
    checklist: Checklist
    progress: object
    coverage: object


@dataclass
class ActionList:
    """A short list for the dashboard, with the full count and the action list's query for exactly the
    same actions: its quick view, the same queryset rule (figures.tracking.QUICK_VIEWS)."""

    actions: list
    count: int
    query: str


# My actions are the person's own already: "No owner" and "Mine" would say nothing there.
MY_ACTIONS_VIEWS = [view for view in QUICK_VIEW_LABELS if view not in ("no_owner", "mine")]


@dataclass
class QuickViewLink:
    label: str
    query: str
    current: bool


def quick_view_links(query, keep, views=tuple(QUICK_VIEW_LABELS)):
    """A link for each quick view, and "All", keeping the list's other parameters in `keep` (its filters; a
    new view starts at its first page): bookmarkable, and combinable with the filters."""
    kept = [(name, value) for name, values in query.lists() if name in keep - {"view", "page"} for value in values]
    asked = query.get("view", "")
    links = [QuickViewLink("All", urlencode(kept), not asked)]
    for view in views:
        links.append(QuickViewLink(QUICK_VIEW_LABELS[view], urlencode([*kept, ("view", view)]), asked == view))
    return links


def _shown_checklists(organisation_id):
    """The active checklists and drafts (the drafts are only named), with whether each has a check-in: the
    check-in lists (check_in_changes.dashboard_changes) then need no query of their own where none has one,
    as in most organisations."""
    shown = Checklist.objects.filter(
        organisation_id=organisation_id, status__in=[ChecklistStatus.ACTIVE, ChecklistStatus.DRAFT]
    )
    # Only what the page and the API read of a checklist: a large organisation's fifty checklists' texts and times
    # were most of this query's time.
    return (
        shown.only("organisation", "title", "service", "status", "review_date")
        .annotate(has_check_in=Exists(CheckIn.objects.filter(checklist=OuterRef("pk"))))
        .order_by("title", "pk")
    )


def _tracked(organisation_id):
    """The organisation's tracked actions: those of its active checklists (tracked_q, the one rule for drafts,
    asked of the checklists), as a subquery. SQLite (without statistics) then reads each checklist's actions from
    the (checklist, status, due date) index rather than every organisation's actions from the (status, due date)
    one; and no action is joined to its checklist to ask its status again (Mitigation.tracked() would: a large
    organisation's 5,000 actions counted by status took twice as long)."""
    active = Checklist.objects.filter(tracked_q(via=""), organisation_id=organisation_id)
    return Mitigation.objects.filter(checklist_id__in=active.values("pk"))


def _totals(today, soon):
    """The figures the page counts over the tracked actions besides each checklist's progress (which counts
    overdue and blocked already: overdue_q, and the blocked status)."""
    return {
        "due_soon": due_between_q(today, soon),
        "no_owner": open_q() & no_owner_in_checklists_q(),
        "no_due_date": open_q() & no_due_date_q(),
    }


def _progress(organisation_id, today, soon, **some):
    """Each active checklist's progress, and _totals per checklist, in one query of counts read from the index
    (`some`: of those checklists alone, checklist_counts.some_of)."""
    return counted_by_index(_of_some(_tracked(organisation_id), some), today, _totals(today, soon))


def _of_some(queryset, some):
    return queryset.filter(checklist_id__in=list(some.values())) if some else queryset


def _grid(organisation_id, **some):
    active = Item.objects.filter(checklist__organisation_id=organisation_id, checklist__status=ChecklistStatus.ACTIVE)
    return coverage_grid_rows(_of_some(active, some))


def _listed_actions(rule, organisation_id, today, soon):
    """The first DASHBOARD_LIST_LENGTH of the organisation's tracked actions that `rule` keeps, soonest due first."""
    # Through _tracked: the overdue list's SQL at the benchmark's size took 0.6 ms from the status index, 0.02 ms
    # from the checklist one.
    return rule(_tracked(organisation_id), today, soon).soonest_due_first()[:DASHBOARD_LIST_LENGTH]


def _listed(rule):
    """_listed_actions, the actions whole, as a prepared query."""
    return PreparedQuery(
        lambda organisation_id, today, soon: (
            _listed_actions(rule, organisation_id, today, soon).for_listing().with_overdue(today)
        )
    )


def _rereview_due(organisation_id, today):
    return (
        Item.objects.filter(checklist__organisation_id=organisation_id, checklist__status=ChecklistStatus.ACTIVE)
        .rereview_due(today)
        .select_related("checklist", "finding__theme")
        # Only what the page and the API show: an item, its checklist, finding and theme whole were three times
        # as long to make as the query was to run.
        .only("rereview_on", "checklist__title", "finding__theme__name")
        .order_by("rereview_on", "pk")
    )


# The dashboard's queries, compiled once per process (peerplan/lib/prepared.py): each is built the same way on
# every request, for the organisation and today (and the last day of "due soon"). Building and compiling
# them was a third of the page's miss.
SHOWN_CHECKLISTS = PreparedQuery(_shown_checklists, without_actions=True)
# Counted per checklist, and kept per checklist until its actions or the organisation's other data change: each a
# prepared query for the organisation's checklists and one for some of them by their ids (compiled apart, as their
# values differ).
PROGRESS = checklist_counts.PerChecklist("progress", PreparedQuery(_progress), PreparedQuery(_progress))
GRID = checklist_counts.PerChecklist("grid", PreparedQuery(_grid), PreparedQuery(_grid))
LIST_RULES = {
    "overdue": lambda actions, today, soon: actions.overdue(today),
    "due_soon": lambda actions, today, soon: actions.filter(due_between_q(today, soon)),
    "blocked": lambda actions, today, soon: actions.blocked(),
}
# The lists' actions whole, for the API, which shows every field.
LISTS = {name: _listed(rule) for name, rule in LIST_RULES.items()}


def _list_rows(organisation_id, today, soon):
    """The actions of the three lists as the page's rows show them: rows of (the list's place in LIST_RULES,
    *action_lists.LISTED_FIELDS), in no order (lists_from_rows puts them in theirs). One query: each list's
    actions picked by their ids (the subquery of _listed's), and the three read together. Three queries were a
    third of the lists' time at the benchmark's size, most of it the work of a query itself, not its SQL."""
    parts = [
        Mitigation.objects.filter(pk__in=_listed_actions(rule, organisation_id, today, soon).values("pk"))
        .for_listing()
        .with_overdue(today)
        .values_list(Value(place), *LISTED_FIELDS)
        .order_by()  # a part of a union has no order of its own
        for place, rule in enumerate(LIST_RULES.values())
    ]
    return parts[0].union(*parts[1:], all=True)


LIST_ROWS = PreparedQuery(_list_rows)


def lists_from_rows(rows):
    """{name of each of LIST_RULES: its actions (ListedAction), soonest due first} from _list_rows' rows."""
    names = list(LIST_RULES)
    found = {name: [] for name in names}
    for place, *row in rows:
        found[names[place]].append(row)
    due, pk = LISTED_FIELDS.index("due_date"), LISTED_FIELDS.index("pk")
    return {
        name: listed(sorted(its_rows, key=lambda row: soonest_due_key(row[due], row[pk])))
        for name, its_rows in found.items()
    }


REREVIEW_DUE = PreparedQuery(_rereview_due, without_actions=True)
# The actions of the dashboard's three lists or of a list's page: at most LISTED_MOST, their ids padded to that
# many with 0 (no action's id), so one prepared query reads the themes of any of them.
LISTED_MOST = max(3 * DASHBOARD_LIST_LENGTH, LIST_PAGE_SIZE)
THEME_NAMES = PreparedQuery(lambda **ids: theme_name_links(list(ids.values())))


def _padded_ids(actions):
    ids = [action.pk for action in actions] + [0] * (LISTED_MOST - len(actions))
    return {f"action_{n:02}": pk for n, pk in enumerate(ids)}


def with_their_theme_names(actions):
    """with_theme_names(actions) (at most LISTED_MOST of them), their themes read by THEME_NAMES (no query
    without any)."""
    actions = list(actions)
    return with_theme_names(actions, THEME_NAMES(**_padded_ids(actions)) if actions else [])


def _shown(organisation):
    """The organisation's active checklists and its drafts, from SHOWN_CHECKLISTS."""
    shown = SHOWN_CHECKLISTS(organisation_id=organisation.pk)
    active = [c for c in shown if c.status == ChecklistStatus.ACTIVE]
    drafts = [c for c in shown if c.status == ChecklistStatus.DRAFT]
    return active, drafts


def _coverage_grid(rows, checklists, evidence_generation):
    """The coverage grid from GRID's `rows` of the active `checklists`, its themes the findings' this process
    keeps for `evidence_generation` (no query)."""
    return grid_from_rows(rows, checklists, kept_findings(evidence_generation).of_theme)


def coverage(organisation, *, evidence_generation=None):
    """The coverage page's grid: challenge themes (rows, in published order) against the active checklists
    (columns), each cell counted as on the dashboard and kept per checklist with its counts; and the drafts it
    leaves out (the one rule for drafts, said as every page says it)."""
    if evidence_generation is None:
        evidence_generation = page_cache.evidence_generation()
    checklists, drafts = _shown(organisation)
    kept_in = checklist_counts.generations_of(organisation.pk, [c.pk for c in checklists], evidence_generation)
    rows = checklist_counts.rows(GRID, organisation.pk, kept_in)
    grid = _coverage_grid(rows, checklists, evidence_generation)
    return {"grid": grid, "grid_checklists": checklists, "drafts": drafts}


def dashboard(organisation, today, *, rows_only=False, evidence_generation=None, with_grid=False):
    """Everything the dashboard shows, in a fixed number of queries whatever the data size; `rows_only`: the
    lists' actions as their rows show them (action_lists.ListedAction), for the page; `with_grid`: the coverage
    grid too (for the API: the page has it on a page of its own, coverage()). The grid's themes are the
    findings' this process keeps for `evidence_generation` (page_cache.evidence_generation: the one the page is
    built in; read now when not given).

    The one rule for drafts (tracked_q), as on every page: only active checklists count. The page says
    how many drafts there are and links to each so one can be made active."""
    checklists, drafts = _shown(organisation)
    if evidence_generation is None:
        evidence_generation = page_cache.evidence_generation()
    kept_in = checklist_counts.generations_of(organisation.pk, [c.pk for c in checklists], evidence_generation)
    # The figures count the tracked actions (those of the active checklists), as each list and quick view does.
    soon = today + timedelta(days=DUE_SOON_DAYS)
    progress, counts = progress_and_totals_from_counts(
        checklist_counts.rows(PROGRESS, organisation.pk, kept_in, today=today, soon=soon),
        kept_in,
        _totals(today, soon),
    )
    counts["overdue"] = sum(progress[c.pk].overdue for c in checklists)
    counts["blocked"] = sum(progress[c.pk].count(MitigationStatus.BLOCKED) for c in checklists)
    # Each checklist's coverage is its grid rows added up: the rows are kept, the grid is drawn only where shown.
    grid_rows = checklist_counts.rows(GRID, organisation.pk, kept_in)
    covered = coverage_of_rows(grid_rows, checklists)
    summaries = [ChecklistSummary(c, progress[c.pk], covered[c.pk]) for c in checklists]

    if rows_only:
        read = lists_from_rows(LIST_ROWS(organisation_id=organisation.pk, today=today, soon=soon))
    else:
        read = {name: LISTS[name](organisation_id=organisation.pk, today=today, soon=soon) for name in LIST_RULES}
    lists = {name: ActionList(read[name], counts[name], f"view={name}") for name in LIST_RULES}
    # The names of the themes the three lists' actions address, in one query for all three (none without any).
    actions = [action for action_list in lists.values() for action in action_list.actions]
    with_their_theme_names(actions)
    # Counted and linked, not listed: the action list shows them in their quick views.
    unassigned = {name: ActionList([], counts[name], f"view={name}") for name in ("no_owner", "no_due_date")}
    past_review = sorted((c for c in checklists if c.is_past_review(today)), key=lambda c: c.review_date)
    figures = {
        "summaries": summaries,
        "drafts": drafts,
        "rereview_due": REREVIEW_DUE(organisation_id=organisation.pk, today=today),
        "checklists": checklists,
        "past_review": past_review,
        **lists,
        **unassigned,
    }
    if with_grid:
        figures["grid"] = _coverage_grid(grid_rows, checklists, evidence_generation)
    return figures


# Cards kept per process: a few for each active checklist of the busiest organisations, a card being about
# two kilobytes.
CHECKLIST_CARDS_KEPT = 2048


# A checklist card's links: the checklist, its printable report, its CSV and its Excel file.
CARD_LINKS = (
    "peerplan:checklist",
    "peerplan:checklist_report",
    "peerplan:checklist_export_csv",
    "peerplan:checklist_export_xlsx",
)


def checklist_cards(summaries, organisation):
    """The dashboard's card for each active checklist (HTML), each rendered once per process for the values it
    shows: after a write, a large organisation's dashboard redraws only the cards whose figures changed, not
    fifty of them (their template nodes were a third of that page's time)."""
    actions_url = reverse("peerplan:actions", args=[organisation.slug])
    # Each link's pattern looked up once for all the cards (row_url's parts: before and after the id).
    links = [url_parts(get_urlconf(), get_script_prefix(), name, 1) for name in CARD_LINKS]
    return [
        _checklist_card(
            summary.checklist.title,
            summary.checklist.service,
            tuple(f"{head}{summary.checklist.pk}{tail}" for head, tail in links),
            f"{actions_url}?checklist={summary.checklist.pk}",
            summary.checklist.pk,
            summary.coverage.covered,
            summary.coverage.applicable,
            summary.coverage.done,
            tuple(summary.progress.count(status) for status in STATUS_ORDER),
            summary.progress.overdue,
        )
        for summary in summaries
    ]


@kept(maxsize=CHECKLIST_CARDS_KEPT)
def _checklist_card(title, service, links, actions_url, checklist_id, covered, applicable, done, counts, overdue):
    """One card, from these arguments alone: its template is given nothing else (no request, no context
    processors, no model instance, no {% url %}: `links` are the checklist's page, report, CSV and Excel),
    so every value it shows is part of the cache's key and the same arguments always give the same HTML.
    `counts`: actions per status, in STATUS_ORDER."""
    checklist_url, report_url, csv_url, xlsx_url = links
    return render_to_string(
        "peerplan/tracking/_checklist_card.html",
        {
            "checklist_id": checklist_id,
            "title": title,
            "service": service,
            "checklist_url": checklist_url,
            "report_url": report_url,
            "csv_url": csv_url,
            "xlsx_url": xlsx_url,
            "actions_url": actions_url,
            "coverage": Coverage(covered, applicable, done),
            "progress": Progress(counts=dict(zip(STATUS_ORDER, counts, strict=True)), overdue=overdue),
        },
    )


DEFAULT_TREND_MONTHS = 6


def organisation_progress(organisation, today, months):
    """The organisation's active checklists together, over the last `months` months (four queries)."""
    checklists = list(Checklist.objects.filter(organisation=organisation).active())
    trend = progress_over_time(organisation.pk, [c.pk for c in checklists], today, months)
    return {
        "checklists": checklists,
        "trend": trend,
        "charts": charts.trend_charts(trend, "organisation"),
        "ranges": TREND_MONTHS,
    }


def checklist_progress(checklist, today, months):
    """One checklist over the last `months` months (three queries)."""
    trend = progress_over_time(checklist.organisation_id, [checklist.pk], today, months)
    return {"trend": trend, "charts": charts.trend_charts(trend, f"checklist-{checklist.pk}"), "ranges": TREND_MONTHS}


def prepare_quick_edit(actions, user, memberships=None, member_rows=None):
    """Set on each action what its in-place edit shows: who may change it (the person's role in the
    action's organisation), the members it can be given to (one list per organisation, shared by its
    actions: a page renders it once, see owner_choices) and the values shown (two queries; one when the page
    passes the person's `memberships` of those organisations, read already by its access check; none when it
    also passes `member_rows`, the MEMBERS rows of the actions' one organisation, read already for another part)."""
    actions = list(actions)
    organisation_ids = {action.checklist.organisation_id for action in actions}
    if not organisation_ids:
        return actions
    if memberships is None:
        memberships = Membership.objects.filter(user=user, organisation_id__in=organisation_ids)
    roles = {m.organisation_id: m for m in memberships if m.user_id == user.pk}
    members = {}
    if member_rows is not None:
        people = member_rows
    elif len(organisation_ids) == 1:
        # One organisation's (a page of one organisation's actions): the same query, compiled once.
        people = MEMBERS(organisation_id=next(iter(organisation_ids)))
    else:
        people = _members(organisation_ids)
    for *name, organisation_id in people:
        members.setdefault(organisation_id, []).append(MemberName(*name))
    for action in actions:
        membership = roles.get(action.checklist.organisation_id)
        action.can_edit = bool(membership and membership.can_edit)
        action.member_choices = members.get(action.checklist.organisation_id, [])
        show(action)
    return actions


def _members(organisation_ids):
    """The members of these organisations as rows of their MemberName's fields and the organisation_id of the
    membership each was read by: what a name needs (models.display_name), without a User made for each of a
    large organisation's hundred members on every list."""
    return (
        get_user_model()
        .objects.filter(memberships__organisation_id__in=organisation_ids)
        .order_by("first_name", "email", "pk")
        .values_list(*MEMBER_NAME_FIELDS, "memberships__organisation_id")
    )


# One organisation's members, as _members reads them (the item and action pages also read the handles one can
# mention from these rows: pages.collaboration.discussion).
MEMBERS = PreparedQuery(lambda organisation_id: _members([organisation_id]), without_actions=True)


def owner_choices(*lists):
    """[(organisation id, its members)] for the actions of these lists (prepared by prepare_quick_edit), each
    organisation once: what includes/owner_choices.html renders once per page. No query."""
    found = {}
    for actions in lists:
        for action in actions:
            if getattr(action, "can_edit", False):
                found.setdefault(action.checklist.organisation_id, action.member_choices)
    return sorted(found.items())


def show(action, chosen=None):
    """The values the in-place edit shows: what is saved, or what the person chose (kept on a conflict
    or a mistake, so nothing they chose is lost)."""
    chosen = chosen or {}
    action.shown_status = chosen.get("status", action.status)
    action.shown_owner_id = chosen.get("owner", action.owner_id)
    if action.shown_owner_id == action.owner_id:
        action.shown_owner_label = action.owner_label
    else:
        members = {member.pk: member for member in getattr(action, "member_choices", [])}
        chosen_member = members.get(action.shown_owner_id)
        action.shown_owner_label = display_name(chosen_member) if chosen_member else ""
        if chosen_member is None:
            action.shown_owner_id = None
    action.shown_due = chosen.get("due_date", action.due_date.isoformat() if action.due_date else "")
    # A type="date" input cannot hold text that is not a date: such text is shown in a text box instead.
    try:
        action.shown_due_is_date = not action.shown_due or bool(date.fromisoformat(str(action.shown_due).strip()))
    except ValueError:
        action.shown_due_is_date = False
    return action
