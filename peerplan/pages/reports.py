"""The board report of one checklist."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from peerplan.figures import charts
from peerplan.figures import check_ins as check_in_figures
from peerplan.figures.tracking import progress_by_checklist, progress_over_time
from peerplan.models import Checklist, ChecklistStatus, MitigationStatus, coverage_by_checklist
from peerplan.pages import exports
from peerplan.pages.checklists import group_by_category_and_theme
from peerplan.pages.dashboard import ChecklistSummary


@dataclass
class ReportItem:
    item: object
    actions: list
    is_covered: bool
    references: str


# The one-page summary leads with the most pressing; the rest is in the detail that follows.
REPORT_SUMMARY_ROWS = 5


REPORT_SINCE_DAYS = 30


REPORT_TREND_MONTHS = 6


@dataclass
class Shortlist:
    """A list for the report's first page: the first few, and how many more the detail holds."""

    shown: list
    total: int

    @property
    def more(self):
        return self.total - len(self.shown)


def _shortlist(entries):
    return Shortlist(entries[:REPORT_SUMMARY_ROWS], len(entries))


def report(checklist, today, since=None):
    """The governance report: one page first (the organisation's active checklists, this checklist's
    coverage and trend, what is overdue or blocked with owners, decisions due for re-review and those taken
    since `since`), then the detail: the check-in's trends, then categories → themes → items. The summary's lists come from the same
    rows as the detail."""
    since = since or today - timedelta(days=REPORT_SINCE_DAYS)
    items = exports.export_items(checklist, for_report=True)
    themes_of = {}
    for item in items:
        for action in exports.actions_of(item):
            themes_of.setdefault(action.pk, []).append(item.finding.theme.name)
    entries = []
    for item in items:
        if exports.is_listed(item):
            actions = list(exports.actions_of(item))
            for action in actions:
                # One action can mitigate several challenges: say which others it also addresses.
                action.also = [name for name in dict.fromkeys(themes_of[action.pk]) if name != item.finding.theme.name]
            entries.append(ReportItem(item, actions, any(a.is_live for a in actions), exports.references_text(item)))
    # Each action once, with every challenge it addresses.
    actions = {action.pk: action for item in items for action in exports.actions_of(item)}
    for action in actions.values():
        action.themes = "; ".join(dict.fromkeys(themes_of[action.pk]))
        action.overdue_now = action.is_overdue(today)
    # A draft's actions are neither late nor stuck (tracked_q): its report says so instead of listing them.
    attention = sorted(
        (a for a in actions.values() if a.overdue_now or a.status == MitigationStatus.BLOCKED and checklist.is_active),
        key=lambda a: (a.due_date is None, a.due_date or today, a.pk),
    )
    challenges = [item for item in items if item.is_challenge]
    # The active checklists and the drafts in one query (the drafts are only named, as on the dashboard).
    shown = list(
        Checklist.objects.filter(
            organisation_id=checklist.organisation_id, status__in=[ChecklistStatus.ACTIVE, ChecklistStatus.DRAFT]
        ).order_by("title", "pk")
    )
    board = [c for c in shown if c.is_active]
    board_progress = progress_by_checklist([c.pk for c in board], today)
    board_coverage = coverage_by_checklist([c.pk for c in board])
    trend = progress_over_time(checklist.organisation_id, [checklist.pk], today, REPORT_TREND_MONTHS)
    progress = progress_by_checklist([checklist.pk], today)[checklist.pk]
    check_in, trends = check_in_figures.check_in_with_trends(checklist)
    return {
        # The check-in's thresholded trends, challenge by challenge in published order (figures.check_ins).
        "check_in": check_in,
        "check_in_threshold": check_in_figures.threshold_of(check_in) if check_in else None,
        "check_in_trends": [(item, trends[item.pk]) for item in items if item.pk in trends],
        "categories": group_by_category_and_theme(entries, item_of=lambda entry: entry.item),
        "coverage": checklist.coverage(),
        "coverage_by_group": list(checklist.coverage_by_group().items()),  # in the groups' published order
        "progress": progress,
        # Every source the report's items come from, in published order (fetched with the items).
        "sources": list(dict.fromkeys(item.finding.theme.category.source for item in items)),
        "drafts": [c for c in shown if c.is_draft],
        "board": [ChecklistSummary(c, board_progress[c.pk], board_coverage[c.pk]) for c in board],
        "trend": trend,
        "charts": charts.trend_charts(trend, "report"),
        "attention": _shortlist(attention),
        "rereview_due": _shortlist([item for item in challenges if item.is_rereview_due(today)]),
        "decided_since": _shortlist(
            sorted(
                (item for item in challenges if item.decided_at and timezone.localdate(item.decided_at) >= since),
                key=lambda item: item.decided_at,
                reverse=True,
            )
        ),
        "since": since,
        "today": today,
    }
