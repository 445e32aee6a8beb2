"""Deciding the challenges: the step-through review, its check-answers summary, and quick decisions
from the checklist's list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerplan.access import EDIT, load_checklist, load_item
from peerplan.forms.checklists import ItemReviewForm
from peerplan.operations import checklists
from peerplan.pages import checklists as checklist_pages
from peerplan.pages.review import ReviewWalk


def _review_url(item_id, return_to_summary=False):
    url = reverse("peerplan:item_review", args=[item_id])
    return url + "?return=summary" if return_to_summary else url


def _summary_url(checklist_id):
    return reverse("peerplan:checklist_review_summary", args=[checklist_id])


@login_required
@require_safe
def checklist_review(request, pk):
    """'Review the challenges': the first challenge nobody has decided yet, or the summary when all are."""
    checklist, membership = load_checklist(request, pk)
    if not membership.can_edit:
        # Only planners and above decide; everyone else reads the decisions.
        return redirect(_summary_url(checklist.pk))
    first = ReviewWalk.of(checklist).first_undecided()
    return redirect(_review_url(first) if first else _summary_url(checklist.pk))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def item_review(request, pk):
    """One challenge of the step-through: the evidence in place and the decision, then on to the next."""
    item, membership = load_item(request, pk, need=EDIT)
    if not item.is_challenge:
        # Benefits are chosen as outcomes, on the checklist or their own page; there is nothing to review.
        return redirect("peerplan:item", pk=item.pk)
    checklist = item.checklist
    walk = ReviewWalk.of(checklist)
    return_to_summary = (request.POST or request.GET).get("return") == "summary"
    form = ItemReviewForm(request.POST if request.method == "POST" else None, item=item)
    status = 200
    if request.method == "POST":
        go = request.POST.get("go", "next")
        if go in ("previous", "checklist") and not form.has_input():
            return redirect(_after(go, item, walk, return_to_summary))
        if form.is_valid():
            applies = form.cleaned_data["applies"]
            checklists.decide_item(
                item=item, applies=applies, reason=form.cleaned_data["not_applicable_reason"], by=request.user
            )
            messages.success(
                request, f"Saved: “{item.finding.theme.name}” {'applies' if applies else 'does not apply'}."
            )
            return redirect(_after(go, item, walk.decided_now(item.pk), return_to_summary))
        status = 400
    previous = walk.previous(item.pk)
    return render(
        request,
        "peerplan/review/item.html",
        {
            **checklist_pages.evidence_in_place(item),
            "item": item,
            "checklist": checklist,
            "membership": membership,
            "form": form,
            "position": walk.position(item.pk),
            "progress": walk.progress,
            "previous": previous,
            "return_to_summary": return_to_summary,
        },
        status=status,
    )


def _after(go, item, walk, return_to_summary):
    """Where a step leads: back, out to the checklist, back to the summary, or on to the next undecided."""
    if go == "previous":
        previous = walk.previous(item.pk)
        return _review_url(previous, return_to_summary) if previous else _review_url(item.pk, return_to_summary)
    if go == "checklist":
        return f"{reverse('peerplan:checklist', args=[item.checklist_id])}#item-{item.pk}"
    if return_to_summary:
        return f"{_summary_url(item.checklist_id)}#item-{item.pk}"
    following = walk.next_undecided(item.pk)
    return _review_url(following) if following else _summary_url(item.checklist_id)


@login_required
@require_safe
def checklist_review_summary(request, pk):
    """Check your decisions: every challenge with its decision, and a link to change any."""
    checklist, membership = load_checklist(request, pk)
    return render(
        request,
        "peerplan/review/summary.html",
        {"checklist": checklist, "membership": membership, **checklist_pages.review_summary_page(checklist)},
    )


@login_required
@require_POST
def item_decide(request, pk):
    """A quick decision from the checklist's list: applies, or does not apply with its reason."""
    item, membership = load_item(request, pk, need=EDIT)
    back = f"{reverse('peerplan:checklist', args=[item.checklist_id])}#item-{item.pk}"
    if not item.is_challenge:
        messages.error(request, "Only challenges are decided here; choose benefits as outcomes instead.")
        return redirect(back)
    form = ItemReviewForm(request.POST, item=item)
    if not form.is_valid():
        name = item.finding.theme.name
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"“{name}”: {error} Nothing was changed.")
        return redirect(back)
    applies = form.cleaned_data["applies"]
    checklists.decide_item(
        item=item, applies=applies, reason=form.cleaned_data["not_applicable_reason"], by=request.user
    )
    messages.success(request, f"Saved: “{item.finding.theme.name}” {'applies' if applies else 'does not apply'}.")
    return redirect(back)
