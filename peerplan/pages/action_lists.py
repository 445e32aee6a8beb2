"""The action lists' pages (the organisation's action list and my actions): what a row shows, and the first page
as everyone opens it read by queries compiled once per process. The rows themselves are drawn by
peerplan/templatetags/action_rows.py; the dashboard's three lists read the same fields (pages/dashboard.py)."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count

from peerplan.lib.prepared import PreparedQuery
from peerplan.models import (
    MEMBER_NAME_FIELDS,
    Checklist,
    MemberName,
    Membership,
    Mitigation,
    MitigationStatus,
)

# What an action's row shows (templatetags/action_rows.Row), its in-place edit and owner_choices read of it, as
# plain values (ListedAction.of reads them in this order): the page's lists read only these.
LISTED_FIELDS = (
    "pk",
    "version",
    "action",
    "status",
    "due_date",
    "owner_name",
    "overdue_now",
    "checklist_id",
    "checklist__title",
    "checklist__status",
    "checklist__organisation_id",
    "checklist__organisation__name",
    "owner_id",
    *(f"owner__{field}" for field in MEMBER_NAME_FIELDS[1:]),
)


@dataclass(frozen=True)
class ListedOrganisation:
    pk: int
    name: str


@dataclass(frozen=True)
class ListedChecklist:
    """What a row shows of an action's checklist, and Checklist's own rule for whether it is active."""

    pk: int
    title: str
    status: str
    organisation_id: int
    organisation: ListedOrganisation

    is_active = Checklist.is_active


@dataclass
class ListedAction:
    """An action as a list shows it (its row, its in-place edit), made from LISTED_FIELDS' plain values, not a
    Mitigation with its checklist, organisation and owner: making those four instances for each of 25 rows
    cost a list's miss about a millisecond, four times its query. The rules that read it are Mitigation's own
    (is_live, is_overdue, owner_label), under the names the templates and prepare_quick_edit use; the pages
    set the rest on it (theme_names, can_edit, shown_...)."""

    pk: int
    version: int
    action: str
    status: str
    due_date: date | None
    owner_name: str
    overdue_now: bool
    checklist: ListedChecklist
    owner_id: int | None
    owner: MemberName | None
    theme_names: str = ""

    is_live = Mitigation.is_live
    is_open = Mitigation.is_open
    is_overdue = Mitigation.is_overdue
    owner_label = Mitigation.owner_label

    def get_status_display(self):
        return MitigationStatus(self.status).label

    @classmethod
    def of(cls, row):
        """The action from one row of LISTED_FIELDS."""
        pk, version, action, status, due_date, owner_name, overdue_now = row[:7]
        checklist_id, title, checklist_status, organisation_id, organisation_name, owner_id, *owner = row[7:]
        organisation = ListedOrganisation(organisation_id, organisation_name)
        return cls(
            pk=pk,
            version=version,
            action=action,
            status=status,
            due_date=due_date,
            owner_name=owner_name,
            overdue_now=bool(overdue_now),
            checklist=ListedChecklist(checklist_id, title, checklist_status, organisation_id, organisation),
            owner_id=owner_id,
            owner=MemberName(owner_id, *owner) if owner_id is not None else None,
        )


def listed(rows):
    """[ListedAction] of rows of LISTED_FIELDS (a queryset's values_list, or a prepared query's rows)."""
    return [ListedAction.of(row) for row in rows]


# A page of the action lists (the organisation's and my actions).
LIST_PAGE_SIZE = 25


def listing(actions, today):
    """`actions` as the action lists show them: soonest due first, with what a row shows beside each."""
    return actions.for_listing().with_overdue(today).soonest_due_first()


def _rows_of(listing, shown):
    """`listing`'s actions whose ids `shown` (a slice of `listing`) picks, as rows of LISTED_FIELDS, in its order."""
    return listing.filter(pk__in=shown.values("pk")).values_list(*LISTED_FIELDS)


def page_of_rows(listing, number, *, by_id=False):
    """Page `number` of `listing` (listing()), its actions as ListedActions. `by_id` (an organisation's
    list, up to every one of its actions): the page's ids picked from the ordered ids alone, then those rows
    read whole, in the same one query (the ids a subquery). Sorting every action's whole row to keep a page (a
    large organisation's 5,000 actions, sixty columns each) was most of the action list's SQL, while the ids
    sort from the index; a person's own few actions sort faster whole than the subquery compiles."""
    page = Paginator(listing, LIST_PAGE_SIZE).get_page(number)
    rows = _rows_of(listing, page.object_list) if by_id else page.object_list.values_list(*LISTED_FIELDS)
    page.object_list = listed(rows)
    return page


def _first_page_of_actions(organisation_id, today):
    actions = listing(Mitigation.objects.in_organisation(organisation_id), today)
    return _rows_of(actions, actions[:LIST_PAGE_SIZE])


def _count_of_actions(organisation_id):
    """How many actions the organisation has: one row, grouped by the organisation they all have, as a prepared
    query must be a queryset (count() is not)."""
    actions = Mitigation.objects.in_organisation(organisation_id).order_by()
    return actions.values("checklist__organisation_id").annotate(n=Count("pk")).values_list("n", flat=True)


# The action list as everyone first opens it (no filter, no quick view, its first page) and how many actions
# it has, compiled once per process: building and compiling its query (the ids a subquery of it) was a
# millisecond of every miss, and building the listing again to count it another half.
FIRST_PAGE_OF_ACTIONS = PreparedQuery(_first_page_of_actions)
COUNT_OF_ACTIONS = PreparedQuery(_count_of_actions)


def _first_page(count, rows):
    """Page 1 of a list of `count` actions, showing `rows` (its first LIST_PAGE_SIZE, read already)."""
    paginator = Paginator((), LIST_PAGE_SIZE)
    paginator.count = count  # read as the paginator would have counted its list
    page = paginator.page(1)
    page.object_list = rows
    return page


def first_page_of_actions(organisation, today):
    """page_of_rows(listing(the organisation's actions, today), 1, by_id=True): the same page, read by
    COUNT_OF_ACTIONS and FIRST_PAGE_OF_ACTIONS."""
    count = sum(COUNT_OF_ACTIONS(organisation_id=organisation.pk))
    return _first_page(count, listed(FIRST_PAGE_OF_ACTIONS(organisation_id=organisation.pk, today=today)))


def _mine(user_id):
    """The person's own actions (owned_by_member) from their id alone: the rule reads nothing else of them (that
    they are signed in, as every User is)."""
    return Mitigation.objects.owned_by_member(get_user_model()(pk=user_id))


def _my_first_page(user_id, today):
    return listing(_mine(user_id).open().tracked(), today).values_list(*LISTED_FIELDS)[:LIST_PAGE_SIZE]


def _my_count(user_id):
    """How many of the person's open actions on active checklists there are: one row (none without any), grouped by
    the owner they all have, as a prepared query must be a queryset (count() is not)."""
    mine = _mine(user_id).open().tracked().order_by()
    return mine.values("owner_id").annotate(n=Count("pk")).values_list("n", flat=True)


def _my_drafts(user_id):
    return Checklist.objects.drafts_holding(_mine(user_id).open())


# My actions as everyone first opens it (how many open actions on active checklists the person has, the first
# page of them) and the drafts it says it leaves out, compiled once per process: building and compiling them was a
# fifth of the page's miss.
# Membership.readable reads settings.REQUIRE_2FA as it builds its rule, so each value has its own compiled
# query, never run while the setting is the other (tests change it).
MY_FIRST_PAGE = {required: PreparedQuery(_my_first_page) for required in (False, True)}
MY_COUNT = {required: PreparedQuery(_my_count) for required in (False, True)}
MY_DRAFTS = {required: PreparedQuery(_my_drafts) for required in (False, True)}


def _readable_memberships(user_id):
    return Membership.objects.readable_by(get_user_model()(pk=user_id))


# The person's memberships my actions reads on every request, hit or miss (they are its cache key), compiled once
# per process like the queries above (one for each value of REQUIRE_2FA).
MY_MEMBERSHIPS = {required: PreparedQuery(_readable_memberships) for required in (False, True)}


def my_memberships(user):
    """list(Membership.objects.readable_by(user)), read by MY_MEMBERSHIPS."""
    return MY_MEMBERSHIPS[bool(settings.REQUIRE_2FA)](user_id=user.pk)


def my_first_page(user, today):
    """(page_of_rows(listing(the person's open actions on active checklists, today), 1), the drafts holding any of
    their open actions): the same page and drafts, read by MY_COUNT, MY_FIRST_PAGE and MY_DRAFTS."""
    required = bool(settings.REQUIRE_2FA)
    page = _first_page(
        sum(MY_COUNT[required](user_id=user.pk)), listed(MY_FIRST_PAGE[required](user_id=user.pk, today=today))
    )
    return page, MY_DRAFTS[required](user_id=user.pk)
