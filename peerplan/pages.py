"""Page assembly: everything one page shows, fetched in a fixed number of queries whatever the data size.

Views load the scoped object (peerplan/access.py), call one function here, and render. The figures these
pages show are computed beside the models (coverage), in tracking.py (progress, the coverage grid) and in
insights.py (evidence strength, phases, co-production, ranked suggestions); this module only puts them
together for a template. Operations (anything that writes) are in planning.py.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, prefetch_related_objects
from django.utils import timezone

from evidence.cache import finding_facts
from evidence.models import Perspective
from peerplan import accounts, charts, history, insights, networks, reports, shared_learning
from peerplan.models import (
    OPEN_STATUSES,
    Checklist,
    ChecklistStatus,
    Item,
    Membership,
    Mitigation,
    MitigationStatus,
    ReviewProgress,
    SuggestedMitigation,
    addressed_items,
    blocked_q,
    coverage_by_checklist,
    due_within_q,
    no_due_date_q,
    no_owner_q,
    open_q,
    overdue_q,
)
from peerplan.tracking import TREND_MONTHS, coverage_grid, progress_by_checklist, progress_over_time

# How a stakeholder group reads in "Challenges reported by ...: 4 of 6 covered".
GROUP_PHRASES = {
    "PSWs": "reported by PSWs",
    "Service users": "reported by service users",
    "Non-peer staff": "reported by non-peer staff",
    "Peer support group members": "reported by peer support group members",
    "Mental health organisations": "reported by mental health organisations",
    "Mixed": "reported by mixed samples",
}

# The checklist page shows the few suggestions that would cover most; the rest are on each item.
LEVERAGE_SHOWN = 5

DUE_SOON_DAYS = 14
# Lists on the dashboard show this many and link to the full, filtered action list.
DASHBOARD_LIST_LENGTH = 10


# Categories → themes → items, the evidence's own shape ------------------------------------------------


@dataclass
class ThemeGroup:
    theme: object
    items: list


@dataclass
class CategoryGroup:
    category: object
    themes: list


def group_by_category_and_theme(entries, item_of=lambda entry: entry):
    """Entries (already in published order) as categories of themes of entries, for a page to loop over.
    `item_of` finds the item in an entry that wraps one (the report's rows)."""
    groups = []
    for entry in entries:
        theme = item_of(entry).finding.theme
        if not groups or groups[-1].category.pk != theme.category_id:
            groups.append(CategoryGroup(category=theme.category, themes=[]))
        themes = groups[-1].themes
        if not themes or themes[-1].theme.pk != theme.pk:
            themes.append(ThemeGroup(theme=theme, items=[]))
        themes[-1].items.append(entry)
    return groups


# The organisation and its members ---------------------------------------------------------------------


def organisation_page(organisation):
    """The organisation's checklists with their coverage, current ones apart from archived ones, and its
    networks (three queries)."""
    checklists = list(organisation.checklists.select_related("created_by").order_by("title", "pk"))
    coverage = coverage_by_checklist([c.pk for c in checklists])
    rows = [(checklist, coverage[checklist.pk]) for checklist in checklists]
    return {
        "current": [row for row in rows if not row[0].is_archived],
        "archived": [row for row in rows if row[0].is_archived],
        "networks": networks.invitations_for(organisation),
    }


def members_page(organisation, membership):
    """The members, whom this member may change (Membership.can_change), pending invitations (and which of
    them are no longer valid), and for managers whose sign-in is paused."""
    members = list(organisation.memberships.select_related("user").order_by("user__first_name", "user__email"))
    owners = sum(1 for member in members if member.is_owner)
    for member in members:
        # The last owner keeps the role (planning.change_role refuses it): offer nothing that would fail.
        member.last_owner = member.is_owner and owners == 1
        member.changeable = membership.can_change(member) and not member.last_owner
    invitations = list(organisation.invitations.pending().select_related("invited_by").order_by("-created_at"))
    by_user = {member.user_id: member for member in members}
    for invitation in invitations:
        # Shown as no longer valid when its sender may no longer grant its role (the link would be refused).
        invitation.refusal = invitation.problem(inviter=by_user.get(invitation.invited_by_id))
    return {
        "members": members,
        "invitations": invitations,
        "role_choices": membership.grantable_roles(),
        "paused": accounts.paused_sign_ins([m.user for m in members]) if membership.can_manage else set(),
    }


# The checklist ---------------------------------------------------------------------------------------


def status_summary(item):
    """[(label, count)] of an item's mitigations by status, from with_mitigation_counts()."""
    return [
        (label, getattr(item, f"{value}_count"))
        for value, label in MitigationStatus.choices
        if getattr(item, f"{value}_count")
    ]


def checklist_page(checklist, today):
    """Everything the checklist page shows, in a fixed number of queries whatever its size:
    items with counts and coverage (1), the evidence facts (1, cached), coverage (1), coverage through each
    group's lens (1), mitigations per phase (2), co-production (1), suggestions ranked by leverage (3)."""
    items = list(
        checklist.items.select_related("finding__theme__category", "decided_by")
        .with_coverage()
        .with_mitigation_counts()
        .with_overdue_counts(today)
        .in_published_order()
    )
    facts = finding_facts()
    strengths = insights.evidence_strengths(facts)
    for item in items:
        item.statuses = status_summary(item)
        item.strength = strengths[item.finding_id]
        item.evidence_updated = insights.evidence_updated(item)
    # A challenge closed after a release retired its finding is out of the review and the figures (as
    # ItemQuerySet.challenges() has it); the page still lists it apart.
    challenges = [item for item in items if item.is_challenge and not item.is_closed]
    closed = [item for item in items if item.is_challenge and item.is_closed]
    benefits = [item for item in items if item.is_benefit]
    # A benefit chosen as an outcome sits with the challenges of its theme: what the service guards
    # against and what it means to gain, read together.
    chosen = {}
    for benefit in benefits:
        if benefit.applies:
            chosen.setdefault(benefit.finding.theme_id, []).append(benefit)
    seen_themes = set()
    for item in challenges:
        first = item.finding.theme_id not in seen_themes
        seen_themes.add(item.finding.theme_id)
        item.outcomes = chosen.get(item.finding.theme_id, []) if first else []
    by_group = checklist.coverage_by_group(facts)
    return {
        "review_progress": ReviewProgress(decided=sum(item.is_decided for item in challenges), total=len(challenges)),
        "coverage": checklist.coverage(),
        "coverage_by_group": [(GROUP_PHRASES.get(group, group), by_group[group]) for group in by_group],
        "uncovered": [item for item in challenges if item.applies and not item.is_covered],
        "not_applicable_count": sum(1 for item in challenges if not item.applies),
        "rereview_due": [item for item in challenges if item.is_rereview_due(today)],
        "evidence_updated": [item for item in items if item.evidence_updated],
        "challenge_groups": group_by_category_and_theme(challenges),
        "closed_challenges": closed,
        "benefit_groups": group_by_category_and_theme(benefits),
        "chosen_outcomes": sum(1 for item in benefits if item.applies),
        "benefit_count": len(benefits),
        "phases": insights.phase_counts(checklist),
        "co_production": insights.co_production(checklist),
        "leverage": insights.rank_suggestions(checklist, facts)[:LEVERAGE_SHOWN],
        "duplicates": duplicate_groups(checklist),
    }


def duplicate_groups(checklist):
    """[(suggestion, [actions])] adopted more than once on the checklist, to offer "merge into one" (one query)."""
    groups = {}
    for action in checklist.mitigations.duplicates().select_related("suggestion").order_by("suggestion_id", "pk"):
        groups.setdefault(action.suggestion_id, (action.suggestion, []))[1].append(action)
    return list(groups.values())


def evidence_in_place(item):
    """What the evidence partial shows for an item: the finding with its references and perspectives
    (three queries) and its own source (one, unless the loader fetched it)."""
    # The finding with its references and perspectives in one prefetch, so the strength, the changes
    # since review and the page all read the same rows.
    finding = item.finding
    prefetch_related_objects(
        [finding],
        "references",
        Prefetch("perspectives", queryset=Perspective.objects.order_by("position").prefetch_related("references")),
    )
    perspectives = list(finding.perspectives.all())
    source = finding.theme.category.source
    return {
        "finding": finding,
        "strength": insights.evidence_strength(finding),
        "evidence_updated": insights.evidence_updated(item),
        "finding_references": list(finding.references.all()),
        "perspectives": perspectives,
        "has_mixed": any(p.is_mixed for p in perspectives),
        "mixed_footnote": source.footnote("a") if source else "",
        "source": source,
    }


def item_page(item, membership):
    """The item with its evidence in place, its mitigations, the suggestions for its theme and its timeline."""
    evidence = evidence_in_place(item)
    mitigations = list(
        item.mitigations.select_related("owner", "phase", "suggestion", "checklist")
        .prefetch_related(addressed_items())
        .order_by("created_at", "pk")
    )
    adopted = {m.suggestion_id for m in mitigations if m.suggestion_id}
    suggestions = list(
        SuggestedMitigation.objects.filter(is_published=True, themes=item.finding.theme_id)
        .select_related("phase")
        .order_by("position", "title")
    )
    return {
        **evidence,
        "shared": _shared_figures(item, suggestions),
        "item": item,
        "evidence_changes": insights.evidence_changes(item) if evidence["evidence_updated"] else [],
        "timeline": history.item_timeline(item),
        "checklist": item.checklist,
        "membership": membership,
        "mitigations": mitigations,
        "suggestions": [(s, s.pk in adopted) for s in suggestions],
        "related": list(item.finding.theme.related_elsewhere()),
    }


def _shared_figures(item, suggestions):
    """ "What services like yours did" for a challenge of the published evidence (three queries; none for
    an organisation's own evidence or a benefit, which are never shared). Each suggestion gets its figure
    as `suggestion.shared`."""
    if not item.is_challenge or item.finding.theme.category.source.organisation_id is not None:
        return None
    shared = shared_learning.for_item(item, suggestions)
    for suggestion in suggestions:
        suggestion.shared = shared["by_suggestion"].get(suggestion.pk)
    # Ordered by the numbers a reader sees ("about 10"), then the curated order: nothing finer.
    shared["most_adopted"] = sorted(
        (s for s in suggestions if s.shared and s.shared.text),
        key=lambda s: (-s.shared.text.adopted_about, s.position),
    )[:3]
    shared["shares"] = item.checklist.organisation.share_anonymously
    shared["min_services"], shared["round_to"] = shared_learning.MIN_SERVICES, shared_learning.ROUND_TO
    shared["hold"] = shared_learning.HOLD
    return shared


def review_summary_page(checklist):
    """The review's check-answers summary: every challenge with its decision, who took it and when (one
    query; the review progress is counted from the same rows)."""
    items = list(
        checklist.items.challenges().select_related("finding__theme__category", "decided_by").in_published_order()
    )
    progress = ReviewProgress(decided=sum(item.is_decided for item in items), total=len(items))
    return {"groups": group_by_category_and_theme(items), "progress": progress, "items": items}


def phases_page(checklist):
    """The checklist's mitigations by phase of introducing PSWs, with the phases that have few or none."""
    mitigations = list(
        checklist.mitigations.select_related("owner", "phase")
        .prefetch_related(addressed_items())
        .order_by("phase__position", "due_date", "pk")
    )
    counts = insights.phase_counts(checklist)
    by_phase = [
        (count, [m for m in mitigations if m.phase_id == (count.phase.pk if count.phase else None)]) for count in counts
    ]
    if not any(count.phase is None for count in counts):
        unphased = [m for m in mitigations if m.phase_id is None]
        if unphased:
            by_phase.append((insights.PhaseCount(None, 0), unphased))
    return {"by_phase": by_phase, "co_production": insights.co_production(checklist)}


# The dashboard ---------------------------------------------------------------------------------------


@dataclass
class ChecklistSummary:
    checklist: Checklist
    progress: object
    coverage: object


@dataclass
class ActionList:
    """A short list for the dashboard, with the full count and the action list's filters for exactly the
    same actions (its form reads these parameters)."""

    actions: list
    count: int
    query: str


def dashboard_query(**filters):
    """The action list's query string for a dashboard figure: always narrowed to active checklists (the
    dashboard's rule), then the figure's own filters."""
    pairs = [("checklist_status", ChecklistStatus.ACTIVE)]
    for name, value in filters.items():
        for one in value if isinstance(value, list | tuple) else [value]:
            pairs.append((name, one))
    return urlencode(pairs)


# The dashboard's figures, and the "my actions" page, as views of an organisation's actions (the API's `view`
# filter): each the same queryset rule, on active checklists like the dashboard ("mine": open, on checklists not
# archived, like my actions).
QUICK_VIEWS = {
    "overdue": lambda actions, today, user: actions.on_active_checklists().overdue(today),
    "due_soon": lambda actions, today, user: actions.on_active_checklists().due_within(today, DUE_SOON_DAYS),
    "blocked": lambda actions, today, user: actions.on_active_checklists().blocked(),
    "no_owner": lambda actions, today, user: actions.on_active_checklists().filter(open_q() & no_owner_q()),
    "no_due_date": lambda actions, today, user: actions.on_active_checklists().filter(open_q() & no_due_date_q()),
    "mine": lambda actions, today, user: actions.owned_by_member(user).open().on_current_checklists(),
}


def quick_view(actions, name, *, today, user):
    return QUICK_VIEWS[name](actions, today, user)


def dashboard(organisation, today):
    """Everything the dashboard shows, in a fixed number of queries whatever the data size.

    One rule for drafts, applied to every figure and list: only active checklists count. A draft is a
    plan nobody works to yet, so its actions are not late, stuck or due; the page says how many drafts
    there are and links to each so one can be made active."""
    # Active checklists and drafts in one query (the drafts are only named).
    shown = Checklist.objects.filter(
        organisation=organisation, status__in=[ChecklistStatus.ACTIVE, ChecklistStatus.DRAFT]
    )
    shown = list(shown.order_by("title", "pk"))
    checklists = [c for c in shown if c.status == ChecklistStatus.ACTIVE]
    drafts = [c for c in shown if c.status == ChecklistStatus.DRAFT]
    ids = [c.pk for c in checklists]
    progress = progress_by_checklist(ids, today)
    coverage = coverage_by_checklist(ids)
    summaries = [ChecklistSummary(c, progress[c.pk], coverage[c.pk]) for c in checklists]

    current = Mitigation.objects.in_organisation(organisation).on_active_checklists()
    counts = current.aggregate(
        overdue=Count("pk", filter=overdue_q(today)),
        due_soon=Count("pk", filter=due_within_q(today, DUE_SOON_DAYS)),
        blocked=Count("pk", filter=blocked_q()),
        no_owner=Count("pk", filter=open_q() & no_owner_q()),
        no_due_date=Count("pk", filter=open_q() & no_due_date_q()),
    )

    def first(queryset):
        return list(queryset.for_listing().with_overdue(today).soonest_due_first()[:DASHBOARD_LIST_LENGTH])

    soon_end = today + timedelta(days=DUE_SOON_DAYS)
    lists = {
        "overdue": ActionList(
            first(current.overdue(today)),
            counts["overdue"],
            dashboard_query(status=OPEN_STATUSES, due_before=(today - timedelta(days=1)).isoformat()),
        ),
        "due_soon": ActionList(
            first(current.due_within(today, DUE_SOON_DAYS)),
            counts["due_soon"],
            dashboard_query(status=OPEN_STATUSES, due_after=today.isoformat(), due_before=soon_end.isoformat()),
        ),
        "blocked": ActionList(
            first(current.blocked()), counts["blocked"], dashboard_query(status=MitigationStatus.BLOCKED)
        ),
    }
    # Counted and linked, not listed: the action list shows them with their filters.
    unassigned = {
        "no_owner": ActionList([], counts["no_owner"], dashboard_query(status=OPEN_STATUSES, no_owner="on")),
        "no_due_date": ActionList([], counts["no_due_date"], dashboard_query(status=OPEN_STATUSES, no_due_date="on")),
    }
    past_review = list(
        Checklist.objects.filter(organisation=organisation).active().past_review(today).order_by("review_date")
    )
    rereview_due = list(
        Item.objects.filter(checklist__organisation=organisation, checklist__status=ChecklistStatus.ACTIVE)
        .rereview_due(today)
        .select_related("checklist", "finding__theme")
        .order_by("rereview_on", "pk")
    )
    return {
        "summaries": summaries,
        "drafts": drafts,
        "grid": coverage_grid(checklists),
        "rereview_due": rereview_due,
        "grid_checklists": checklists,
        "past_review": past_review,
        **lists,
        **unassigned,
    }


# Progress over time -----------------------------------------------------------------------------------

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


# The printable report --------------------------------------------------------------------------------


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
    since `since`), then the detail, categories → themes → items. The summary's lists come from the same
    rows as the detail."""
    since = since or today - timedelta(days=REPORT_SINCE_DAYS)
    items = reports.export_items(checklist)
    themes_of = {}
    for item in items:
        for action in item.mitigations.all():
            themes_of.setdefault(action.pk, []).append(item.finding.theme.name)
    entries = []
    for item in items:
        if reports.is_listed(item):
            actions = list(item.mitigations.all())
            for action in actions:
                # One action can mitigate several challenges: say which others it also addresses.
                action.also = [name for name in dict.fromkeys(themes_of[action.pk]) if name != item.finding.theme.name]
            entries.append(ReportItem(item, actions, any(a.is_live for a in actions), reports.references_text(item)))
    # Each action once, with every challenge it addresses.
    actions = {action.pk: action for item in items for action in item.mitigations.all()}
    for action in actions.values():
        action.themes = "; ".join(dict.fromkeys(themes_of[action.pk]))
        action.overdue_now = action.is_overdue(today)
    attention = sorted(
        (a for a in actions.values() if a.overdue_now or a.status == MitigationStatus.BLOCKED),
        key=lambda a: (a.due_date is None, a.due_date or today, a.pk),
    )
    challenges = [item for item in items if item.is_challenge]
    board = list(Checklist.objects.filter(organisation_id=checklist.organisation_id).active())
    board_progress = progress_by_checklist([c.pk for c in board], today)
    board_coverage = coverage_by_checklist([c.pk for c in board])
    trend = progress_over_time(checklist.organisation_id, [checklist.pk], today, REPORT_TREND_MONTHS)
    progress = progress_by_checklist([checklist.pk], today)[checklist.pk]
    return {
        "categories": group_by_category_and_theme(entries, item_of=lambda entry: entry.item),
        "coverage": checklist.coverage(),
        "coverage_by_group": list(checklist.coverage_by_group().items()),  # in the groups' published order
        "progress": progress,
        # Every source the report's items come from, in published order (fetched with the items).
        "sources": list(dict.fromkeys(item.finding.theme.category.source for item in items)),
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


# An action's pages and in-place edits ------------------------------------------------------------------
# What the action pages read beyond the action itself: the challenges it could also address, the
# duplicates (actions of the same checklist adopted from the same suggestion) it could be merged with,
# and what each row's in-place edit needs.


def linkable_items(mitigation, addressed):
    """The checklist's challenges, and its benefits chosen as outcomes, that the action does not address
    yet, in published order (one query)."""
    linked = [item.pk for item in addressed]
    items = (
        Item.objects.filter(checklist_id=mitigation.checklist_id)
        .exclude(pk__in=linked)
        .select_related("finding__theme")
        .in_published_order()
    )
    return [item for item in items if item.is_challenge or item.applies]


def duplicates_of(mitigation):
    """Other actions of the checklist adopted from the same suggestion (one query; none when not adopted)."""
    if mitigation.suggestion_id is None:
        return []
    return list(
        Mitigation.objects.filter(checklist_id=mitigation.checklist_id, suggestion_id=mitigation.suggestion_id)
        .exclude(pk=mitigation.pk)
        .select_related("owner")
        .order_by("created_at", "pk")
    )


def prepare_quick_edit(actions, user):
    """Set on each action what its in-place edit shows: who may change it (the person's role in the
    action's organisation), the members it can be given to, and the values shown (two queries)."""
    actions = list(actions)
    organisation_ids = {action.checklist.organisation_id for action in actions}
    if not organisation_ids:
        return actions
    roles = {m.organisation_id: m for m in Membership.objects.filter(user=user, organisation_id__in=organisation_ids)}
    members = {}
    people = (
        get_user_model()
        .objects.filter(memberships__organisation_id__in=organisation_ids)
        .annotate(organisation_id=F("memberships__organisation_id"))
        .order_by("first_name", "email")
    )
    for person in people:
        members.setdefault(person.organisation_id, []).append(person)
    for action in actions:
        membership = roles.get(action.checklist.organisation_id)
        action.can_edit = bool(membership and membership.can_edit)
        action.member_choices = members.get(action.checklist.organisation_id, [])
        show(action)
    return actions


def show(action, chosen=None):
    """The values the in-place edit shows: what is saved, or what the person chose (kept on a conflict
    or a mistake, so nothing they chose is lost)."""
    chosen = chosen or {}
    action.shown_status = chosen.get("status", action.status)
    action.shown_owner_id = chosen.get("owner", action.owner_id)
    action.shown_due = chosen.get("due_date", action.due_date.isoformat() if action.due_date else "")
    # A type="date" input cannot hold text that is not a date: such text is shown in a text box instead.
    try:
        action.shown_due_is_date = not action.shown_due or bool(date.fromisoformat(str(action.shown_due).strip()))
    except ValueError:
        action.shown_due_is_date = False
    return action
