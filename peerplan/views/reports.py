"""A checklist exported as CSV and XLSX, and as a printable report."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.views.decorators.http import require_safe

from peerplan.access import load_checklist
from peerplan.figures import tracking
from peerplan.forms.checklists import ReportSinceForm
from peerplan.pages import exports, reports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(name):
    return f'attachment; filename="{name}"'


@login_required
@require_safe
def checklist_export_csv(request, pk):
    checklist, _ = load_checklist(request, pk)
    # Fetched before streaming starts, so a database error is a proper error page, not a cut-off file.
    items = exports.export_items(checklist)
    response = StreamingHttpResponse(exports.csv_lines(items), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _attachment(exports.filename(checklist, "csv"))
    return response


@login_required
@require_safe
def checklist_export_xlsx(request, pk):
    checklist, _ = load_checklist(request, pk)
    content = exports.xlsx_bytes(checklist, exports.export_items(checklist))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = _attachment(exports.filename(checklist, "xlsx"))
    return response


@login_required
@require_safe
def checklist_report(request, pk):
    checklist, _ = load_checklist(request, pk)
    today = tracking.today()
    # "Decisions taken since": the date of the last report, 30 days ago unless the person says.
    form = ReportSinceForm(request.GET if "since" in request.GET else None)
    since = form.cleaned_data["since"] if form.is_valid() else None
    context = {
        "checklist": checklist,
        "organisation": checklist.organisation,
        "today": today,
        "since_form": form,
        # The first page alone (?summary=1), for a board pack: printed, it is one A4 page.
        "summary_only": request.GET.get("summary") == "1",
    }
    return render(
        request,
        "peerplan/reports/checklist.html",
        {**context, **reports.report(checklist, today, since)},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@require_safe
def checklist_report_css(request, pk):
    """The printed report's page margins: page numbers, and the date it was printed (a stylesheet, as the
    Content-Security-Policy allows no inline style; it holds no text a person typed)."""
    load_checklist(request, pk)
    printed = date_format(tracking.today(), "j F Y")
    css = (
        "@page {\n"
        f'  @bottom-left {{ content: "PeerPlan report, printed {printed}"; font-size: 8pt; }}\n'
        '  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; }\n'
        "}\n"
    )
    return HttpResponse(css, content_type="text/css; charset=utf-8")
