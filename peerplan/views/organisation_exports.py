"""An organisation's export for its owners, its archives' downloads, and importing an archive as a new
organisation (peerplan/organisation_archive.md)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from peerplan.access import OWN, load_organisation, load_organisation_export, may_import_organisation
from peerplan.forms.organisations import ImportOrganisationForm
from peerplan.operations import organisation_exports
from peerplan.operations.organisation_import import ImportRefused, import_organisation
from peerplan.pages import organisation_export as export_pages


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_export(request, slug):
    """An owner exports the organisation's data: a small one is downloaded at once, a large one is prepared
    by the scheduled command while this page shows how far it has got."""
    organisation, membership = load_organisation(request, slug, need=OWN)
    if request.method == "POST":
        if not export_pages.is_large(organisation):
            return FileResponse(
                export_pages.archive_now(organisation),
                as_attachment=True,
                filename=export_pages.archive_filename(organisation),
                content_type="application/zip",
            )
        organisation_exports.request_export(
            organisation=organisation, by=request.user, rows_total=export_pages.row_count(organisation)
        )
        messages.success(
            request, "Your export is being prepared. We will email you a link when it is ready to download."
        )
        return redirect("peerplan:organisation_export", slug=organisation.slug)
    context = {"organisation": organisation, "membership": membership} | export_pages.export_page(organisation)
    return render(request, "peerplan/organisation_export.html", context)


@login_required
@require_safe
def organisation_export_download(request, slug, pk):
    export, _membership = load_organisation_export(request, slug, pk)
    return FileResponse(
        export.file.open("rb"), as_attachment=True, filename=export.download_name(), content_type="application/zip"
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_import(request):
    if not may_import_organisation(request.user):
        raise Http404("No such page.")
    form = ImportOrganisationForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        # A site administrator imports for the archive's owners; anyone else becomes the new organisation's owner.
        owner = None if request.user.is_superuser else request.user
        try:
            report = import_organisation(
                fileobj=form.cleaned_data["archive"],
                owner=owner,
                name=form.cleaned_data["name"] or None,
                by_site_administrator=request.user.is_superuser,
            )
        except ImportRefused as refusal:
            form.add_error("archive", str(refusal))
            problems = refusal.problems
        else:
            organisation = report.organisation
            messages.success(
                request,
                f"{organisation.name} is imported: {len(report.members)} members joined, "
                f"{len(report.invited)} people were invited." + (" " + " ".join(report.notes) if report.notes else ""),
            )
            if organisation.memberships.filter(user=request.user).exists():
                return redirect("peerplan:organisation", slug=organisation.slug)
            return redirect("peerplan:home")
    return render(
        request,
        "peerplan/organisation_import.html",
        {"form": form, "problems": problems, "administrator": request.user.is_superuser},
        status=400 if form.errors else 200,
    )
