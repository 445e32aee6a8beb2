"""Checklists, their items with the evidence in place, and mitigations (with suggested ones to adopt)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from evidence.models import Perspective, Source
from peerplan import actions as pages_actions
from peerplan import history, insights, planning, tracking
from peerplan.access import EDIT, OWN, READ, load_checklist, load_item, load_mitigation, load_organisation
from peerplan.actions import prepare_quick_edit
from peerplan.forms import ChecklistCreateForm, ChecklistForm, ItemDecisionForm, MitigationForm
from peerplan.models import ChecklistStatus, Mitigation, MitigationStatus, SuggestedMitigation, addressed_items
from peerplan.views._http import SAFE, only


@login_required
def checklist_create(request, slug):
    organisation, membership = load_organisation(request, slug, need=EDIT)
    initial = {"status": ChecklistStatus.DRAFT, "copy_from": request.GET.get("copy_from")}
    form = ChecklistCreateForm(request.POST or None, initial=initial, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        details = dict(form.cleaned_data)
        source = details.pop("copy_from")
        if source is None:
            checklist = planning.create_checklist_from_evidence(organisation=organisation, by=request.user, **details)
            messages.success(
                request,
                "The checklist is created with every challenge and benefit from the evidence. "
                "Review the challenges: say which apply, then plan the actions that mitigate them.",
            )
        else:
            checklist = planning.copy_checklist(source=source, by=request.user, **details)
            messages.success(
                request,
                f"The checklist is created as a copy of “{source.title}”: its decisions, and its actions "
                "reset to planned without due dates. Check them for this service.",
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
                by=request.user,
            )
            messages.success(request, "Your decision is saved.")
            return redirect("peerplan:item", pk=item.pk)
        status = 400
    else:
        status = 200
    context = _item_context(item, membership)
    prepare_quick_edit(context["mitigations"], request.user)
    context |= {
        "form": form,
        "statuses": MitigationStatus.choices,
        "today": tracking.today(),
        "next": request.get_full_path(),
    }
    return render(request, "peerplan/item.html", context, status=status)


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
    mitigations = list(
        item.mitigations.select_related("owner", "phase", "suggestion", "checklist")
        .prefetch_related(addressed_items())
        .order_by("created_at", "pk")
    )
    adopted = {m.suggestion_id for m in mitigations if m.suggestion_id}
    suggestions = list(
        SuggestedMitigation.objects.filter(is_published=True, themes=finding.theme_id)
        .select_related("phase")
        .order_by("position", "title")
    )
    source = Source.objects.order_by("pk").first()
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
        planning.decide_item(item=item, applies=request.POST.get("applies") == "yes", by=request.user)
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
    messages.success(request, "The suggestion is adopted as an action. Make it your own: add an owner and a due date.")
    return redirect("peerplan:mitigation_edit", pk=mitigation.pk)


@login_required
def mitigation_create(request, pk):
    item, membership = load_item(request, pk, need=EDIT)
    organisation = item.checklist.organisation
    form = MitigationForm(
        request.POST or None, instance=Mitigation(checklist=item.checklist), organisation=organisation
    )
    if request.method == "POST" and form.is_valid():
        planning.create_mitigation(item=item, changes=form.changes(), by=request.user)
        messages.success(request, "The action is saved.")
        return redirect("peerplan:item", pk=item.pk)
    return render(
        request,
        "peerplan/mitigation_form.html",
        {"form": form, "item": item, "checklist": item.checklist, "mitigation": None, "back": _item_url(item.pk)},
        status=400 if form.is_bound else 200,
    )


def _item_url(item_id):
    return reverse("peerplan:item", args=[item_id])


def _next_url(request, default):
    """Where to land after saving: the list (with its filters) the edit was opened from, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
def mitigation_edit(request, pk):
    mitigation, membership = load_mitigation(request, pk, need=EDIT)
    organisation = mitigation.checklist.organisation
    form = MitigationForm(request.POST or None, instance=mitigation, organisation=organisation)
    addressed = mitigation.addressed
    back = _next_url(
        request, _item_url(addressed[0].pk) if addressed else planning.checklist_url(mitigation.checklist_id)
    )
    context = {
        "checklist": mitigation.checklist,
        "mitigation": mitigation,
        "addressed": addressed,
        "linkable": pages_actions.linkable_items(mitigation, addressed),
        "duplicates": pages_actions.duplicates_of(mitigation),
        "timeline": history.mitigation_timeline(mitigation),
        "can_restore": membership.can_manage,
        "back": back,
        "next": _next_url(request, ""),
    }
    if request.method == "POST" and form.is_valid():
        result = planning.update_mitigation(
            mitigation_id=mitigation.pk, changes=form.changes(), version=form.cleaned_data["version"]
        )
        if not isinstance(result, planning.Conflict):
            messages.success(request, "The action is saved.")
            return redirect(back)
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
    if adopted is None:
        messages.info(request, "Every challenge this suggestion addresses is already covered; nothing was added.")
        return redirect("peerplan:checklist", pk=checklist.pk)
    items = adopted.addressed
    names = ", ".join(f"“{item.finding.theme.name}”" for item in items)
    messages.success(
        request,
        f"“{suggestion.title}” is adopted as one action addressing {len(items)} "
        f"challenge{'s' if len(items) != 1 else ''}: {names}. Give it an owner and a due date.",
    )
    return redirect("peerplan:mitigation_edit", pk=adopted.pk)


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
