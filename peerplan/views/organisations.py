"""Organisations, their members and invitations."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from peerplan import planning, ratelimit
from peerplan.access import MANAGE, READ, load_organisation
from peerplan.forms import InvitationForm, OrganisationForm
from peerplan.models import (
    ChecklistStatus,
    Invitation,
    Membership,
    Role,
    coverage_by_checklist,
)
from peerplan.views._http import SAFE, only


@login_required
def home(request):
    memberships = (
        Membership.objects.filter(user=request.user).select_related("organisation").order_by("organisation__name")
    )
    return render(request, "peerplan/start.html", {"memberships": memberships})


@login_required
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = planning.create_organisation(name=form.cleaned_data["name"], by=request.user)
        messages.success(request, f"{organisation.name} is created and you are its owner.")
        return redirect("peerplan:organisation", slug=organisation.slug)
    return render(request, "peerplan/organisation_form.html", {"form": form})


@login_required
def organisation(request, slug):
    organisation, membership = load_organisation(request, slug)
    if refused := only(request, *SAFE):
        return refused
    checklists = list(organisation.checklists.select_related("created_by").order_by("title", "pk"))
    coverage = coverage_by_checklist([c.pk for c in checklists])
    rows = [(checklist, coverage[checklist.pk]) for checklist in checklists]
    return render(
        request,
        "peerplan/organisation.html",
        {
            "organisation": organisation,
            "membership": membership,
            "current": [row for row in rows if row[0].status != ChecklistStatus.ARCHIVED],
            "archived": [row for row in rows if row[0].status == ChecklistStatus.ARCHIVED],
        },
    )


def _members_page(request, organisation, membership, invite_form=None, status=200):
    members = list(organisation.memberships.select_related("user").order_by("user__first_name", "user__email"))
    invitations = list(
        organisation.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("invited_by")
        .order_by("-created_at")
    )
    by_user = {member.user_id: member for member in members}
    for invitation in invitations:
        invitation.problem = planning.invitation_problem(invitation, members=by_user)
    if invite_form is None and membership.can_manage:
        invite_form = InvitationForm(can_invite_owner=membership.is_owner)
    role_choices = Role.choices if membership.is_owner else [c for c in Role.choices if c[0] != Role.OWNER]
    return render(
        request,
        "peerplan/members.html",
        {
            "organisation": organisation,
            "membership": membership,
            "members": members,
            "invitations": invitations,
            "invite_form": invite_form,
            "role_choices": role_choices,
            "site_url": settings.SITE_URL,
            "invitation_days": settings.INVITATION_DAYS,
            "paused": planning.paused_sign_ins([m.user for m in members]) if membership.can_manage else set(),
        },
        status=status,
    )


def no_longer_member(request, organisation, error):
    """The loser of a race (another owner removed this person while their request was on its way): a
    clear page, 409 Conflict, rather than the members page they may no longer see."""
    return render(
        request,
        "peerplan/no_longer_member.html",
        {"organisation_name": organisation.name, "problem": error},
        status=409,
    )


@login_required
def members(request, slug):
    organisation, membership = load_organisation(request, slug, need=READ)
    if refused := only(request, *SAFE):
        return refused
    return _members_page(request, organisation, membership)


def invitation_url(invitation):
    return settings.SITE_URL + reverse("peerplan:invitation_accept", args=[invitation.token])


@login_required
def member_invite(request, slug):
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    if refused := only(request, "POST"):
        return refused
    if wait := ratelimit.wait_seconds(
        "invitation",
        ratelimit.Limit(settings.RATE_LIMIT_INVITATIONS, 3600),
        account=request.user.pk,
        address=ratelimit.client_address(request),
    ):
        return ratelimit.too_many(request, wait)
    form = InvitationForm(request.POST, can_invite_owner=membership.is_owner)
    if not form.is_valid():
        return _members_page(request, organisation, membership, invite_form=form, status=400)
    try:
        invitation = planning.invite(
            organisation=organisation,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            by=request.user,
        )
    except planning.NoLongerMember as error:
        return no_longer_member(request, organisation, error)
    except planning.PlanningRuleError as error:
        form.add_error("role", str(error))
        return _members_page(request, organisation, membership, invite_form=form, status=400)
    link = invitation_url(invitation)
    send_mail(
        subject=f"You are invited to join {organisation.name} on PeerPlan",
        message=render_to_string(
            "peerplan/invitation_email.txt",
            {"invitation": invitation, "link": link, "inviter": planning.display_name(request.user)},
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )
    messages.success(
        request,
        f"Invitation sent to {invitation.email}. You can also copy the link from the pending invitations below.",
    )
    return redirect("peerplan:members", slug=organisation.slug)


@login_required
def member_role(request, slug, pk):
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    target = get_object_or_404(organisation.memberships.select_related("user"), pk=pk)
    if refused := only(request, "POST"):
        return refused
    role = request.POST.get("role", "")
    try:
        planning.change_role(membership=target, role=role, by=request.user)
    except planning.NoLongerMember as error:
        return no_longer_member(request, organisation, error)
    except planning.PlanningRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{planning.display_name(target.user)} is now {Role(role).label.lower()}.")
    return redirect("peerplan:members", slug=organisation.slug)


@login_required
def member_unlock(request, slug, pk):
    """An owner or manager lets a member whose sign-in is paused sign in again at once."""
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    target = get_object_or_404(organisation.memberships.select_related("user"), pk=pk)
    if refused := only(request, "POST"):
        return refused
    planning.unlock_sign_in(membership=target)
    messages.success(
        request,
        f"{planning.display_name(target.user)} can sign in again now. "
        "If they still see “Sign-in paused”, their network address is paused: ask the site administrator.",
    )
    return redirect("peerplan:members", slug=organisation.slug)


@login_required
def member_remove(request, slug, pk):
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    target = get_object_or_404(organisation.memberships.select_related("user"), pk=pk)
    if refused := only(request, "GET", "HEAD", "POST"):
        return refused
    if request.method == "POST":
        try:
            planning.remove_member(membership=target, by=request.user)
        except planning.NoLongerMember as error:
            return no_longer_member(request, organisation, error)
        except planning.PlanningRuleError as error:
            messages.error(request, str(error))
            return redirect("peerplan:members", slug=organisation.slug)
        messages.success(request, f"{planning.display_name(target.user)} is no longer a member.")
        if target.user_id == request.user.pk:
            return redirect("peerplan:home")
        return redirect("peerplan:members", slug=organisation.slug)
    return render(
        request,
        "peerplan/member_remove.html",
        {"organisation": organisation, "target": target, "name": planning.display_name(target.user)},
    )


@login_required
def invitation_revoke(request, slug, pk):
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    invitation = get_object_or_404(organisation.invitations.filter(accepted_at__isnull=True), pk=pk)
    if refused := only(request, "POST"):
        return refused
    invitation.delete()
    messages.success(request, f"The invitation for {invitation.email} is revoked; its link no longer works.")
    return redirect("peerplan:members", slug=organisation.slug)


def invitation_accept(request, token):
    """Anyone holding the link sees what it is for; a signed-in person accepts it with one button."""
    invitation = Invitation.objects.select_related("organisation", "invited_by").filter(token=token).first()
    if refused := only(request, "GET", "HEAD", "POST"):
        return refused
    if invitation is None:
        problem = "This invitation link is not valid. It may have been revoked. Ask for a new one."
    else:
        problem = planning.invitation_problem(invitation)
    if problem:
        return render(request, "peerplan/invitation_accept.html", {"problem": problem}, status=410)
    # Bound to the address it was sent to: a forwarded link lets nobody else in.
    if request.user.is_authenticated and (problem := planning.invitation_problem(invitation, request.user)):
        return render(request, "peerplan/invitation_accept.html", {"problem": problem}, status=403)

    already = (
        request.user.is_authenticated
        and Membership.objects.filter(organisation=invitation.organisation, user=request.user).first()
    )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.path}")
        try:
            membership, created = planning.accept_invitation(token=token, user=request.user)
        except planning.PlanningRuleError as error:
            return render(request, "peerplan/invitation_accept.html", {"problem": str(error)}, status=410)
        if created:
            messages.success(
                request,
                f"You have joined {membership.organisation.name} as {membership.get_role_display().lower()}.",
            )
        else:
            messages.info(
                request,
                f"You were already a member of {membership.organisation.name} "
                f"({membership.get_role_display().lower()}); your role is unchanged.",
            )
        return redirect("peerplan:organisation", slug=membership.organisation.slug)
    return render(
        request,
        "peerplan/invitation_accept.html",
        {"invitation": invitation, "already": already, "organisation": invitation.organisation},
    )
