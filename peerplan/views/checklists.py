"""Checklists, their items with the evidence in place, and mitigations (with suggested ones to adopt)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render

from evidence.models import Perspective
from peerplan import history, insights, planning, releases
from peerplan.access import EDIT, OWN, READ, load_checklist, load_item, load_mitigation, load_organisation
from peerplan.forms import ChecklistForm, ItemDecisionForm, MitigationForm
from peerplan.models import ChecklistStatus, Mitigation, MitigationStatus, SuggestedMitigation
from peerplan.views._http import SAFE, only


@login_required
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
def checklist(request, pk):
    checklist, membership = load_checklist(request, pk)
    if refused := only(request, *SAFE):
        return refused
    page = planning.checklist_page(checklist)
    page["offers"] = releases.offers(checklist)
    return render(request, "peerplan/checklist.html", {"checklist": checklist, "membership": membership, **page})


@login_required
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
    if refused := only(request, "POST"):
        return refused
    checklist.status = status
    checklist.save()
    messages.success(request, message)
    return redirect("peerplan:checklist", pk=checklist.pk)


@login_required
def checklist_archive(request, pk):
    return _set_status(
        request,
        pk,
        ChecklistStatus.ARCHIVED,
        "The checklist is archived. Nothing in it is deleted; you can unarchive it.",
    )


@login_required
def checklist_unarchive(request, pk):
    return _set_status(request, pk, ChecklistStatus.ACTIVE, "The checklist is active again.")


@login_required
def checklist_delete(request, pk):
    checklist, membership = load_checklist(request, pk, need=OWN)
    if refused := only(request, "GET", "HEAD", "POST"):
        return refused
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
def item(request, pk):
    item, membership = load_item(request, pk, need=EDIT if request.method == "POST" else READ)
    if refused := only(request, "GET", "HEAD", "POST"):
        return refused
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
    return render(request, "peerplan/item.html", {**_item_context(item, membership), "form": form}, status=status)


def _item_context(item, membership):
    # The finding with its references and perspectives in one prefetch, so the strength, the changes
    # since review and the page all read the same rows.
    finding = item.finding
    prefetch_related_objects(
        [finding],
        "references",
        Prefetch("perspectives", queryset=Perspective.objects.order_by("position").prefetch_related("references")),
    )
    perspectives = list(finding.perspectives.all())
    mitigations = list(item.mitigations.select_related("owner", "phase", "suggestion").order_by("created_at", "pk"))
    adopted = {m.suggestion_id for m in mitigations if m.suggestion_id}
    suggestions = list(
        SuggestedMitigation.objects.filter(is_published=True, themes=finding.theme_id)
        .select_related("phase")
        .order_by("position", "title")
    )
    source = finding.theme.category.source
    evidence_updated = insights.evidence_updated(item)
    return {
        "item": item,
        "strength": insights.evidence_strength(finding),
        "evidence_updated": evidence_updated,
        "evidence_changes": insights.evidence_changes(item) if evidence_updated else [],
        "timeline": history.item_timeline(item),
        "checklist": item.checklist,
        "membership": membership,
        "finding": finding,
        "finding_references": list(finding.references.all()),
        "perspectives": perspectives,
        "has_mixed": any(p.is_mixed for p in perspectives),
        "mixed_footnote": source.footnote("a") if source else "",
        "source": source,
        "mitigations": mitigations,
        "suggestions": [(s, s.pk in adopted) for s in suggestions],
        "related": list(finding.theme.related_elsewhere()),
    }


@login_required
def item_outcome(request, pk):
    """Choose a benefit as an outcome the service means to realise (or unchoose it), from the checklist."""
    item, membership = load_item(request, pk, need=EDIT)
    if refused := only(request, "POST"):
        return refused
    if not item.is_benefit:
        messages.error(request, "Only benefits are chosen as outcomes; open the challenge to record a decision.")
    else:
        planning.decide_item(item=item, applies=request.POST.get("applies") == "yes")
        if item.applies:
            messages.success(request, f"“{item.finding.theme.name}” is chosen as an outcome to realise.")
        else:
            messages.success(request, f"“{item.finding.theme.name}” is no longer chosen as an outcome.")
    return redirect(f"{planning.checklist_url(item.checklist_id)}#benefits")


# Mitigations ---------------------------------------------------------------------------------------


@login_required
def suggestion_adopt(request, pk, suggestion_pk):
    item, membership = load_item(request, pk, need=EDIT)
    suggestion = get_object_or_404(
        SuggestedMitigation.objects.filter(is_published=True, themes=item.finding.theme_id), pk=suggestion_pk
    )
    if refused := only(request, "POST"):
        return refused
    mitigation = planning.adopt_suggestion(item=item, suggestion=suggestion, by=request.user)
    messages.success(
        request, "The suggestion is adopted as a mitigation. Make it your own: add an owner and a due date."
    )
    return redirect("peerplan:mitigation_edit", pk=mitigation.pk)


@login_required
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
        result = planning.update_mitigation(
            mitigation_id=mitigation.pk, changes=form.changes(), version=form.cleaned_data["version"]
        )
        if not isinstance(result, planning.Conflict):
            messages.success(request, "The mitigation is saved.")
            return redirect("peerplan:item", pk=mitigation.item_id)
        # Someone saved meanwhile: show what changed, keep everything this person typed, and let them
        # save it over the new version (the form now carries it) or reload what is saved.
        current = result.current
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
def checklist_adopt(request, pk, suggestion_pk):
    """Adopt a high-leverage suggestion on every uncovered challenge of the checklist it addresses."""
    checklist, membership = load_checklist(request, pk, need=EDIT)
    suggestion = get_object_or_404(SuggestedMitigation.objects.filter(is_published=True), pk=suggestion_pk)
    if refused := only(request, "POST"):
        return refused
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
def item_reviewed(request, pk):
    """A planner has read the updated evidence behind the item."""
    item, membership = load_item(request, pk, need=EDIT)
    if refused := only(request, "POST"):
        return refused
    planning.mark_evidence_reviewed(item=item)
    messages.success(request, "Marked as reviewed: the evidence is as you have now read it.")
    return redirect("peerplan:item", pk=item.pk)


@login_required
def checklist_phases(request, pk):
    """The checklist's mitigations by phase of introducing PSWs, with the phases that have few or none."""
    checklist, membership = load_checklist(request, pk)
    if refused := only(request, *SAFE):
        return refused
    mitigations = list(
        checklist.mitigations.select_related("item__finding__theme", "owner", "phase").order_by(
            "phase__position", "due_date", "pk"
        )
    )
    counts = insights.phase_counts(checklist)
    by_phase = [
        (count, [m for m in mitigations if m.phase_id == (count.phase.pk if count.phase else None)]) for count in counts
    ]
    if not any(count.phase is None for count in counts):
        unphased = [m for m in mitigations if m.phase_id is None]
        if unphased:
            by_phase.append((insights.PhaseCount(None, 0), unphased))
    return render(
        request,
        "peerplan/checklist_phases.html",
        {
            "checklist": checklist,
            "membership": membership,
            "by_phase": by_phase,
            "co_production": insights.co_production(checklist),
            "dropped": MitigationStatus.DROPPED,
        },
    )
