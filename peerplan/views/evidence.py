"""What a new evidence release asks of a checklist: add the findings it is offered, and keep or close items
whose finding a release retired."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from peerplan import releases
from peerplan.access import EDIT, load_checklist, load_item
from peerplan.planning import PlanningRuleError
from peerplan.views._http import only


@login_required
def checklist_add_evidence(request, pk):
    """Add one offered finding, or all of an offer, to the checklist."""
    checklist, membership = load_checklist(request, pk, need=EDIT)
    if refused := only(request, "POST"):
        return refused
    ids = [int(value) for value in request.POST.getlist("finding") if value.isascii() and value.isdigit()]
    try:
        items = releases.add_offered_findings(checklist=checklist, finding_ids=ids, by=request.user)
    except PlanningRuleError as error:
        messages.error(request, str(error))
    else:
        names = ", ".join(f"{item.finding.theme.name} ({item.finding.get_valence_display().lower()})" for item in items)
        messages.success(request, f"Added to this checklist: {names}.")
    return redirect("peerplan:checklist", pk=checklist.pk)


@login_required
def item_retired(request, pk):
    """Keep or close an item whose finding is no longer in the current evidence."""
    item, membership = load_item(request, pk, need=EDIT)
    if refused := only(request, "POST"):
        return refused
    choice = request.POST.get("choice")
    if choice not in ("keep", "close"):
        messages.error(request, "Choose whether to keep this item in the plan or close it.")
        return redirect("peerplan:item", pk=item.pk)
    try:
        releases.settle_retired_item(item=item, keep=choice == "keep")
    except PlanningRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            "Kept in the plan." if choice == "keep" else "Closed: it no longer counts as a challenge to cover.",
        )
    return redirect("peerplan:item", pk=item.pk)
