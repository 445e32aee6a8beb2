"""Tracking pages: the organisation dashboard, the action list, my actions, and history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from peerplan.access import MANAGE, load_checklist, load_mitigation, load_organisation
from peerplan.figures import check_in_changes, tracking
from peerplan.forms.mitigations import ActionFilterForm, BulkActionForm
from peerplan.lib.errors import Conflict
from peerplan.models import Checklist, Mitigation, MitigationStatus
from peerplan.operations import mitigations
from peerplan.pages import action_lists, history, page_cache
from peerplan.pages import dashboard as dashboard_pages

# The action list's own parameters: its filters and its page.
ACTION_LIST_PARAMETERS = {*ActionFilterForm.base_fields, "page"}
HISTORY_PAGE_SIZE = 50


@login_required
@require_safe
def dashboard(request, slug):
    organisation, membership = load_organisation(request, slug)
    today = tracking.today()
    # The dashboard takes no parameters: edits made in place come back to its plain address, so one body
    # serves every request (an address with a made-up query string cannot fill the cache with copies).
    next_url = request.path

    def build():
        figures = dashboard_pages.dashboard(
            organisation, today, rows_only=True, evidence_generation=page_cache.evidence_generation(request)
        )
        answers = check_in_changes.dashboard_changes(organisation, figures["checklists"])
        lists = [figures[name].actions for name in ("overdue", "due_soon", "blocked")]
        # The person's membership is the one the access check read: no second query for their role.
        dashboard_pages.prepare_quick_edit(
            [action for actions in lists for action in actions], request.user, [membership]
        )
        return {
            "checklist_cards": dashboard_pages.checklist_cards(figures["summaries"], organisation),
            "owner_choices": dashboard_pages.owner_choices(*lists),
            "statuses": MitigationStatus.choices,
            "answers": answers,
            "change_points": check_in_changes.CHANGE_POINTS,
            **figures,
        }

    return page_cache.render_page(
        request,
        "peerplan/tracking/dashboard.html",
        {"organisation": organisation, "membership": membership, "today": today, "next": next_url},
        body_template="peerplan/tracking/dashboard_body.html",
        organisation=organisation,
        membership=membership,
        today=today,
        build=build,
    )


@login_required
@require_safe
def coverage(request, slug):
    """The coverage grid, on a page of its own: a large service's fifty columns made the dashboard half a
    megabyte, for a table most people open only now and then."""
    organisation, membership = load_organisation(request, slug)
    today = tracking.today()
    return page_cache.render_page(
        request,
        "peerplan/tracking/coverage.html",
        {"organisation": organisation, "membership": membership},
        body_template="peerplan/tracking/coverage_body.html",
        organisation=organisation,
        membership=membership,
        today=today,
        build=lambda: dashboard_pages.coverage(
            organisation, evidence_generation=page_cache.evidence_generation(request)
        ),
    )


def _months(request):
    """The range asked for (?months=3, 6 or 12) and the message when it is not one of them."""
    asked = request.GET.get("months", "")
    if not asked:
        return dashboard_pages.DEFAULT_TREND_MONTHS, ""
    if asked in {str(months) for months in tracking.TREND_MONTHS}:
        return int(asked), ""
    return dashboard_pages.DEFAULT_TREND_MONTHS, "Choose 3, 6 or 12 months; the last 6 months are shown."


@login_required
@require_safe
def organisation_progress(request, slug):
    organisation, membership = load_organisation(request, slug)
    months, problem = _months(request)
    context = dashboard_pages.organisation_progress(organisation, tracking.today(), months)
    return render(
        request,
        "peerplan/tracking/progress.html",
        {"organisation": organisation, "membership": membership, "problem": problem, **context},
        status=400 if problem else 200,
    )


@login_required
@require_safe
def checklist_progress(request, pk):
    checklist, membership = load_checklist(request, pk)
    months, problem = _months(request)
    context = dashboard_pages.checklist_progress(checklist, tracking.today(), months)
    return render(
        request,
        "peerplan/tracking/progress.html",
        {
            "organisation": checklist.organisation,
            "membership": membership,
            "checklist": checklist,
            "problem": problem,
            **context,
        },
        status=400 if problem else 200,
    )


@login_required
@require_safe
def actions(request, slug):
    organisation, membership = load_organisation(request, slug)
    today = tracking.today()

    def build():
        # Made only for a body that is built with filters sent: a page from the cache shows no form, and making
        # one (a deep copy of each field) cost a cached page a third of its own work. Unbound, its fields are drawn
        # without it ({% action_filters %}).
        form = ActionFilterForm(request.GET, organisation=organisation) if request.GET else None
        if form is not None:
            queryset = form.filter(Mitigation.objects.in_organisation(organisation))
            queryset = form.in_view(queryset, today=today, user=request.user)
            listing = action_lists.listing(queryset, today)
            page = action_lists.page_of_rows(listing, request.GET.get("page"), by_id=True)
        else:  # the list as everyone first opens it
            page = action_lists.first_page_of_actions(organisation, today)
        page.object_list = dashboard_pages.prepare_quick_edit(
            dashboard_pages.with_their_theme_names(page.object_list), request.user, [membership]
        )
        owner_choices = dashboard_pages.owner_choices(page.object_list)
        # The bulk bar offers the members the rows offer, read once (none read when no row is listed).
        members = dict(owner_choices).get(organisation.pk)
        return {
            "form": form,
            "page": page,
            "showing": form.showing() if form is not None else [],
            "views": dashboard_pages.quick_view_links(request.GET, ACTION_LIST_PARAMETERS),
            "owner_choices": owner_choices,
            "statuses": MitigationStatus.choices,
            "bulk": BulkActionForm.bar(members) if membership.can_edit and members is not None else None,
            "bulk_form_id": "bulk-form" if membership.can_edit else "",
        }

    return page_cache.render_page(
        request,
        "peerplan/tracking/actions.html",
        {"organisation": organisation, "membership": membership, "today": today, "next": request.get_full_path()},
        body_template="peerplan/tracking/actions_body.html",
        organisation=organisation,
        membership=membership,
        today=today,
        # Each filter and page is its own body (links back to the list keep its address); "Mine" is the
        # person's own.
        parameters=ACTION_LIST_PARAMETERS,
        per_person=request.GET.get("view") == "mine",
        build=build,
    )


@login_required
@require_safe
def my_actions(request):
    show_all = request.GET.get("show") == "all"
    view = request.GET.get("view", "")
    today = tracking.today()
    # The person's own actions in every organisation whose data they may read now: each of them is a
    # generation the body depends on, and the person is part of its key (nobody else owns these actions).
    # Setting up two-factor, or leaving, changes this list and so the key.
    memberships = action_lists.my_memberships(request.user)

    def build():
        if request.GET:
            mine = Mitigation.objects.owned_by_member(request.user)
            queryset = mine if show_all else mine.open().tracked()
            if view in dashboard_pages.MY_ACTIONS_VIEWS:
                queryset = tracking.quick_view(queryset, view, today=today, user=request.user)
            page = action_lists.page_of_rows(action_lists.listing(queryset, today), request.GET.get("page"))
            drafts = [] if show_all else list(Checklist.objects.drafts_holding(mine.open()))
        else:  # the page as everyone first opens it
            page, drafts = action_lists.my_first_page(request.user, today)
        page.object_list = dashboard_pages.prepare_quick_edit(
            dashboard_pages.with_their_theme_names(page.object_list), request.user, memberships
        )
        return {
            "page": page,
            "statuses": MitigationStatus.choices,
            "owner_choices": dashboard_pages.owner_choices(page.object_list),
            "views": dashboard_pages.quick_view_links(request.GET, {"show", "view"}, dashboard_pages.MY_ACTIONS_VIEWS),
            "unknown_view": bool(view) and view not in dashboard_pages.MY_ACTIONS_VIEWS,
            "drafts": drafts,
        }

    context = {"show_all": show_all, "today": today, "next": request.get_full_path()}
    body = page_cache.cached_body(
        request,
        "peerplan/tracking/my_actions_body.html",
        context,
        organisations=[(membership.organisation_id, membership.role) for membership in memberships],
        today=today,
        parameters={"show", "page", "view"},
        per_person=True,
        build=build,
    )
    return page_cache.page_around(request, "peerplan/tracking/my_actions.html", context, body)


@login_required
@require_safe
def checklist_history(request, pk):
    checklist, membership = load_checklist(request, pk)
    page = Paginator(history.checklist_timeline(checklist), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "peerplan/tracking/checklist_history.html",
        {"checklist": checklist, "organisation": checklist.organisation, "page": page},
    )


@login_required
@require_safe
def mitigation_history(request, pk):
    mitigation, membership = load_mitigation(request, pk)
    page = Paginator(history.mitigation_timeline(mitigation), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "peerplan/tracking/mitigation_history.html",
        {
            "mitigation": mitigation,
            "organisation": mitigation.checklist.organisation,
            "page": page,
            "can_restore": membership.can_manage,
            "status_label": MitigationStatus(mitigation.status).label,
        },
    )


@login_required
@require_POST
def mitigation_restore(request, pk, history_id):
    mitigation, membership = load_mitigation(request, pk, need=MANAGE)
    record = history.mitigation_record(mitigation, history_id)
    if record is None:
        raise Http404("No such version of this action (a deletion cannot be restored here).")
    try:
        seen_version = int(request.POST.get("version", ""))
    except ValueError:
        seen_version = None
    try:
        _, notes = mitigations.restore_mitigation(mitigation, record, by=request.user, seen_version=seen_version)
    except Conflict:
        messages.error(
            request,
            "Someone changed this action after you opened its history, so nothing was restored. "
            "Look at the latest change below and restore again if you still want to.",
        )
        return redirect("peerplan:mitigation_history", pk=mitigation.pk)
    messages.success(request, "The earlier version is restored. The timeline shows the restore as a new change.")
    for note in notes:
        messages.info(request, note)
    return redirect("peerplan:mitigation_history", pk=mitigation.pk)
