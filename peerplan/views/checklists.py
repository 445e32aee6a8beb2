"""Checklists, their items with the evidence in place, and mitigations (with suggested ones to adopt)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerplan import history, pages, planning, releases, tracking
from peerplan.access import EDIT, OWN, READ, load_checklist, load_item, load_mitigation, load_organisation
from peerplan.forms import ChecklistForm, ItemDecisionForm, MitigationForm
from peerplan.models import ChecklistStatus, Mitigation, SuggestedMitigation


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checklist_create(request, slug):
    organisation, membership = load_organisation(request, slug, need=EDIT)
    form = ChecklistForm(request.POST or None, initial={"status": ChecklistStatus.DRAFT})
    if request.method == "POST" and form.is_valid():
        checklist = planning.create_checklist_from_evidence(
            organisation=organisation, by=request.user, **form.cleaned_data
        )
        messages.success(
            request,
            "The checklist is created with every challenge and benefit from the evidence. "
            "Go through the challenges: say which apply and plan what you will do about them.",
        )
        return redirect("peerplan:checklist", pk=checklist.pk)
    return render(
        request,
        "peerplan/checklist_form.html",
        {"form": form, "organisation": organisation, "checklist": None},
    )


@login_required
@require_safe
def checklist(request, pk):
    checklist, membership = load_checklist(request, pk)
    page = pages.checklist_page(checklist, tracking.today())
    page["offers"] = releases.offers(checklist)
    return render(request, "peerplan/checklist.html", {"checklist": checklist, "membership": membership, **page})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checklist_edit(request, pk):
    checklist, membership = load_checklist(request, pk, need=EDIT)
    form = ChecklistForm(request.POST or None, instance=checklist)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "The checklist details are saved.")
        return redirect("peerplan:checklist", pk=checklist.pk)
    return render(
        request,
        "peerplan/checklist_form.html",
        {"form": form, "organisation": checklist.organisation, "checklist": checklist},
    )


def _set_status(request, pk, status, message):
    checklist, membership = load_checklist(request, pk, need=EDIT)
    checklist.status = status
    checklist.save()
    messages.success(request, message)
    return redirect("peerplan:checklist", pk=checklist.pk)


@login_required
@require_POST
def checklist_archive(request, pk):
    return _set_status(
        request,
        pk,
        ChecklistStatus.ARCHIVED,
        "The checklist is archived. Nothing in it is deleted; you can unarchive it.",
    )


@login_required
@require_POST
def checklist_unarchive(request, pk):
    return _set_status(request, pk, ChecklistStatus.ACTIVE, "The checklist is active again.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checklist_delete(request, pk):
    checklist, membership = load_checklist(request, pk, need=OWN)
    if request.method == "POST":
        organisation = checklist.organisation
        title = checklist.title
        checklist.delete()
        messages.success(request, f"The checklist “{title}” is deleted. The evidence is unchanged.")
        return redirect("peerplan:organisation", slug=organisation.slug)
    return render(
        request,
        "peerplan/checklist_delete.html",
        {
            "checklist": checklist,
            "item_count": checklist.items.count(),
            "mitigation_count": checklist.mitigations.count(),
        },
    )


# Items ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def item(request, pk):
    item, membership = load_item(request, pk, need=EDIT if request.method == "POST" else READ)
    form = ItemDecisionForm(request.POST or None, instance=item)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            planning.decide_item(
                item=item,
                applies=data["applies"],
                reason=data.get("not_applicable_reason", ""),
                rereview_on=data.get("rereview_on"),
                priority=data["priority"],
                note=data["note"],
            )
            messages.success(request, "Your decision is saved.")
            return redirect("peerplan:item", pk=item.pk)
        status = 400
    else:
        status = 200
    return render(request, "peerplan/item.html", {**pages.item_page(item, membership), "form": form}, status=status)


@login_required
@require_POST
def item_outcome(request, pk):
    """Choose a benefit as an outcome the service means to realise (or unchoose it), from the checklist."""
    item, membership = load_item(request, pk, need=EDIT)
    if not item.is_benefit:
        messages.error(request, "Only benefits are chosen as outcomes; open the challenge to record a decision.")
    else:
        planning.decide_item(item=item, applies=request.POST.get("applies") == "yes")
        if item.applies:
            messages.success(request, f"“{item.finding.theme.name}” is chosen as an outcome to realise.")
        else:
            messages.success(request, f"“{item.finding.theme.name}” is no longer chosen as an outcome.")
    return redirect(reverse("peerplan:checklist", args=[item.checklist_id]) + "#benefits")


# Mitigations ---------------------------------------------------------------------------------------


@login_required
@require_POST
def suggestion_adopt(request, pk, suggestion_pk):
    item, membership = load_item(request, pk, need=EDIT)
    suggestion = get_object_or_404(
        SuggestedMitigation.objects.filter(is_published=True, themes=item.finding.theme_id), pk=suggestion_pk
    )
    mitigation = planning.adopt_suggestion(item=item, suggestion=suggestion, by=request.user)
    messages.success(
        request, "The suggestion is adopted as a mitigation. Make it your own: add an owner and a due date."
    )
    return redirect("peerplan:mitigation_edit", pk=mitigation.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mitigation_create(request, pk):
    item, membership = load_item(request, pk, need=EDIT)
    organisation = item.checklist.organisation
    form = MitigationForm(
        request.POST or None,
        instance=Mitigation(item=item, checklist=item.checklist),
        organisation=organisation,
    )
    if request.method == "POST" and form.is_valid():
        planning.create_mitigation(item=item, changes=form.changes(), by=request.user)
        messages.success(request, "The mitigation is saved.")
        return redirect("peerplan:item", pk=item.pk)
    return render(
        request,
        "peerplan/mitigation_form.html",
        {"form": form, "item": item, "checklist": item.checklist, "mitigation": None},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mitigation_edit(request, pk):
    mitigation, membership = load_mitigation(request, pk, need=EDIT)
    organisation = mitigation.checklist.organisation
    form = MitigationForm(request.POST or None, instance=mitigation, organisation=organisation)
    context = {
        "item": mitigation.item,
        "checklist": mitigation.checklist,
        "mitigation": mitigation,
        "timeline": history.mitigation_timeline(mitigation),
        "can_restore": membership.can_manage,
    }
    if request.method == "POST" and form.is_valid():
        try:
            planning.update_mitigation(
                mitigation_id=mitigation.pk, changes=form.changes(), version=form.cleaned_data["version"]
            )
        except planning.Conflict as conflict:
            current = conflict.current
        else:
            messages.success(request, "The mitigation is saved.")
            return redirect("peerplan:item", pk=mitigation.item_id)
        # Someone saved meanwhile: show what changed, keep everything this person typed, and let them
        # save it over the new version (the form now carries it) or reload what is saved.
        differences = form.differences(current)
        data = request.POST.copy()
        data["version"] = str(current.version)
        form = MitigationForm(data, instance=current, organisation=organisation)
        form.is_valid()
        context |= {"conflict": current, "differences": differences, "mitigation": current}
        return render(request, "peerplan/mitigation_form.html", {**context, "form": form}, status=409)
    return render(
        request,
        "peerplan/mitigation_form.html",
        {**context, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def checklist_adopt(request, pk, suggestion_pk):
    """Adopt a high-leverage suggestion on every uncovered challenge of the checklist it addresses."""
    checklist, membership = load_checklist(request, pk, need=EDIT)
    suggestion = get_object_or_404(SuggestedMitigation.objects.filter(is_published=True), pk=suggestion_pk)
    adopted = planning.adopt_for_uncovered(checklist=checklist, suggestion=suggestion, by=request.user)
    if adopted:
        names = ", ".join(f"“{m.item.finding.theme.name}”" for m in adopted)
        messages.success(
            request,
            f"“{suggestion.title}” is adopted on {len(adopted)} challenge{'s' if len(adopted) != 1 else ''}: "
            f"{names}. Give each an owner and a due date.",
        )
    else:
        messages.info(request, "Every challenge this suggestion addresses is already covered; nothing was added.")
    return redirect("peerplan:checklist", pk=checklist.pk)


@login_required
@require_POST
def item_reviewed(request, pk):
    """A planner has read the updated evidence behind the item."""
    item, membership = load_item(request, pk, need=EDIT)
    planning.mark_evidence_reviewed(item=item)
    messages.success(request, "Marked as reviewed: the evidence is as you have now read it.")
    return redirect("peerplan:item", pk=item.pk)


@login_required
@require_safe
def checklist_phases(request, pk):
    """The checklist's mitigations by phase of introducing PSWs, with the phases that have few or none."""
    checklist, membership = load_checklist(request, pk)
    return render(
        request,
        "peerplan/checklist_phases.html",
        {"checklist": checklist, "membership": membership, **pages.phases_page(checklist)},
    )
