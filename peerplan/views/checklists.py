"""Checklists, their items with the evidence in place, and mitigations (with suggested ones to adopt)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerplan.access import EDIT, OWN, READ, load_checklist, load_item, load_mitigation, load_organisation
from peerplan.figures import tracking
from peerplan.forms.checklists import ChecklistCreateForm, ChecklistForm, ItemDecisionForm
from peerplan.forms.mitigations import ActionForm
from peerplan.lib.errors import Conflict
from peerplan.lib.links import came_from
from peerplan.models import ChecklistStatus, Mitigation, MitigationStatus, SuggestedMitigation
from peerplan.operations import checklists, mitigations
from peerplan.pages import checklists as checklist_pages
from peerplan.pages import collaboration as collaboration_pages
from peerplan.pages import dashboard, page_cache


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checklist_create(request, slug):
    organisation, membership = load_organisation(request, slug, need=EDIT)
    initial = {"status": ChecklistStatus.DRAFT, "copy_from": request.GET.get("copy_from")}
    form = ChecklistCreateForm(request.POST or None, initial=initial, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        details = dict(form.cleaned_data)
        source = details.pop("copy_from")
        if source is None:
            checklist = checklists.create_checklist_from_evidence(organisation=organisation, by=request.user, **details)
            messages.success(
                request,
                "The checklist is created with every challenge and benefit from the evidence. "
                "Review the challenges: say which apply, then plan the actions that mitigate them.",
            )
        else:
            checklist = checklists.copy_checklist(source=source, by=request.user, **details)
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
        status=400 if form.is_bound else 200,
    )


@login_required
@require_safe
def checklist(request, pk):
    checklist, membership = load_checklist(request, pk)
    today = tracking.today()

    def build():
        return checklist_pages.checklist_page(checklist, today, page_cache.evidence_generation(request))

    return page_cache.render_page(
        request,
        "peerplan/checklist.html",
        {"checklist": checklist, "membership": membership},
        body_template="peerplan/checklist_body.html",
        organisation=checklist.organisation,
        membership=membership,
        today=today,
        parts=(checklist.pk,),
        build=build,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checklist_edit(request, pk):
    checklist, membership = load_checklist(request, pk, need=EDIT)
    form = ChecklistForm(request.POST or None, instance=checklist)
    if request.method == "POST" and form.is_valid():
        checklists.change_checklist(checklist=checklist, changes=form.cleaned_data)
        messages.success(request, "The checklist details are saved.")
        return redirect("peerplan:checklist", pk=checklist.pk)
    return render(
        request,
        "peerplan/checklist_form.html",
        {"form": form, "organisation": checklist.organisation, "checklist": checklist},
        status=400 if form.is_bound else 200,
    )


def _set_status(request, pk, status, message):
    checklist, membership = load_checklist(request, pk, need=EDIT)
    checklists.set_checklist_status(checklist=checklist, status=status)
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
def checklist_activate(request, pk):
    """A draft made active (from its notice or the review's summary): the same status change as its form."""
    return _set_status(
        request,
        pk,
        ChecklistStatus.ACTIVE,
        "The checklist is active: its actions now count on the dashboard, in My actions and in reminders.",
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
        checklists.delete_checklist(checklist=checklist)
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
    form = None  # a GET's form is made only when its body is built (a cached body has it already)
    if request.method == "POST":
        form = ItemDecisionForm(request.POST, instance=item)
        if form.is_valid():
            data = form.cleaned_data
            checklists.decide_item(
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
    today = tracking.today()

    def build():
        # Read once for the handles one can mention and the members the actions can be given to.
        members = dashboard.MEMBERS(organisation_id=item.checklist.organisation_id)
        context = {
            **checklist_pages.item_page(item, membership, page_cache.evidence_generation(request)),
            **collaboration_pages.discussion(membership=membership, item=item, members=members),
        }
        dashboard.prepare_quick_edit(context["mitigations"], request.user, [membership], member_rows=members)
        return {
            **context,
            "form": form or ItemDecisionForm(instance=item),
            "statuses": MitigationStatus.choices,
            "owner_choices": dashboard.owner_choices(context["mitigations"]),
        }

    return page_cache.render_page(
        request,
        "peerplan/item.html",
        {
            "organisation": item.checklist.organisation,
            "membership": membership,
            "item": item,
            "finding": item.finding,
            "checklist": item.checklist,
            "today": today,
            "next": request.get_full_path(),
        },
        body_template="peerplan/item_body.html",
        organisation=item.checklist.organisation,
        membership=membership,
        today=today,
        # A decision that was not saved (a POST) is shown with its messages, never cached. Their own
        # comments have controls: a body per person.
        parameters=(),
        per_person=True,
        build=build,
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def item_outcome(request, pk):
    """Choose a benefit as an outcome the service means to realise (or unchoose it), from the checklist."""
    item, membership = load_item(request, pk, need=EDIT)
    if not item.is_benefit:
        messages.error(request, "Only benefits are chosen as outcomes; open the challenge to record a decision.")
    else:
        checklists.decide_item(item=item, applies=request.POST.get("applies") == "yes", by=request.user)
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
        SuggestedMitigation.objects.published().filter(themes=item.finding.theme_id), pk=suggestion_pk
    )
    mitigation = mitigations.adopt_suggestion(item=item, suggestion=suggestion, by=request.user)
    messages.success(request, "The suggestion is adopted as an action. Make it your own: add an owner and a due date.")
    return _edit_then_back(mitigation, came_from(request, _item_url(item.pk)))


def _edit_then_back(mitigation, back):
    """The new action's form, which returns to `back` (the page the person adopted from) once saved."""
    return redirect(f"{reverse('peerplan:mitigation_edit', args=[mitigation.pk])}?{urlencode({'next': back})}")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mitigation_create(request, pk):
    """A new action, first for this item; the challenges it addresses are ticked in the same form."""
    item, membership = load_item(request, pk, need=EDIT)
    form = ActionForm(
        request.POST or None,
        instance=Mitigation(checklist=item.checklist),
        organisation=item.checklist.organisation,
        checklist=item.checklist,
        addressed=[item],
    )
    back = came_from(request, _item_url(item.pk))
    if request.method == "POST" and form.is_valid():
        mitigations.create_mitigation(
            items=list(form.cleaned_data["challenges"]), changes=form.changes(), by=request.user
        )
        messages.success(request, "The action is saved.")
        return redirect(back)
    return render(
        request,
        "peerplan/mitigation_form.html",
        {"form": form, "item": item, "checklist": item.checklist, "mitigation": None, "back": back, "next": back},
        status=400 if form.is_bound else 200,
    )


def _item_url(item_id):
    return reverse("peerplan:item", args=[item_id])


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mitigation_edit(request, pk):
    """The action's text, details, owner, dates and challenges in one form; saving returns to where the
    person came from (the action's page unless they brought a `next`)."""
    mitigation, membership = load_mitigation(request, pk, need=EDIT)
    organisation = mitigation.checklist.organisation
    addressed = mitigation.addressed
    form = ActionForm(
        request.POST or None,
        instance=mitigation,
        organisation=organisation,
        checklist=mitigation.checklist,
        addressed=addressed,
    )
    back = came_from(request, reverse("peerplan:mitigation_discussion", args=[mitigation.pk]))
    context = {"checklist": mitigation.checklist, "mitigation": mitigation, "back": back, "next": back}
    if request.method == "POST" and form.is_valid():
        try:
            mitigations.save_mitigation(
                mitigation_id=mitigation.pk,
                changes=form.changes(),
                items=list(form.cleaned_data["challenges"]),
                version=form.cleaned_data["version"],
                by=request.user,
            )
        except Conflict as conflict:
            current = conflict.current
        else:
            messages.success(request, "The action is saved.")
            return redirect(back)
        # Someone saved meanwhile: show what changed, keep everything this person typed and ticked, and
        # let them save it over the new version (the form now carries it) or reload what is saved.
        differences = form.differences(current)
        data = request.POST.copy()
        data["version"] = str(current.version)
        form = ActionForm(
            data,
            instance=current,
            organisation=organisation,
            checklist=mitigation.checklist,
            addressed=current.items.all(),
        )
        form.is_valid()
        context |= {"conflict": current, "differences": differences, "mitigation": current}
        return render(request, "peerplan/mitigation_form.html", {**context, "form": form}, status=409)
    return render(
        request, "peerplan/mitigation_form.html", {**context, "form": form}, status=400 if form.is_bound else 200
    )


@login_required
@require_POST
def checklist_adopt(request, pk, suggestion_pk):
    """Adopt a high-leverage suggestion on every uncovered challenge of the checklist it addresses."""
    checklist, membership = load_checklist(request, pk, need=EDIT)
    suggestion = get_object_or_404(SuggestedMitigation.objects.published(), pk=suggestion_pk)
    adopted = mitigations.adopt_for_uncovered(checklist=checklist, suggestion=suggestion, by=request.user)
    back = came_from(request, reverse("peerplan:checklist", args=[checklist.pk]))
    if adopted is None:
        messages.info(request, "Every challenge this suggestion addresses is already covered; nothing was added.")
        return redirect(back)
    items = adopted.addressed
    names = ", ".join(f"“{item.finding.theme.name}”" for item in items)
    messages.success(
        request,
        f"“{suggestion.title}” is adopted as one action addressing {len(items)} "
        f"challenge{'s' if len(items) != 1 else ''}: {names}. Give it an owner and a due date.",
    )
    return _edit_then_back(adopted, back)


@login_required
@require_POST
def item_reviewed(request, pk):
    """A planner has read the updated evidence behind the item."""
    item, membership = load_item(request, pk, need=EDIT)
    checklists.mark_evidence_reviewed(item=item)
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
        {"checklist": checklist, "membership": membership, **checklist_pages.phases_page(checklist)},
    )
