"""The pages for personal access tokens: a person makes, lists and revokes their own on their API tokens
page; an organisation's owner sees and revokes its members' tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from peerplan.access import OWN, load_organisation
from peerplan.api.forms import TokenForm
from peerplan.api.models import AccessToken
from peerplan.api.tokens import create_token, revoke_token
from peerplan.lib.errors import Refused
from peerplan.models import Membership, Role


def _tokens():
    # A deleted organisation's tokens leave the list with it (they answer nothing while it is deleted).
    return AccessToken.objects.filter(organisation__deleted_at__isnull=True).select_related(
        "organisation", "user", "revoked_by"
    )


@login_required
def tokens(request):
    """Your tokens, and a form to make one. A new token's secret is shown on this answer only."""
    form = TokenForm(request.POST or None, user=request.user)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, secret = create_token(
                    user=request.user,
                    organisation=form.cleaned_data["organisation"],
                    name=form.cleaned_data["name"],
                    access=form.cleaned_data["access"],
                    expires_at=form.expires_at(),
                )
            except Refused as error:
                form.add_error("access", str(error))
                status = 400
            else:
                created = {"token": token, "secret": secret}
                form = TokenForm(user=request.user)
                status = 201
        else:
            status = 400
    owned = Membership.objects.live().filter(user=request.user, role=Role.OWNER).select_related("organisation")
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": _tokens().filter(user=request.user),
            "owned_organisations": [m.organisation for m in owned],
            "has_organisations": form.fields["organisation"].queryset.exists(),
        },
        status=status,
    )
    # The secret is on this page only: never keep it in a cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
def organisation_tokens(request, slug):
    """Every token of the organisation's members, for its owners."""
    organisation, membership = load_organisation(request, slug, need=OWN)
    return render(
        request,
        "api/organisation_tokens.html",
        {"organisation": organisation, "membership": membership, "tokens": _tokens().filter(organisation=organisation)},
    )


@login_required
@require_POST
def revoke(request, pk):
    """Its own person revokes a token, and so does an owner of its organisation; to anyone else it does not
    exist (404)."""
    token = get_object_or_404(AccessToken.objects.revocable_by(request.user), pk=pk)
    revoke_token(token=token, by=request.user)
    messages.success(request, f"The token “{token.name}” is revoked: it no longer works.")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("tokens:list")
