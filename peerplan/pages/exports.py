"""A checklist as rows for CSV and XLSX (the printable report is put together from the same items in pages.py).

Rows hold real values (dates stay dates); each writer neutralises text that a spreadsheet would run as a
formula. Everything is fetched up front in a fixed number of queries, then written row by row.
"""

import csv
from io import BytesIO

from django.db.models import F, Prefetch, prefetch_related_objects
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from evidence.models import Finding, Perspective
from peerplan.lib.prepared import PreparedQuery
from peerplan.models import Item, Mitigation

HEADERS = [
    "Item",
    "Theme",
    "Category",
    "Challenge or benefit",
    "Applies to this service",
    "Priority",
    "Action",
    "Details",
    "Owner",
    "Due date",
    "Status",
    "Phase",
    "Co-produced",
    "Evidence references",
    "Decided against",
]


COLUMN_WIDTHS = [34, 28, 30, 12, 12, 10, 60, 60, 22, 12, 14, 18, 12, 18, 30]


UNCOVERED = "Not covered"


DOES_NOT_APPLY = "Does not apply"


NO_ACTION_YET = "No action yet"


# A spreadsheet runs a cell beginning with these as a formula (tab and carriage return too, which some
# programs strip before looking). A leading apostrophe makes it text and is what Excel itself shows.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _items(checklist, for_report):
    items = Item.objects.filter(checklist_id=checklist).select_related("finding__theme__category__source")
    return (items.select_related("decided_by") if for_report else items).in_published_order()


def _references(checklist):
    # As the finding's references are ordered (Reference.Meta), for each of the checklist's findings.
    links = Finding.references.through.objects.filter(finding__items__checklist_id=checklist)
    return links.values_list("finding_id", "reference__number").order_by("reference__source", "reference__number")


def _actions(checklist, for_report):
    # Which action addresses which of the checklist's items, each with its action, soonest due first.
    links = Mitigation.items.through.objects.filter(item__checklist_id=checklist)
    links = links.select_related("mitigation__owner", "mitigation__phase")
    if for_report:
        links = links.select_related("mitigation__checklist")
    return links.order_by(F("mitigation__due_date").asc(nulls_last=True), "mitigation_id")


# Compiled once per process and run with each checklist's id (peerplan/lib/prepared.py): building and compiling
# the three queries, and Django's prefetching that joined their rows, were a third of a CSV's time. For the
# files (False) and for the report (True), which also shows who decided each item and each action's checklist.
_ITEMS = {report: PreparedQuery(lambda checklist, report=report: _items(checklist, report)) for report in (False, True)}
_REFERENCES = PreparedQuery(_references)
_ACTIONS = {
    report: PreparedQuery(lambda checklist, report=report: _actions(checklist, report)) for report in (False, True)
}


def export_items(checklist, *, for_report=False):
    """The checklist's items in published order with everything a CSV or Excel row shows (three queries:
    items, their findings' reference numbers, the actions addressing them with owners and phases). For the
    report also the perspectives, with their references, which it quotes (two more), who decided each item
    and each action's checklist (whether it is overdue): no file column shows them, and loading the
    perspectives was a fifth of a CSV's time.

    The reference numbers and actions come as plain lists (`reference_numbers`, `actions_of`), not through
    each row's related manager: making a manager and a queryset for every item to hold what was fetched, and
    again at every read, was half of a CSV's time."""
    items = _ITEMS[for_report](checklist=checklist.pk)
    numbers = {}
    for finding_id, number in _REFERENCES(checklist=checklist.pk):
        numbers.setdefault(finding_id, []).append(number)
    actions = {}
    for link in _ACTIONS[for_report](checklist=checklist.pk):
        actions.setdefault(link.item_id, []).append(link.mitigation)
    for item in items:
        item.listed_actions = actions.get(item.pk, [])
        item.listed_reference_numbers = numbers.get(item.finding_id, [])
    if for_report:
        prefetch_related_objects(
            items,
            Prefetch(
                "finding__perspectives",
                queryset=Perspective.objects.order_by("position").prefetch_related("references"),
            ),
        )
    return items


def actions_of(item):
    """An item's actions, soonest due first (as export_items fetched them)."""
    return item.listed_actions


def reference_numbers(item):
    """The numbers of the references of an item's finding (as export_items fetched them)."""
    return item.listed_reference_numbers


def is_listed(item):
    """Every challenge is listed (applies or not); a benefit only when the service selected it or
    has actions for it."""
    return item.finding.to_mitigate or item.applies or bool(actions_of(item))


def references_text(item):
    return ", ".join(str(number) for number in reference_numbers(item))


def _item_columns(item):
    finding = item.finding
    return [
        str(finding),
        finding.theme.name,
        finding.theme.category.name,
        finding.get_valence_display(),
        item.review_state.label if not item.is_decided else "Yes" if item.applies else "No",
        item.get_priority_display(),
    ]


def _joined(items, columns_of):
    """The item columns of every item an action addresses, each column's values joined with "; " (a value
    said once when several items share it), their references together, and the source versions they were
    decided against."""
    columns = []
    for values in zip(*[columns_of[item.pk] for item in items], strict=True):
        seen = []
        for value in values:
            if value not in seen:
                seen.append(value)
        columns.append("; ".join(seen))
    numbers = sorted({number for item in items for number in reference_numbers(item)})
    # An item not reviewed yet was decided against nothing: its version is the one it came from.
    versions = dict.fromkeys(label for item in items if item.is_decided and (label := item.evidence_version_label()))
    return columns, ", ".join(str(number) for number in numbers), "; ".join(versions)


def checklist_rows(items):
    """One row per action naming every challenge it addresses (at the first of them in published order),
    and one row for each listed item that has no action."""
    addressed = {}
    # Each item's columns once, however many actions repeat them.
    columns_of = {item.pk: _item_columns(item) for item in items}
    for item in items:
        for action in actions_of(item):
            addressed.setdefault(action.pk, []).append(item)
    written = set()
    for item in items:
        if not is_listed(item):
            continue
        actions = actions_of(item)
        for action in actions:
            if action.pk in written:
                continue
            written.add(action.pk)
            common, references, version = _joined(addressed[action.pk], columns_of)
            yield [
                *common,
                action.action,
                action.details,
                action.owner_label,
                action.due_date,
                action.get_status_display(),
                action.phase.name if action.phase_id else "",
                "Yes" if action.co_produced else "No",
                references,
                version,
            ]
        if not actions:
            if item.finding.to_mitigate:
                status = UNCOVERED if item.applies else DOES_NOT_APPLY
            else:
                status = NO_ACTION_YET
            yield [
                *columns_of[item.pk],
                "",
                "",
                "",
                None,
                status,
                "",
                "",
                references_text(item),
                item.evidence_version_label() if item.is_decided else "",
            ]


def filename(checklist, extension):
    return f"{slugify(checklist.title) or f'checklist-{checklist.pk}'}.{extension}"


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can feed a stream."""

    def write(self, value):
        return value


def csv_lines(items):
    """The checklist's CSV as a stream of lines."""
    return csv_stream(HEADERS, checklist_rows(items))


# Lines are sent in pieces of about this many characters: a piece per line made the response and the server
# handle (and send) every line on its own, and a piece this size still keeps memory flat for any number of rows.
CSV_PIECE = 32 * 1024


def csv_stream(headers, rows):
    """Any CSV as a stream of text in pieces of whole lines: a UTF-8 byte-order mark first, so Excel reads the
    accents right, and every cell a spreadsheet would run as a formula made text (the organisation archive's
    CSVs too)."""
    writer = csv.writer(_Echo())
    lines = ["\ufeff", writer.writerow(headers)]
    size = 0
    for row in rows:
        line = writer.writerow(["" if value is None else neutralise(_csv_value(value)) for value in row])
        lines.append(line)
        size += len(line)
        if size >= CSV_PIECE:
            yield "".join(lines)
            lines, size = [], 0
    if lines:
        yield "".join(lines)


def _csv_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def xlsx_bytes(checklist, items):
    """The workbook, written in write-only mode so memory stays flat however many rows there are."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Checklist")
    for index, width in enumerate(COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    due_column = HEADERS.index("Due date")
    for row in checklist_rows(items):
        cells = [neutralise(value) for value in row]
        if cells[due_column] is not None:
            date_cell = WriteOnlyCell(sheet, value=cells[due_column])
            date_cell.number_format = "DD/MM/YYYY"
            cells[due_column] = date_cell
        sheet.append(cells)
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()
