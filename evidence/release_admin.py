"""The curators' release pages in the admin: download the current evidence, upload a release, preview what
it would do (texts, word-level differences, admin edits it would undo) and apply it."""

import json
from functools import partial

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
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
    validate,
)
from evidence.models import Release, Source

MAX_RELEASE_BYTES = 5 * 1024 * 1024


class ReleaseUploadForm(forms.Form):
    release = forms.FileField(
        label="Release file",
        help_text=f'A "{FORMAT}" (or "/1") JSON file, at most 5 MB. Nothing changes until you apply it.',
    )

    def clean_release(self):
        upload = self.cleaned_data["release"]
        if upload.size > MAX_RELEASE_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB; is it an evidence release?")
        try:
            data = parse_json(upload.read().decode("utf-8"))
            validate(json.loads(json.dumps(data)))
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        except EvidenceFormatError as error:
            raise forms.ValidationError(f"{upload.name}: {error}; nothing was imported.") from None
        return upload.name, data


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
