"""The pages for personal access tokens: a person makes, lists and revokes their own on their API tokens
page; an organisation's owner sees and revokes its members' tokens."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from peerplan.access import OWN, load_organisation
from peerplan.api.models import Access, AccessToken
from peerplan.api.tokens import create_token, revoke_token
from peerplan.forms.common import CrispyMixin, PlainDateField, plain_messages
from peerplan.lib.errors import Refused
from peerplan.models import Membership, Organisation, Role


class TokenForm(CrispyMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.none(),
        empty_label=None,
        help_text="A token reads (and changes) one organisation's plans only.",
        error_messages={"invalid_choice": "Choose one of your organisations."},
    )
    name = forms.CharField(label="Name", max_length=100, help_text="What it is for, e.g. 'Power BI dashboard'.")
    access = forms.ChoiceField(
        label="Access",
        choices=Access.choices,
        initial=Access.READ,
        widget=forms.RadioSelect,
        help_text="It never does more than your role allows, even if your role changes later.",
        error_messages={"invalid_choice": "Choose read only, or read and write."},
    )
    expires_on = PlainDateField(
        label="Expires on (optional)", required=False, help_text="It works until the end of that day."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(memberships__user=user).order_by("name")
        plain_messages(self)

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError("The expiry date must be today or later.")
        return day

    def expires_at(self):
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _tokens():
    return AccessToken.objects.select_related("organisation", "user", "revoked_by")


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
    owned = Membership.objects.filter(user=request.user, role=Role.OWNER).select_related("organisation")
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
    visible = AccessToken.objects.filter(
        Q(user=request.user)
        | Q(organisation__memberships__user=request.user, organisation__memberships__role=Role.OWNER)
    ).distinct()
    token = get_object_or_404(visible, pk=pk)
    revoke_token(token=token, by=request.user)
    messages.success(request, f"The token “{token.name}” is revoked: it no longer works.")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("tokens:list")


app_name = "tokens"

urlpatterns = [
    path("", tokens, name="list"),
    path("<int:pk>/revoke/", revoke, name="revoke"),
    path("orgs/<slug:slug>/", organisation_tokens, name="organisation"),
]
