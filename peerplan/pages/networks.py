"""The network page: its members and how each is doing, in a fixed number of queries."""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q

from evidence.models import TO_MITIGATE, Finding
from peerplan.figures import charts, check_in_changes, tracking
from peerplan.models import Checklist, ChecklistStatus, Item, NetworkMembership, Organisation, coverage_by_checklist


@dataclass
class MemberSummary:
    """One member organisation's shared figures: its active checklists with review progress and coverage,
    and its actions counted by status and overdue (over its active checklists together)."""

    organisation: Organisation
    membership: NetworkMembership
    checklists: list = field(default_factory=list)  # (title, challenges decided, challenges, Coverage)
    progress: tracking.Progress = field(default_factory=tracking.Progress)
    trend: object = None
    chart: object = None
    # (checklist title, [check_in_changes.SharedChallenge]) per active checklist with a check-in; None when its
    # owner has not agreed to share check-in trends.
    check_ins: list | None = None


@dataclass
class ChallengeRow:
    """One challenge of the published evidence against every member: a tracking.Cell per member."""

    name: str
    cells: list
    not_covered: int = 0  # members to whom it applies with at least one applicable challenge not covered


def _challenge_findings():
    """The published evidence's current challenges (and barriers), in published order (one query)."""
    return list(
        Finding.objects.current()
        .filter(valence__in=TO_MITIGATE, theme__category__source__organisation__isnull=True)
        .select_related("theme")
        .in_published_order()
    )


def network_page(network, today, months=6):
    """Everything the network page shows, in fifteen queries whatever the number of members: the members,
    their active checklists, review progress, coverage per checklist, actions by status, the published
    challenges, coverage per challenge and member, the trends (the actions' and challenges' history and
    which challenges each action addresses), and the check-in trends of the members that share them
    (five, none when no member does: check_in_changes.shared_trends)."""
    memberships = list(
        network.memberships.accepted().select_related("organisation").order_by("organisation__name", "pk")
    )
    members = [MemberSummary(m.organisation, m) for m in memberships]
    by_org = {member.organisation.pk: member for member in members}
    checklists = list(
        Checklist.objects.filter(organisation_id__in=by_org, status=ChecklistStatus.ACTIVE)
        .only("pk", "title", "organisation_id")
        .order_by("title", "pk")
    )
    checklist_ids = [c.pk for c in checklists]
    # Review progress: decided challenges of all challenges, per checklist (one query).
    reviewed = {
        row["checklist_id"]: (row["decided"], row["total"])
        for row in Item.objects.filter(checklist_id__in=checklist_ids)
        .challenges()
        .values("checklist_id")
        .annotate(total=Count("pk"), decided=Count("pk", filter=Q(decided_at__isnull=False)))
        .order_by()
    }
    coverage = coverage_by_checklist(checklist_ids)
    progress = tracking.progress_by_checklist(checklist_ids, today)
    for checklist in checklists:
        member = by_org[checklist.organisation_id]
        decided, total = reviewed.get(checklist.pk, (0, 0))
        member.checklists.append((checklist.title, decided, total, coverage[checklist.pk]))
        counts = progress[checklist.pk]
        for status, n in counts.counts.items():
            member.progress.counts[status] = member.progress.counts.get(status, 0) + n
        member.progress.overdue += counts.overdue
    # The grid: each published challenge against each member, over the member's active checklists.
    findings = _challenge_findings()
    cells = {}
    rows = (
        Item.objects.filter(checklist_id__in=checklist_ids, finding__in=[f.pk for f in findings])
        .challenges()
        .with_coverage()
        .values("checklist__organisation_id", "finding_id")
        .annotate(
            applicable=Count("pk", filter=Q(applies=True)),
            covered=Count("pk", filter=Q(applies=True, is_covered=True)),
            done=Count("pk", filter=Q(applies=True, is_done=True)),
        )
        .order_by()
    )
    for row in rows:
        cells[row["finding_id"], row["checklist__organisation_id"]] = tracking.Cell(
            row["applicable"], row["covered"], row["done"]
        )
    grid = []
    # A theme can hold more than one challenge (a release may add one): number them so no two rows look alike.
    per_theme = Counter(finding.theme_id for finding in findings)
    seen = Counter()
    for finding in findings:
        seen[finding.theme_id] += 1
        name = (
            finding.theme.name
            if per_theme[finding.theme_id] == 1
            else f"{finding.theme.name} ({seen[finding.theme_id]})"
        )
        row = ChallengeRow(name, [])
        for member in members:
            cell = cells.get((finding.pk, member.organisation.pk), tracking.Cell(0, 0))
            cell.member_name = member.organisation.name  # a cell's label when the grid is stacked on a phone
            cell.no_checklist = not member.checklists  # "no active checklist", not "not applicable"
            row.cells.append(cell)
            if cell.state in (tracking.Cell.OPEN, tracking.Cell.PARTLY):
                row.not_covered += 1
        grid.append(row)
    # The challenges most members have not covered: those at least half the members have not.
    gaps = sorted(
        (row for row in grid if members and row.not_covered * 2 >= len(members) and row.not_covered),
        key=lambda row: -row.not_covered,
    )
    checklists_by_org = {pk: [] for pk in by_org}
    for checklist in checklists:
        checklists_by_org[checklist.organisation_id].append(checklist.pk)
    trends = tracking.coverage_over_time_by_organisation(checklists_by_org, today, months)
    for member in members:
        member.trend = trends[member.organisation.pk]
        member.chart = charts.trend_charts(member.trend, f"member-{member.organisation.pk}")[1]
    # Check-in trends: only of members whose owner agreed to share them, each member's under its own threshold.
    consenting = [c for c in checklists if by_org[c.organisation_id].membership.shares_check_ins]
    shared = check_in_changes.shared_trends(consenting)
    for member in members:
        if member.membership.shares_check_ins:
            member.check_ins = []
    for checklist in consenting:
        if checklist.pk in shared:
            by_org[checklist.organisation_id].check_ins.append((checklist.title, shared[checklist.pk]))
    return {
        "members": members,
        "grid": grid,
        "gaps": gaps,
        "months": months,
        "check_in_rounds": check_in_changes.NETWORK_ROUNDS,
    }
