"""Changing actions: merging duplicates into one, status, owner and due date in place from any list, and
many actions at once. (Which challenges an action addresses is ticked in its form: views/checklists.py.)"""

import copy
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from peerplan.access import EDIT, load_mitigation, load_organisation
from peerplan.figures import tracking
from peerplan.forms.mitigations import BulkActionForm, QuickActionForm
from peerplan.lib.errors import Conflict
from peerplan.lib.links import came_from
from peerplan.lib.text import shorten
from peerplan.models import Mitigation, MitigationStatus
from peerplan.operations import mitigations
from peerplan.pages import dashboard

LIST_KEY = re.compile(r"[a-z-]{0,20}")


def posted_ids(request, name):
    """The whole-number ids posted under `name`; anything else is left out (and reported by the caller)."""
    return {int(value) for value in request.POST.getlist(name) if value.strip().isdigit()}


def in_scope(queryset, ids):
    """The objects of `queryset` with these ids; a 404 if any id is not among them (another
    organisation's, or gone), so nothing is changed and nothing is learnt about other organisations."""
    found = list(queryset.filter(pk__in=ids))
    if len(found) != len(ids):
        raise Http404("No such action or challenge.")
    return found


@login_required
@require_POST
def mitigation_merge(request, pk):
    """Merge other actions of the same checklist into this one ("merge into one" for duplicates)."""
    mitigation, membership = load_mitigation(request, pk, need=EDIT)
    home = reverse("peerplan:mitigation_discussion", args=[mitigation.pk])
    ids = posted_ids(request, "others") - {mitigation.pk}
    if not ids:
        messages.error(request, "Choose the actions to merge into this one. Nothing was changed.")
        return redirect(home + "#merge")
    others = in_scope(Mitigation.objects.filter(checklist_id=mitigation.checklist_id), ids)
    mitigations.merge_mitigations(keep=mitigation, others=others, by=request.user)
    messages.success(
        request,
        f"{len(others)} action{'s were' if len(others) != 1 else ' was'} merged into this one. It addresses every "
        "challenge they did, and their history is kept with it.",
    )
    return redirect(home)


# In place: status, owner and due date from any list -----------------------------------------------


@login_required
@require_POST
def mitigation_quick(request, pk):
    """Change an action's status, owner or due date in place. With htmx the answer is the action's
    properties, saying it was saved and offering Undo (which posts the previous values here, with the new
    version); without JavaScript a redirect back to the list (its filters kept). A change made from a stale
    page is refused as a conflict, keeping what the person chose."""
    mitigation, membership = load_mitigation(request, pk, need=EDIT, challenges=False)
    organisation = mitigation.checklist.organisation
    # The form writes cleaned values onto its instance as it validates: what is saved is kept apart, a copy
    # (with its own cache of related rows) rather than a second read.
    saved = copy.copy(mitigation)
    form = QuickActionForm(request.POST, instance=mitigation, organisation=organisation)
    back = came_from(request, reverse("peerplan:mitigation_discussion", args=[mitigation.pk]))
    chosen = {
        "status": request.POST.get("status", ""),
        "owner": int(request.POST["owner"]) if request.POST.get("owner", "").isdigit() else None,
        "due_date": request.POST.get("due_date", ""),
    }
    if not form.is_valid():
        errors = [error for errors in form.errors.values() for error in errors]
        return _quick_answer(request, saved, back, "invalid", membership, status=400, chosen=chosen, errors=errors)
    changes = form.changes(saved)
    if not changes:
        # What they chose is what is saved (even if someone else saved it meanwhile): nothing to overwrite.
        return _quick_answer(request, saved, back, "unchanged", membership)
    try:
        result = mitigations.update_mitigation(
            mitigation_id=mitigation.pk, changes=changes, version=form.cleaned_data["version"], by=request.user
        )
    except Conflict as conflict:
        conflict.current.checklist = mitigation.checklist  # the same row, read with its organisation already
        return _quick_answer(request, conflict.current, back, "conflict", membership, status=409, chosen=chosen)
    result.checklist = mitigation.checklist
    undone = request.POST.get("undo") == "1"
    outcome = "undone" if undone else "saved"
    return _quick_answer(request, result, back, outcome, membership, previous=None if undone else saved)


@login_required
@require_safe
def mitigation_change(request, pk):
    """Status, owner and due date as one plain form: the lists' "Change" link without JavaScript. It posts
    to mitigation_quick, which comes back to `next` (the list with its filters)."""
    mitigation, membership = load_mitigation(request, pk, need=EDIT)
    action = Mitigation.objects.for_listing().get(pk=mitigation.pk)
    back = came_from(request, reverse("peerplan:mitigation_discussion", args=[action.pk]))
    dashboard.prepare_quick_edit([action], request.user, memberships=[membership])
    return _quick_page(request, action, back, outcome="")


def _quick_page(request, action, back, *, outcome, status=200, errors=()):
    return render(
        request,
        "peerplan/quick_edit_page.html",
        {
            "action": action,
            "organisation": action.checklist.organisation,
            "today": tracking.today(),
            "next": back,
            "outcome": outcome,
            "errors": errors,
            "statuses": MitigationStatus.choices,
        },
        status=status,
    )


def _quick_answer(request, action, back, outcome, membership, status=200, chosen=None, errors=(), previous=None):
    if chosen is None:
        # What is saved is shown (the owner's name read with the action): the members to choose from, which
        # only a person's own choice is looked up in, are not read. Who may change it: the membership the
        # access check read.
        action.can_edit = membership.can_edit
        dashboard.show(action)
    else:
        # The person's membership as the access check read it: not read again for who may change the action.
        dashboard.prepare_quick_edit([action], request.user, memberships=[membership])
        dashboard.show(action, chosen)
    if not request.htmx:
        if outcome in ("saved", "undone", "unchanged"):
            messages.success(
                request, f"Saved: “{shorten(action.action, 60)}”." if outcome != "unchanged" else "Nothing to change."
            )
            return redirect(back)
        # Without JavaScript a conflict or a mistake gets the plain form again, with the person's choices kept.
        return _quick_page(request, action, back, outcome=outcome, status=status, errors=errors)
    context = {
        "action": action,
        "today": tracking.today(),
        "next": back,
        "outcome": outcome,
        "errors": errors,
        "previous": previous,
        "statuses": MitigationStatus.choices,
        "announce": True,
        # The ids' prefix of the list the row is in (the dashboard lists an action twice at most).
        "list_key": request.POST.get("list_key", "") if LIST_KEY.fullmatch(request.POST.get("list_key", "")) else "",
    }
    return render(request, "peerplan/includes/action_properties.html", context, status=status)


# Many at once -----------------------------------------------------------------------------------------


def selected_versions(request):
    """{action id: version it was shown at} from checkboxes valued "id:version"."""
    selected = {}
    for value in request.POST.getlist("ids"):
        pk, _, version = value.partition(":")
        if pk.isdigit() and version.isdigit():
            selected[int(pk)] = int(version)
    return selected


@login_required
@require_POST
def actions_bulk(request, slug):
    """Set status, owner or due date on many actions of the organisation at once; say what changed.
    Every id must be one of this organisation's actions (a 404 otherwise, nothing changed); an action
    someone changed since the list was shown is left alone and named."""
    organisation, membership = load_organisation(request, slug, need=EDIT)
    back = came_from(request, reverse("peerplan:actions", args=[organisation.slug]))
    selected = selected_versions(request)
    form = BulkActionForm(request.POST, organisation=organisation)
    actions = in_scope(Mitigation.objects.in_organisation(organisation).order_by("pk"), set(selected))
    if not selected:
        messages.error(request, "Select at least one action. Nothing was changed.")
        return redirect(back)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{error} Nothing was changed.")
        return redirect(back)
    changes = form.changes()
    if not changes:
        messages.error(request, "Choose what to set: a status, an owner or a due date. Nothing was changed.")
        return redirect(back)
    result = mitigations.bulk_update_mitigations(actions=actions, versions=selected, changes=changes, by=request.user)
    for message in result.messages(changes):
        (messages.warning if message.startswith("Not changed") else messages.success)(request, message)
    return redirect(back)
