"""A checklist as rows for CSV and XLSX (the printable report is put together from the same items in pages.py).

Rows hold real values (dates stay dates); each writer neutralises text that a spreadsheet would run as a
formula. Everything is fetched up front in a fixed number of queries, then written row by row.
"""

import csv
from dataclasses import dataclass
from io import BytesIO

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch, prefetch_related_objects
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from evidence.models import TO_MITIGATE, Finding, Perspective
from peerplan.lib.prepared import PreparedQuery
from peerplan.models import Item, Mitigation, ReviewState, display_name

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
    items = Item.objects.filter(checklist_id=checklist)
    if not for_report:
        return items.in_published_order().values_list(*_ITEM_VALUES)
    return items.select_related("finding__theme__category__source", "decided_by").in_published_order()


# What a file's row shows of an item, read as plain values (FileItem.from_values reads them in this order).
_ITEM_VALUES = (
    "pk",
    "finding_id",
    "applies",
    "decided_at",
    "priority",
    "evidence_version",
    "finding__valence",
    "finding__theme__name",
    "finding__theme__category__name",
    "finding__theme__category__source__name",
)


def _references(checklist):
    # As the finding's references are ordered (Reference.Meta), for each of the checklist's findings.
    links = Finding.references.through.objects.filter(finding__items__checklist_id=checklist)
    return links.values_list("finding_id", "reference__number").order_by("reference__source", "reference__number")


def _actions(checklist, for_report):
    # Which action addresses which of the checklist's items, each with its action, soonest due first.
    links = Mitigation.items.through.objects.filter(item__checklist_id=checklist)
    links = links.order_by(F("mitigation__due_date").asc(nulls_last=True), "mitigation_id")
    if not for_report:
        return links.values_list(*_ACTION_VALUES)
    return links.select_related("mitigation__owner", "mitigation__phase", "mitigation__checklist")


# What a file's row shows of an action, read as plain values (_file_actions reads them in this order): its
# owner's fields are those display_name reads.
_ACTION_VALUES = (
    "item_id",
    "mitigation_id",
    "mitigation__action",
    "mitigation__details",
    "mitigation__owner_id",
    "mitigation__owner_name",
    "mitigation__owner__username",
    "mitigation__owner__first_name",
    "mitigation__owner__last_name",
    "mitigation__owner__email",
    "mitigation__due_date",
    "mitigation__status",
    "mitigation__phase__name",
    "mitigation__co_produced",
)


# Compiled once per process and run with each checklist's id (peerplan/lib/prepared.py): building and compiling
# the three queries, and Django's prefetching that joined their rows, were a third of a CSV's time. For the
# files (False), plain values: the model instances (an item with its finding, theme, category and source; a
# link with its action, owner and phase) were more than half of a CSV's time, and a row shows a few values of
# each. For the report (True), model instances, with who decided each item and each action's checklist.
_ITEMS = {report: PreparedQuery(lambda checklist, report=report: _items(checklist, report)) for report in (False, True)}
_REFERENCES = PreparedQuery(_references)
_ACTIONS = {
    report: PreparedQuery(lambda checklist, report=report: _actions(checklist, report)) for report in (False, True)
}


@dataclass(slots=True)
class FileItem:
    """What the files' rows show of an item (export_items without for_report), worked out once from plain
    values: its columns (its finding as str() names it, theme, category, kind, whether it applies, priority),
    and its actions as (action id, the action's columns)."""

    pk: int
    finding_id: int
    is_challenge: bool
    applies: bool
    columns: list
    # evidence_version_label() when it was decided, else "" (an item not reviewed yet was decided against nothing).
    decided_label: str
    listed_actions: list
    listed_reference_numbers: list

    @classmethod
    def from_values(cls, values):
        pk, finding_id, applies, decided_at, priority, version, valence, theme, category, source = values
        is_decided = decided_at is not None
        columns = [
            Finding.name_of(theme, valence),
            theme,
            category,
            _VALENCES.get(valence, valence),
            ("Yes" if applies else "No") if is_decided else ReviewState.NOT_REVIEWED.label,
            _PRIORITIES.get(priority, priority),
        ]
        label = Item.version_label_of(source, version) if is_decided and version is not None else ""
        return cls(pk, finding_id, valence in TO_MITIGATE, applies, columns, label, [], [])


# The labels get_<field>_display() gives, for values read without their instances.
_VALENCES = {value: str(label) for value, label in Finding._meta.get_field("valence").flatchoices}
_PRIORITIES = {value: str(label) for value, label in Item._meta.get_field("priority").flatchoices}
_STATUSES = {value: str(label) for value, label in Mitigation._meta.get_field("status").flatchoices}


def _file_actions(links):
    """{item id: [(action id, the action's columns)]} from _ACTIONS[False]'s rows. Each owner's name is
    display_name's, of the person made once from the fields it reads."""
    owners = {}
    actions = {}
    person_model = get_user_model()
    for item_id, pk, action, details, owner_id, owner_name, *person, due_date, status, phase, co_produced in links:
        if owner_id is not None:
            owner_name = owners.get(owner_id)
            if owner_name is None:
                username, first_name, last_name, email = person
                owner = person_model(
                    pk=owner_id, username=username, first_name=first_name, last_name=last_name, email=email
                )
                owner_name = owners[owner_id] = display_name(owner)
        columns = [
            action,
            details,
            owner_name,
            due_date,
            _STATUSES.get(status, status),
            phase or "",
            "Yes" if co_produced else "No",
        ]
        actions.setdefault(item_id, []).append((pk, columns))
    return actions


def export_items(checklist, *, for_report=False):
    """The checklist's items in published order with everything a CSV or Excel row shows (three queries:
    items, their findings' reference numbers, the actions addressing them with owners and phases). For the
    files, FileItems made from plain values (checklist_rows reads them). For the report, Items, and also the
    perspectives, with their references, which it quotes (two more), who decided each item and each action's
    checklist (whether it is overdue): no file column shows them, and loading the perspectives was a fifth of
    a CSV's time.

    The reference numbers and actions come as plain lists (`reference_numbers`, `actions_of`), not through
    each row's related manager: making a manager and a queryset for every item to hold what was fetched, and
    again at every read, was half of a CSV's time."""
    items = _ITEMS[for_report](checklist=checklist.pk)
    numbers = {}
    for finding_id, number in _REFERENCES(checklist=checklist.pk):
        numbers.setdefault(finding_id, []).append(number)
    links = _ACTIONS[for_report](checklist=checklist.pk)
    if not for_report:
        items = [FileItem.from_values(values) for values in items]
        actions = _file_actions(links)
    else:
        actions = {}
        for link in links:
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
    """An item's actions, soonest due first (as export_items fetched them): Mitigations for the report, (action
    id, the action's columns) for the files."""
    return item.listed_actions


def reference_numbers(item):
    """The numbers of the references of an item's finding (as export_items fetched them)."""
    return item.listed_reference_numbers


def is_listed(item):
    """Every challenge is listed (applies or not); a benefit only when the service selected it or
    has actions for it."""
    return item.is_challenge or item.applies or bool(actions_of(item))


def references_text(item):
    return ", ".join(str(number) for number in reference_numbers(item))


def _joined(items):
    """The item columns of every item an action addresses, each column's values joined with "; " (a value
    said once when several items share it), their references together, and the source versions they were
    decided against."""
    columns = []
    for values in zip(*[item.columns for item in items], strict=True):
        seen = []
        for value in values:
            if value not in seen:
                seen.append(value)
        columns.append("; ".join(seen))
    return (
        columns,
        _sorted_references(items),
        "; ".join(dict.fromkeys(i.decided_label for i in items if i.decided_label)),
    )


def _sorted_references(items):
    numbers = sorted({number for item in items for number in reference_numbers(item)})
    return ", ".join(str(number) for number in numbers)


def checklist_rows(items):
    """One row per action naming every challenge it addresses (at the first of them in published order),
    and one row for each listed item that has no action (`items`: export_items' FileItems)."""
    addressed = {}
    for item in items:
        for pk, _columns in actions_of(item):
            addressed.setdefault(pk, []).append(item)
    # An item's columns, references and version worked out once, however many actions address it alone.
    alone = {}
    written = set()
    for item in items:
        if not is_listed(item):
            continue
        actions = actions_of(item)
        for pk, columns in actions:
            if pk in written:
                continue
            written.add(pk)
            its_items = addressed[pk]
            if len(its_items) > 1:
                common, references, version = _joined(its_items)
            else:
                if item.pk not in alone:
                    alone[item.pk] = (item.columns, _sorted_references([item]), item.decided_label)
                common, references, version = alone[item.pk]
            yield [*common, *columns, references, version]
        if not actions:
            if item.is_challenge:
                status = UNCOVERED if item.applies else DOES_NOT_APPLY
            else:
                status = NO_ACTION_YET
            yield [*item.columns, "", "", "", None, status, "", "", references_text(item), item.decided_label]


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
        line = writer.writerow([_csv_cell(value) for value in row])
        lines.append(line)
        size += len(line)
        if size >= CSV_PIECE:
            yield "".join(lines)
            lines, size = [], 0
    if lines:
        yield "".join(lines)


def _csv_cell(value):
    """A cell as it is written: nothing for None, a date in ISO form, text a spreadsheet would run made text."""
    if type(value) is str:  # most cells: text, neutralised without asking it for an isoformat
        return neutralise(value)
    return "" if value is None else neutralise(_csv_value(value))


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
