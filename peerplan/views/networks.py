"""Networks (their page and invitations, for coordinators), an organisation's answer to an invitation
(for its owners), and the organisation's anonymous-sharing setting."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerplan.access import OWN, READ, load_network, load_network_membership, load_organisation
from peerplan.figures import tracking
from peerplan.forms.organisations import NetworkInviteForm, SharingForm
from peerplan.lib.errors import Refused
from peerplan.models.networks import (
    CHECK_INS_NOT_SHARED,
    CHECK_INS_SHARED,
    NOT_SHARED,
    SHARED,
    coordinator_names,
    find_organisations,
    invitations_for,
)
from peerplan.models.shared_learning import HOLD, MIN_SERVICES, ROUND_TO
from peerplan.operations import networks
from peerplan.pages import networks as network_pages
from peerplan.views.tracking import _months


@login_required
@require_safe
def network(request, network):
    network = load_network(request, network)
    months, problem = _months(request)
    context = network_pages.network_page(network, tracking.today(), months)
    return render(
        request,
        "peerplan/networks/network.html",
        {"network": network, "problem": problem, "ranges": tracking.TREND_MONTHS, **context},
        status=400 if problem else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def network_invite(request, network):
    network = load_network(request, network)
    query = request.GET.get("q", "")
    form = NetworkInviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            organisation = form.cleaned_data["organisation"]
            try:
                networks.invite_organisation(network=network, organisation=organisation, by=request.user)
            except Refused as error:
                form.add_error("organisation", str(error))
            else:
                messages.success(request, f"{organisation.name} is invited. Its owners see the invitation on its page.")
                return redirect("peerplan:network", network=network.slug)
    status = 400 if form.errors else 200
    return render(
        request,
        "peerplan/networks/invite.html",
        {
            "network": network,
            "form": form,
            "query": query,
            "found": find_organisations(query, network),
            "pending": list(network.memberships.invited().select_related("organisation").order_by("-invited_at")),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_network(request, slug, pk):
    """What joining shares, in plain words, and (for owners) accept or decline."""
    need = OWN if request.method == "POST" else READ
    network_membership, membership = load_network_membership(request, slug, pk, need=need)
    problem = ""
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in ("accept", "decline"):
            problem = "Choose to accept or to decline the invitation."
        else:
            try:
                networks.answer_invitation(
                    membership=network_membership,
                    accept=answer == "accept",
                    by=request.user,
                    share_check_ins=request.POST.get("share_check_ins") == "yes",
                )
            except Refused as error:
                problem = str(error)
            else:
                name = network_membership.network.name
                if answer == "accept":
                    messages.success(request, f"You joined {name}. Its coordinators now see what you agreed to share.")
                else:
                    messages.success(request, f"You declined to join {name}. Nothing is shared.")
                return redirect("peerplan:organisation", slug=slug)
    return _network_membership_page(
        request,
        "peerplan/networks/membership.html",
        network_membership,
        membership,
        problem,
        coordinators=coordinator_names(network_membership.network),
        shared=SHARED,
        not_shared=NOT_SHARED,
        check_ins_shared=CHECK_INS_SHARED,
        check_ins_not_shared=CHECK_INS_NOT_SHARED,
    )


@login_required
@require_POST
def organisation_network_check_ins(request, slug, pk):
    """An owner gives or withdraws the separate consent to share the organisation's check-in trends."""
    network_membership, _ = load_network_membership(request, slug, pk, need=OWN)
    share = request.POST.get("share_check_ins") == "yes"
    try:
        networks.set_check_in_sharing(membership=network_membership, share=share, by=request.user)
    except Refused as error:
        messages.error(request, str(error))
    else:
        name = network_membership.network.name
        if share:
            messages.success(request, f"{name}'s coordinators now see your check-in trends.")
        else:
            messages.success(request, f"{name}'s coordinators no longer see your check-in trends.")
    return redirect("peerplan:organisation_network", slug=slug, pk=network_membership.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_network_leave(request, slug, pk):
    network_membership, membership = load_network_membership(request, slug, pk, need=OWN)
    problem = ""
    if request.method == "POST":
        try:
            networks.leave_network(membership=network_membership, by=request.user)
        except Refused as error:
            problem = str(error)
        else:
            messages.success(
                request, f"You left {network_membership.network.name}. Its coordinators no longer see your figures."
            )
            return redirect("peerplan:organisation", slug=slug)
    return _network_membership_page(request, "peerplan/networks/leave.html", network_membership, membership, problem)


def _network_membership_page(request, template, network_membership, membership, problem, **extra):
    """An organisation's page about one network it is in or invited to; 400 with the problem when an
    answer could not be taken."""
    return render(
        request,
        template,
        {
            "organisation": network_membership.organisation,
            "membership": membership,
            "network_membership": network_membership,
            "network": network_membership.network,
            "problem": problem,
            **extra,
        },
        status=400 if problem else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_sharing(request, slug):
    """Every member reads whether the organisation shares anonymously; only owners switch it."""
    organisation, membership = load_organisation(request, slug, need=OWN if request.method == "POST" else READ)
    # Bound on every POST: an unticked box sends nothing, and that is the answer "do not share".
    form = SharingForm(
        request.POST if request.method == "POST" else None,
        initial={"share_anonymously": organisation.share_anonymously},
    )
    if request.method == "POST" and form.is_valid():
        networks.set_anonymous_sharing(organisation=organisation, share=form.cleaned_data["share_anonymously"])
        if organisation.share_anonymously:
            messages.success(request, "Your figures will be counted anonymously from the next computation.")
        else:
            messages.success(request, "Your figures will no longer be counted, from the next computation.")
        return redirect("peerplan:organisation_sharing", slug=slug)
    return render(
        request,
        "peerplan/networks/sharing.html",
        {
            "organisation": organisation,
            "membership": membership,
            "form": form,
            "networks": invitations_for(organisation),
            "min_services": MIN_SERVICES,
            "round_to": ROUND_TO,
            "hold": HOLD,
        },
    )
