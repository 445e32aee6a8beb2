"""The curation home: where curators start (views/organisations.home sends them here)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from peerplan.access import require_curator
from peerplan.pages import curation as curation_pages


@login_required
@require_safe
def curation(request):
    require_curator(request)
    return render(request, "peerplan/curation.html", curation_pages.curation_home())
