"""A checklist exported as CSV and XLSX, and as a printable report."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from peerplan import pages, reports, tracking
from peerplan.access import load_checklist

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(name):
    return f'attachment; filename="{name}"'


@login_required
@require_safe
def checklist_export_csv(request, pk):
    checklist, _ = load_checklist(request, pk)
    # Fetched before streaming starts, so a database error is a proper error page, not a cut-off file.
    items = reports.export_items(checklist)
    response = StreamingHttpResponse(reports.csv_lines(items), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _attachment(reports.filename(checklist, "csv"))
    return response


@login_required
@require_safe
def checklist_export_xlsx(request, pk):
    checklist, _ = load_checklist(request, pk)
    content = reports.xlsx_bytes(checklist, reports.export_items(checklist))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = _attachment(reports.filename(checklist, "xlsx"))
    return response


@login_required
@require_safe
def checklist_report(request, pk):
    checklist, _ = load_checklist(request, pk)
    today = tracking.today()
    context = {"checklist": checklist, "organisation": checklist.organisation, "today": today}
    return render(request, "peerplan/reports/checklist.html", {**context, **pages.report(checklist, today)})
