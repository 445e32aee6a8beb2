"""Organisations, their members and invitations."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerplan.access import (
    MANAGE,
    OWN,
    READ,
    load_deleted_organisation,
    load_organisation,
    may_import_organisation,
)
from peerplan.accounts import lockout, ratelimit
from peerplan.accounts.signup import remember_invitation
from peerplan.figures import tracking
from peerplan.forms.organisations import DeleteOrganisationForm, InvitationForm, OrganisationForm
from peerplan.lib.errors import NoLongerMember, Refused
from peerplan.models import Invitation, Membership, Role
from peerplan.models.curation import is_curator
from peerplan.models.organisations import RESTORABLE_DAYS
from peerplan.operations import organisations
from peerplan.pages import organisations as organisation_pages
from peerplan.pages import page_cache


@login_required
@require_safe
def home(request):
    start = organisation_pages.start_page(request.user)
    curator = is_curator(request.user)
    if curator and not any(start.values()):
        # A curator with nothing to plan starts where curating starts, not at "Create an organisation".
        return redirect("peerplan:curation")
    return render(request, "peerplan/start.html", {**start, "curator": curator})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = organisations.create_organisation(name=form.cleaned_data["name"], by=request.user)
        messages.success(request, f"{organisation.name} is created and you are its owner.")
        return redirect("peerplan:organisation", slug=organisation.slug)
    return render(
        request, "peerplan/organisation_form.html", {"form": form, "may_import": may_import_organisation(request.user)}
    )


@login_required
@require_safe
def organisation(request, slug):
    organisation, membership = load_organisation(request, slug)
    return page_cache.render_page(
        request,
        "peerplan/organisation.html",
        {"organisation": organisation, "membership": membership},
        body_template="peerplan/organisation_body.html",
        organisation=organisation,
        membership=membership,
        today=tracking.today(),
        build=lambda: organisation_pages.organisation_page(organisation),
    )


def _members_page(request, organisation, membership, invite_form=None, status=200):
    if invite_form is None and membership.can_manage:
        invite_form = InvitationForm(membership=membership)
    return render(
        request,
        "peerplan/members.html",
        {
            "organisation": organisation,
            "membership": membership,
            "invite_form": invite_form,
            "site_url": settings.SITE_URL,
            "invitation_days": settings.INVITATION_DAYS,
            **organisation_pages.members_page(organisation, membership),
        },
        status=status,
    )


@login_required
@require_safe
def members(request, slug):
    organisation, membership = load_organisation(request, slug, need=READ)
    return _members_page(request, organisation, membership)


@login_required
@require_POST
def member_invite(request, slug):
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    if not ratelimit.invitation_allowed(request):
        return ratelimit.too_many(request, app="peerplan", action="invite", config=settings.PEERPLAN_RATE_LIMITS)
    form = InvitationForm(request.POST, membership=membership)
    if not form.is_valid():
        return _members_page(request, organisation, membership, invite_form=form, status=400)
    try:
        invitation = organisations.invite(
            organisation=organisation,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            by=request.user,
        )
    except NoLongerMember:
        raise  # not a problem with what was typed: the one answer is peerplan.middleware.Refusals
    except Refused as error:
        form.add_error("role", str(error))
        return _members_page(request, organisation, membership, invite_form=form, status=400)
    messages.success(
        request,
        f"Invitation sent to {invitation.email}. You can also copy the link from the pending invitations below.",
    )
    return redirect("peerplan:members", slug=organisation.slug)


@login_required
@require_POST
def member_role(request, slug, pk):
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    target = get_object_or_404(organisation.memberships.select_related("user"), pk=pk)
    role = request.POST.get("role", "")
    try:
        organisations.change_role(membership=target, role=role, by=request.user)
    except NoLongerMember:
        raise  # not a problem with what was typed: the one answer is peerplan.middleware.Refusals
    except Refused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{target.display_name} is now {Role(role).label.lower()}.")
    return redirect("peerplan:members", slug=organisation.slug)


@login_required
@require_POST
def organisation_two_factor(request, slug):
    """An owner requires two-factor sign-in of every member, or stops requiring it."""
    organisation, membership = load_organisation(request, slug, need=OWN)
    required = request.POST.get("require_two_factor") == "on"
    try:
        organisations.set_two_factor_requirement(organisation=organisation, required=required, by=request.user)
    except Refused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            "Members must now set up two-factor sign-in before they see this organisation."
            if required
            else "Two-factor sign-in is no longer required here (members who use it keep it).",
        )
    return redirect("peerplan:members", slug=organisation.slug)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_delete(request, slug):
    """An owner deletes the organisation after typing its name; it can be restored for RESTORABLE_DAYS."""
    organisation, membership = load_organisation(request, slug, need=OWN)
    form = DeleteOrganisationForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            organisations.delete_organisation(
                organisation=organisation, typed_name=form.cleaned_data["name"], by=request.user
            )
        except NoLongerMember:
            raise  # not a problem with what was typed: the one answer is peerplan.middleware.Refusals
        except Refused as error:
            form.add_error("name", str(error))
        else:
            messages.success(
                request,
                f"{organisation.name} is deleted. Nobody can see it now. You can restore it below until "
                f"{date_format(timezone.localtime(organisation.restorable_until), 'j F Y')}; after that it is removed "
                "for good.",
            )
            return redirect("peerplan:home")
    return render(
        request,
        "peerplan/organisation_delete.html",
        {"organisation": organisation, "form": form, "restorable_days": RESTORABLE_DAYS},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def organisation_restore(request, slug):
    """An owner restores a deleted organisation in one step, before the purge."""
    organisation, membership = load_deleted_organisation(request, slug)
    organisations.restore_organisation(organisation=organisation, by=request.user)
    messages.success(request, f"{organisation.name} is restored: everything in it is back as it was.")
    return redirect("peerplan:organisation", slug=organisation.slug)


@login_required
@require_POST
def member_unlock(request, slug, pk):
    """An owner or manager lets a member whose sign-in is paused sign in again at once."""
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    target = get_object_or_404(organisation.memberships.select_related("user"), pk=pk)
    lockout.unlock_sign_in(membership=target)
    messages.success(
        request,
        f"{target.display_name} can sign in again now. "
        "If they still see “Sign-in paused”, their network address is paused: ask the site administrator.",
    )
    return redirect("peerplan:members", slug=organisation.slug)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def member_remove(request, slug, pk):
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    target = get_object_or_404(organisation.memberships.select_related("user"), pk=pk)
    if request.method == "POST":
        try:
            organisations.remove_member(membership=target, by=request.user)
        except NoLongerMember:
            raise  # not a problem with what was typed: the one answer is peerplan.middleware.Refusals
        except Refused as error:
            messages.error(request, str(error))
            return redirect("peerplan:members", slug=organisation.slug)
        messages.success(request, f"{target.display_name} is no longer a member.")
        if target.user_id == request.user.pk:
            return redirect("peerplan:home")
        return redirect("peerplan:members", slug=organisation.slug)
    return render(
        request,
        "peerplan/member_remove.html",
        {"organisation": organisation, "target": target, "name": target.display_name},
    )


@login_required
@require_POST
def invitation_revoke(request, slug, pk):
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    invitation = get_object_or_404(organisation.invitations.filter(accepted_at__isnull=True), pk=pk)
    organisations.revoke_invitation(invitation=invitation)
    messages.success(request, f"The invitation for {invitation.email} is revoked; its link no longer works.")
    return redirect("peerplan:members", slug=organisation.slug)


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request, token):
    """Anyone holding the link sees what it is for; a signed-in person accepts it with one button."""
    invitation = Invitation.objects.select_related("organisation", "invited_by").filter(token=token).first()
    if invitation is None:
        return render(request, "peerplan/invitation_accept.html", {"problem": Invitation.NOT_FOUND}, status=410)
    # Bound to the address it was sent to: a forwarded link lets nobody else in (403, where a used, expired
    # or no longer valid link is 410).
    problem = invitation.problem(user=request.user if request.user.is_authenticated else None)
    if problem:
        status = 403 if problem == Invitation.FOR_ANOTHER_EMAIL else 410
        return render(request, "peerplan/invitation_accept.html", {"problem": problem}, status=status)

    if not request.user.is_authenticated:
        # Sign-up remembers it: the only way in when SIGNUP_MODE is "invitation", and it verifies the email.
        remember_invitation(request, invitation)
    already = (
        request.user.is_authenticated
        and Membership.objects.filter(organisation=invitation.organisation, user=request.user).first()
    )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        try:
            membership, created = organisations.accept_invitation(token=token, user=request.user)
        except Refused as error:
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
