"""The curators' release pages in the admin: download the current evidence, upload a release, preview what
it would do (texts, word-level differences, admin edits it would undo) and apply it."""

import json
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_safe

from evidence.curation import MINOR
from evidence.interchange import (
    FORMAT,
    EvidenceFormatError,
    ReleaseChoices,
    apply_release,
    dumps,
    export_evidence,
    import_evidence,
    parse_json,
    sources_in,
    validate,
)
from evidence.models import Release, Source
from evidence.spreadsheet import read_workbook, workbook_bytes
from peerplan.lib.errors import Refused
from peerplan.lib.uploads import check_upload

MAX_RELEASE_BYTES = 5 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReleaseUploadForm(forms.Form):
    release = forms.FileField(
        label="Release file",
        help_text=f'A "{FORMAT}" (or "/1") JSON file, or a source\'s spreadsheet (.xlsx) downloaded from the list '
        "of sources, at most 5 MB. Nothing changes until you apply it.",
    )

    def clean_release(self):
        upload = self.cleaned_data["release"]
        if upload.size > MAX_RELEASE_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB; is it an evidence release?")
        if upload.name.lower().endswith(".xlsx"):
            return upload.name, _read_spreadsheet(upload)
        try:
            data = parse_json(upload.read().decode("utf-8"))
            validate(json.loads(json.dumps(data)))
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        except EvidenceFormatError as error:
            raise forms.ValidationError(f"{upload.name}: {error}; nothing was imported.") from None
        return upload.name, data


def _read_spreadsheet(upload):
    """A source's spreadsheet read as the interchange structure and validated by the same rules as a file:
    first checked as any upload is (a real workbook, no macros, not packed to unpack far beyond its size),
    then read without evaluating formulas (evidence/spreadsheet.py)."""
    try:
        check_upload(upload)
        return read_workbook(upload.read())
    except Refused as refusal:
        raise forms.ValidationError(f"{refusal}; nothing was imported.") from None
    except EvidenceFormatError as error:
        raise forms.ValidationError(f"{upload.name}: {error}; nothing was imported.") from None


def release_urls(model_admin):
    site = model_admin.admin_site
    return [
        path(
            "download/",
            site.admin_view(require_safe(partial(download, model_admin))),
            name="evidence_source_download_all",
        ),
        path(
            "<int:pk>/download/",
            site.admin_view(require_safe(partial(download, model_admin))),
            name="evidence_source_download",
        ),
        path(
            "<int:pk>/download.xlsx",
            site.admin_view(require_safe(partial(download_spreadsheet, model_admin))),
            name="evidence_source_download_xlsx",
        ),
        path("import/", site.admin_view(partial(release_upload, model_admin)), name="evidence_source_import"),
        path(
            "import/<int:pk>/", site.admin_view(partial(release_preview, model_admin)), name="evidence_source_preview"
        ),
    ]


def _context(model_admin, request, title, **extra):
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        **extra,
    }


def download(model_admin, request, pk=None):
    """The current version of one published source (or of all of them) as the interchange file, the same
    bytes `manage.py export_evidence` writes: the file a curator edits and uploads back as the next release.
    An organisation's own source is never in it, and its id answers 404 like any id that is not published."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if pk is None:
        sources, name = None, f"peerplan-evidence-{timezone.localdate():%Y-%m-%d}.json"
    else:
        source = get_object_or_404(Source.objects.published(), pk=pk)
        sources, name = [source], f"{source.slug}-version-{source.version}.json"
    response = HttpResponse(dumps(export_evidence(sources)), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def download_spreadsheet(model_admin, request, pk):
    """The current version of one published source as a spreadsheet a researcher edits and uploads back on
    the import page; its version is already the next one (evidence/spreadsheet.py)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    source = get_object_or_404(Source.objects.published(), pk=pk)
    [data] = export_evidence([source])["sources"]
    response = HttpResponse(workbook_bytes(data), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{source.slug}-version-{source.version + 1}-draft.xlsx"'
    return response


def release_upload(model_admin, request):
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    form = ReleaseUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        name, data = form.cleaned_data["release"]
        release = Release.objects.create(file_name=name[:200], data=data, uploaded_by=request.user)
        return redirect("admin:evidence_source_preview", pk=release.pk)
    return TemplateResponse(
        request,
        "admin/evidence/source/import.html",
        _context(model_admin, request, "Import an evidence release", form=form),
    )


def _kinds(changed, minor):
    """How many of the changes were major (services asked to look again) and how many minor."""
    if not changed:
        return ""
    minors = sum(1 for text in changed if text.key in minor)
    majors = len(changed) - minors
    return (
        f" {majors} major change{'s' if majors != 1 else ''} (services are asked to look again), "
        f"{minors} minor change{'s' if minors != 1 else ''} (nobody is asked)."
    )


def _edit_choices(report):
    """The curator's choices for the admin edits the file would have undone, for the result message."""
    said = []
    if report.kept:
        said.append(f"{len(report.kept)} admin edit{'s' if len(report.kept) != 1 else ''} kept")
    if report.used_file:
        count = len(report.used_file)
        said.append(f"{count} admin edit{'s' if count != 1 else ''} replaced by the file's text")
    return "".join(f" {part[0].upper()}{part[1:]}." for part in said)


NO_RELEASE_NOTE = (
    "Write a change note: at least one change is major, and planners read the note on each finding it changes, "
    "beside the highlighted difference. Nothing was applied."
)


def _preview(release):
    """The dry run of a release: its report, or the refusal in words."""
    try:
        return import_evidence(json.loads(json.dumps(release.data)), dry_run=True), None
    except EvidenceFormatError as problem:
        return None, f"{release.file_name}: {problem}"


def release_preview(model_admin, request, pk):
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    release = get_object_or_404(Release, pk=pk)
    note_error, note = None, ""
    if request.method == "POST" and release.applied_at is None:
        # Each changed finding is major unless marked minor; a release with a major change needs its note.
        minor = {name for name, choice in request.POST.items() if name.startswith("change/") and choice == MINOR}
        note = (request.POST.get("change_note") or "").strip()
        report, _ = _preview(release)
        changed = [text for source in report.sources for text in source.changed_texts] if report else []
        if report is not None and not note and any(text.key not in minor for text in changed):
            note_error = NO_RELEASE_NOTE
            for text in changed:
                text.minor = text.key in minor
            messages.error(request, "The release was not applied: write its change note (see below).")
            return _preview_page(model_admin, request, release, report, None, note, note_error)
        # Each edit the file would undo has a choice in the form; an edit with no "file" chosen is kept.
        use_the_file = {name for name, choice in request.POST.items() if name.startswith("undo/") and choice == "file"}
        choices = ReleaseChoices(minor=minor, note=note, by=request.user, release=release)
        try:
            with transaction.atomic():
                report = apply_release(json.loads(json.dumps(release.data)), use_the_file, choices=choices)
                release.applied_at = timezone.now()
                release.applied_by = request.user
                release.change_note = note
                release.save()
        except EvidenceFormatError as error:
            messages.error(request, f"{release.file_name}: {error}")
            return redirect("admin:evidence_source_preview", pk=release.pk)
        totals = report.totals()
        messages.success(
            request,
            f"Applied {release.file_name}: {totals['added']} findings added, {totals['changed']} changed, "
            f"{totals['retired']} retired.{_edit_choices(report)} Active checklists are offered the new findings."
            f"{_kinds(changed, minor)}",
        )
        return redirect("admin:evidence_source_changelist")
    report, error = _preview(release) if release.applied_at is None else (None, None)
    return _preview_page(model_admin, request, release, report, error, note, note_error)


def _preview_page(model_admin, request, release, report, error, note, note_error):
    return TemplateResponse(
        request,
        "admin/evidence/source/preview.html",
        _context(
            model_admin,
            request,
            f"Preview of {release.file_name}",
            release=release,
            report=report,
            error=error,
            change_note=note,
            note_error=note_error,
        ),
    )


def _person(user):
    return (user.get_full_name() or user.get_username()) if user is not None else ""


class AppliedFilter(admin.SimpleListFilter):
    title = "applied or not"
    parameter_name = "applied"

    def lookups(self, request, model_admin):
        return [("yes", "Applied"), ("no", "Uploaded, not yet applied")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(applied_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(applied_at__isnull=True)
        return queryset


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Every release uploaded, newest first: which source and version, the file (its preview), who uploaded
    it, and who applied it and when. A list to read: a release is made by uploading and applied from its
    preview, never edited here. Whoever may see the sources may see it (the Curators group has no
    permissions of its own on releases, and needs none)."""

    list_display = [
        "release",
        "file",
        "uploaded_by_name",
        "uploaded_at",
        "applied",
        "applied_by_name",
        "applied_at",
        "change_note_shown",
    ]
    list_display_links = None
    list_filter = [AppliedFilter]
    list_select_related = ["uploaded_by", "applied_by"]
    ordering = ["-uploaded_at", "-pk"]
    fields = ["file_name", "uploaded_by", "uploaded_at", "applied_by", "applied_at", "change_note"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("evidence.view_source")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="source and version")
    def release(self, release):
        return "; ".join(f"{name} version {version}" for _id, name, version in sources_in(release.data))

    @admin.display(description="file", ordering="file_name")
    def file(self, release):
        # The preview is the release's page: what it would do, or when it was applied and by whom.
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:evidence_source_preview", args=[release.pk]), release.file_name
        )

    @admin.display(description="uploaded by", ordering="uploaded_by__first_name")
    def uploaded_by_name(self, release):
        return _person(release.uploaded_by)

    @admin.display(description="applied", boolean=False, ordering="applied_at")
    def applied(self, release):
        return "Applied" if release.applied_at else "Not yet applied"

    @admin.display(description="applied by")
    def applied_by_name(self, release):
        return _person(release.applied_by)

    @admin.display(description="change note")
    def change_note_shown(self, release):
        # What planners read on the items it flagged; a release with only minor changes (or not yet applied) has none.
        return release.change_note or "None given"
