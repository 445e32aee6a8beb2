"""Evidence inside an organisation: what a new release asks of a checklist (add the findings it is offered,
keep or close items whose finding a release retired), and the organisation's own evidence, seen only
inside it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from evidence.interchange import EvidenceFormatError, dumps, export_evidence, import_evidence, parse_json
from peerplan.access import EDIT, MANAGE, load_checklist, load_item, load_organisation, load_own_source
from peerplan.forms.evidence import OwnFindingForm, OwnSourceForm, ReleaseFileForm
from peerplan.lib.errors import Refused
from peerplan.operations import releases
from peerplan.operations.own_evidence import add_own_finding, create_own_source
from peerplan.pages import own_evidence as own_evidence_pages


@login_required
@require_POST
def checklist_add_evidence(request, pk):
    """Add one offered finding, or all of an offer, to the checklist."""
    checklist, membership = load_checklist(request, pk, need=EDIT)
    ids = [int(value) for value in request.POST.getlist("finding") if value.isascii() and value.isdigit()]
    try:
        items = releases.add_offered_findings(checklist=checklist, finding_ids=ids, by=request.user)
    except Refused as error:
        messages.error(request, str(error))
    else:
        names = ", ".join(f"{item.finding.theme.name} ({item.finding.get_valence_display().lower()})" for item in items)
        messages.success(request, f"Added to this checklist: {names}.")
    return redirect("peerplan:checklist", pk=checklist.pk)


@login_required
@require_POST
def item_retired(request, pk):
    """Keep or close an item whose finding is no longer in the current evidence."""
    item, membership = load_item(request, pk, need=EDIT)
    choice = request.POST.get("choice")
    if choice not in ("keep", "close"):
        messages.error(request, "Choose whether to keep this item in the plan or close it.")
        return redirect("peerplan:item", pk=item.pk)
    try:
        releases.settle_retired_item(item=item, keep=choice == "keep")
    except Refused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            "Kept in the plan." if choice == "keep" else "Closed: it no longer counts as a challenge to cover.",
        )
    return redirect("peerplan:item", pk=item.pk)


# An organisation's own evidence -------------------------------------------------------------------

MAX_FILE_BYTES = 5 * 1024 * 1024


@login_required
@require_safe
def own_evidence(request, slug):
    """The organisation's own sources, with everything in them; owners and managers add to them."""
    organisation, membership = load_organisation(request, slug)
    sources = own_evidence_pages.sources_of(organisation)
    return render(
        request,
        "peerplan/own_evidence.html",
        {
            "organisation": organisation,
            "membership": membership,
            "sources": sources,
            "source_form": OwnSourceForm() if membership.can_manage else None,
            "import_form": ReleaseFileForm() if membership.can_manage else None,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def own_source_create(request, slug):
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    form = OwnSourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        source = create_own_source(organisation=organisation, **form.cleaned_data)
        messages.success(request, f"“{source.name}” is added. Add what people reported to it.")
        return redirect("peerplan:own_source", slug=organisation.slug, pk=source.pk)
    return render(
        request,
        "peerplan/own_source_form.html",
        {"organisation": organisation, "membership": membership, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def own_source(request, slug, pk):
    """One of the organisation's own sources: add a finding (owners and managers)."""
    source, membership = load_own_source(request, slug, pk)
    organisation = source.organisation
    if request.method == "POST":
        _check_manage(membership)
    form = OwnFindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        add_own_finding(
            source=source,
            heading=data["heading"].strip(),
            theme=data["theme"].strip(),
            kind=data["kind"],
            group=data["group"],
            summary=data["summary"].strip(),
        )
        messages.success(request, f"Added to “{source.name}”: {data['theme'].strip()} ({data['kind']}).")
        return redirect("peerplan:own_source", slug=organisation.slug, pk=source.pk)
    themes = own_evidence_pages.themes_of(source)
    return render(
        request,
        "peerplan/own_source.html",
        {"organisation": organisation, "membership": membership, "source": source, "themes": themes, "form": form},
        status=400 if form.is_bound else 200,
    )


def _check_manage(membership):
    if not membership.can_manage:
        raise PermissionDenied("Only owners and managers add to the organisation's own evidence.")


@login_required
@require_safe
def own_source_export(request, slug, pk):
    """The source as a "peerplan-evidence/2" file, to share with a partner on purpose."""
    source, membership = load_own_source(request, slug, pk)
    response = HttpResponse(dumps(export_evidence([source])), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{source.slug}-v{source.version}.json"'
    return response


@login_required
@require_POST
def own_source_import(request, slug):
    """Load a file of evidence as the organisation's own (new sources, or newer versions of its own)."""
    organisation, membership = load_organisation(request, slug, need=MANAGE)
    form = ReleaseFileForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["release"]
        try:
            if upload.size > MAX_FILE_BYTES:
                raise EvidenceFormatError("the file is larger than 5 MB")
            report = import_evidence(parse_json(upload.read().decode("utf-8")), organisation=organisation)
        except UnicodeDecodeError:
            messages.error(request, f"{upload.name}: not JSON: the file is not UTF-8 text; nothing was imported.")
        except EvidenceFormatError as error:
            message = str(error)
            if "nothing was imported" not in message:
                message += "; nothing was imported"
            messages.error(request, f"{upload.name}: {message}.")
        else:
            names = ", ".join(f"{s.name} version {s.new_version}" for s in report.sources)
            messages.success(request, f"Imported as your own evidence: {names}.")
    else:
        messages.error(request, "Choose a file to import.")
    return redirect("peerplan:own_evidence", slug=organisation.slug)
