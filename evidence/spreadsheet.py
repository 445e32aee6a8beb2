"""One source as a spreadsheet a researcher can edit (.xlsx), and that spreadsheet read back into the
interchange structure (evidence/interchange.py), validated by exactly the same rules.

The workbook holds one source: a "Read me" sheet, its details ("Source"), one row per perspective
("Findings": category, theme, kind, the finding's references, group, stakeholders, summary, the perspective's
references), its themes' own fields ("Themes"), its references and its footnotes. Reading it back gives the
dict export_evidence() writes for that source, so an unchanged spreadsheet previews no change at all.

A refusal names the sheet, row and column ("Sheet “Findings”, row 14, column “Group”: unknown group
'Carers': use one of ..."): every value read is remembered with its cell, and the place validate() names in
the interchange structure is turned back into that cell.
"""

import io
import re
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter

from evidence.interchange import FORMAT, SOURCE_FIELDS, EvidenceFormatError, validate
from evidence.parser import STAKEHOLDER_GROUPS as GROUPS

README, SOURCE, FINDINGS, THEMES, REFERENCES, FOOTNOTES = (
    "Read me",
    "Source",
    "Findings",
    "Themes",
    "References",
    "Footnotes",
)
KINDS = ["challenge", "barrier", "benefit", "facilitator"]
# The details of a source in the order of the "Source" sheet: the interchange fields but the footnotes
# (a sheet of their own), with the id first.
DETAILS = ["id"] + [name for name in SOURCE_FIELDS if name != "footnotes"]
WHOLE_NUMBERS = {"version", "year"}
FINDING_COLUMNS = [
    "Category",
    "Theme",
    "Kind",
    "Finding's references",
    "Group",
    "Stakeholders",
    "Summary",
    "References",
]
THEME_COLUMNS = ["Category", "Theme", "Short description", "Related themes"]
REFERENCE_COLUMNS = ["Number", "Citation"]
FOOTNOTE_COLUMNS = ["Mark", "Text"]
# A source's spreadsheet is a few hundred rows; far more is not one, and is not read.
MAX_ROWS = 20000
RELATED = re.compile(r"^\s*(?P<source>[^›]+?)\s*›\s*(?P<theme>.+?)\s*$")

READ_ME = [
    "This spreadsheet is one source of PeerPlan's evidence, as it is now. Edit it and upload it on the admin's "
    "“Import a release” page (Sources › Import a release): you will see every change, word by word, before "
    "anything changes.",
    "",
    "What you may edit",
    "• Source: the values in column B. The version is already the next one; leave the id as it is (it is "
    "how PeerPlan knows the source).",
    "• Findings: one row per perspective. Edit a summary, a group, the stakeholders or the reference numbers; "
    "add a row to add a perspective (or, with a new theme or kind, a finding); delete every row of a finding "
    "to retire it. Rows of the same theme and kind make one finding, in the order they appear.",
    "• Themes: each theme's short description (at most 200 characters) and its related themes of other "
    "sources, one a line, as “source id › theme name”.",
    "• References: a citation for each number; add a row to add a reference.",
    "• Footnotes: their marks and texts.",
    "",
    "What must not change",
    "• The sheets' names and the headings in row 1: PeerPlan reads the columns by their headings.",
    "• The field names and the id in the Source sheet (they are locked; the other values are not).",
    "• Formulas are not read: type the text itself.",
    "",
    "Allowed values",
    f"• Kind: {', '.join(KINDS)}, or leave the cell empty for a finding without a kind (shown, not planned for).",
    f"• Group: {', '.join(GROUPS)}, spelt exactly so. Name the stakeholders of a Mixed perspective in "
    "“Stakeholders”, separated by semicolons.",
    "• Reference numbers: whole numbers separated by commas (23, 60, 64); each must be listed in the References sheet.",
    "• Summaries: exactly as published, quirks included.",
]


class SpreadsheetError(EvidenceFormatError):
    """A spreadsheet that cannot be read as a release; the message names the sheet, row and column."""


@dataclass(frozen=True)
class Cell:
    sheet: str
    row: int
    column: str | None = None

    def __str__(self):
        where = f"Sheet “{self.sheet}”, row {self.row}"
        return f"{where}, column “{self.column}”" if self.column else where


# Writing ----------------------------------------------------------------------------------------------------


def workbook_bytes(source_data):
    """The .xlsx of one source as export_evidence() gives it, its version raised to the next one: the draft
    of the next release."""
    book = Workbook()
    readme = book.active
    readme.title = README
    for line in READ_ME:
        readme.append([line])
        if line and not line.startswith("•") and len(line) < 40:
            readme.cell(row=readme.max_row, column=1).font = Font(bold=True)
    readme.column_dimensions["A"].width = 120
    for row in readme.iter_rows():
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    details = book.create_sheet(SOURCE)
    _heading(details, ["Field", "Value"])
    for name in DETAILS:
        value = source_data.get(name, "")
        if name == "version":
            value = value + 1
        _append(details, [name, value])
        if name != "id":
            details.cell(row=details.max_row, column=2).protection = Protection(locked=False)
    # The field names and the id are locked (no password: a spreadsheet can lift it), so they are not
    # changed by accident; PeerPlan knows the source by its id.
    details.protection.sheet = True
    _widths(details, [16, 100])

    findings = book.create_sheet(FINDINGS)
    _heading(findings, FINDING_COLUMNS)
    themes = book.create_sheet(THEMES)
    _heading(themes, THEME_COLUMNS)
    for category in source_data["categories"]:
        for theme in category["themes"]:
            related = "\n".join(f"{link['source']} › {link['theme']}" for link in theme.get("related", []))
            _append(themes, [category["name"], theme["name"], theme.get("description", ""), related])
            for finding in theme["findings"]:
                kind = finding["kind"] or ""
                numbers = _numbers_text(finding["references"])
                for sample in finding["samples"] or [None]:
                    if sample is None:  # a finding without perspectives still has its row
                        _append(findings, [category["name"], theme["name"], kind, numbers, "", "", "", ""])
                        continue
                    _append(
                        findings,
                        [
                            category["name"],
                            theme["name"],
                            kind,
                            numbers,
                            sample["group"],
                            "; ".join(sample.get("stakeholders", [])),
                            sample["summary"],
                            _numbers_text(sample["references"]),
                        ],
                    )
    _widths(findings, [28, 28, 12, 16, 22, 22, 90, 16])
    _widths(themes, [28, 28, 60, 50])

    references = book.create_sheet(REFERENCES)
    _heading(references, REFERENCE_COLUMNS)
    for reference in source_data["references"]:
        _append(references, [reference["number"], reference.get("citation", "")])
    _widths(references, [10, 100])

    footnotes = book.create_sheet(FOOTNOTES)
    _heading(footnotes, FOOTNOTE_COLUMNS)
    for note in source_data.get("footnotes", []):
        _append(footnotes, [note["mark"], note["text"]])
    _widths(footnotes, [10, 100])

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _heading(sheet, names):
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _append(sheet, values):
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        # Text that starts with "=" is text, never a formula (openpyxl would otherwise write one).
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _widths(sheet, widths):
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _numbers_text(numbers):
    return ", ".join(str(number) for number in numbers)


# Reading ----------------------------------------------------------------------------------------------------


def read_workbook(content):
    """The release a spreadsheet holds, as the interchange dict, validated by interchange.validate(); or
    SpreadsheetError naming the sheet, row and column. Read without evaluating anything: a formula is
    refused, links to other files are not followed."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise SpreadsheetError("the file is not an Excel workbook (.xlsx) that can be read") from None
    try:
        reader = _Reader(book)
        data = reader.release()
    finally:
        book.close()
    try:
        validate(data)
    except EvidenceFormatError as error:
        raise reader.refusal(error) from None
    return data


class _Reader:
    def __init__(self, book):
        self.book = book
        self.places = {}  # a place in the interchange structure ("sources[0].categories[1].name") → Cell

    def rows(self, name, columns):
        """(row number, {heading: value}) for each row of the sheet that is not empty."""
        if name not in self.book.sheetnames:
            raise SpreadsheetError(
                f"there is no sheet “{name}”: the spreadsheet must keep the sheets it was downloaded with "
                f"({', '.join([SOURCE, FINDINGS, THEMES, REFERENCES, FOOTNOTES])})"
            )
        sheet = self.book[name]
        found = None
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if number > MAX_ROWS:
                raise SpreadsheetError(f"Sheet “{name}” has more than {MAX_ROWS} rows; is it one source?")
            if found is None:
                headings = [cell.value.strip() if isinstance(cell.value, str) else cell.value for cell in row]
                missing = [column for column in columns if column not in headings]
                if missing:
                    raise SpreadsheetError(
                        f"{Cell(name, 1)}: the heading “{missing[0]}” is missing (row 1 must keep the headings "
                        f"{', '.join(f'“{c}”' for c in columns)})"
                    )
                found = {column: headings.index(column) for column in columns}
                continue
            values = {}
            for column, index in found.items():
                cell = row[index] if index < len(row) else None
                if cell is not None and getattr(cell, "data_type", None) == "f":
                    raise SpreadsheetError(
                        f"{Cell(name, number, column)}: a formula ({cell.value}) is not read: type the text itself"
                    )
                values[column] = cell.value if cell is not None else None
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in values.values()):
                continue
            yield number, values

    def place(self, where, cell):
        self.places.setdefault(where, cell)

    def release(self):
        source = self.details()
        source["references"] = self.references()
        source["categories"] = self.categories()
        return {"format": FORMAT, "sources": [source]}

    def details(self):
        source = {"footnotes": []}
        for number, values in self.rows(SOURCE, ["Field", "Value"]):
            name = _text(values["Field"]).strip()
            if name not in DETAILS:
                raise SpreadsheetError(
                    f"{Cell(SOURCE, number, 'Field')}: unknown field “{name}”: use one of {', '.join(DETAILS)}"
                )
            cell = Cell(SOURCE, number, "Value")
            value = values["Value"]
            source[name] = _whole(value, cell) if name in WHOLE_NUMBERS else _text(value)
            self.place(f"sources[0].{name}", cell)
        for number, values in self.rows(FOOTNOTES, FOOTNOTE_COLUMNS):
            index = len(source["footnotes"])
            source["footnotes"].append({"mark": _text(values["Mark"]), "text": _text(values["Text"])})
            self.place(f"sources[0].footnotes[{index}]", Cell(FOOTNOTES, number))
        return source

    def references(self):
        references = []
        for number, values in self.rows(REFERENCES, REFERENCE_COLUMNS):
            index = len(references)
            references.append(
                {
                    "number": _whole(values["Number"], Cell(REFERENCES, number, "Number")),
                    "citation": _text(values["Citation"]),
                }
            )
            self.place(f"sources[0].references[{index}].number", Cell(REFERENCES, number, "Number"))
            self.place(f"sources[0].references[{index}].citation", Cell(REFERENCES, number, "Citation"))
            self.place(f"sources[0].references[{index}]", Cell(REFERENCES, number))
        self.place("sources[0].references", Cell(REFERENCES, 1))
        return references

    def categories(self):
        categories = {}  # name → {"name", "themes": {name → theme}}, in the order they come
        theme_rows = {}  # theme name → (category name, the theme's place, its row)

        def category(name, cell):
            if name not in categories:
                categories[name] = {"name": name, "themes": {}, "index": len(categories)}
                self.place(f"sources[0].categories[{categories[name]['index']}].name", cell)
            return categories[name]

        def theme(category_entry, name, cell):
            themes = category_entry["themes"]
            if name not in themes:
                where = f"sources[0].categories[{category_entry['index']}].themes[{len(themes)}]"
                themes[name] = {"name": name, "related": [], "findings": {}, "where": where}
                self.place(f"{where}.name", cell)
                theme_rows[name] = (category_entry["name"], where)
            return themes[name]

        for number, values in self.rows(THEMES, THEME_COLUMNS):
            entry = theme(
                category(_text(values["Category"]), Cell(THEMES, number, "Category")),
                _text(values["Theme"]),
                Cell(THEMES, number, "Theme"),
            )
            if _text(values["Short description"]):
                entry["description"] = _text(values["Short description"])
            self.place(f"{entry['where']}.description", Cell(THEMES, number, "Short description"))
            lines = [line for line in _text(values["Related themes"]).splitlines() if line.strip()]
            for index, line in enumerate(lines):
                cell = Cell(THEMES, number, "Related themes")
                match = RELATED.match(line)
                if not match:
                    raise SpreadsheetError(
                        f"{cell}: “{line}” is not a related theme: write one a line as “source id › theme name”"
                    )
                entry["related"].append({"source": match["source"], "theme": match["theme"]})
                self.place(f"{entry['where']}.related[{index}]", cell)

        for number, values in self.rows(FINDINGS, FINDING_COLUMNS):
            name = _text(values["Theme"])
            category_name = _text(values["Category"])
            if name in theme_rows and theme_rows[name][0] != category_name:
                raise SpreadsheetError(
                    f"{Cell(FINDINGS, number, 'Category')}: the theme “{name}” is under “{theme_rows[name][0]}” in "
                    f"the Themes sheet, not “{category_name}”: use the same category in both"
                )
            entry = theme(
                category(category_name, Cell(FINDINGS, number, "Category")), name, Cell(FINDINGS, number, "Theme")
            )
            kind = _text(values["Kind"]).strip().lower() or None
            findings = entry["findings"]
            references_cell = Cell(FINDINGS, number, "Finding's references")
            references = _numbers(values["Finding's references"], references_cell)
            if kind not in findings:
                where = f"{entry['where']}.findings[{len(findings)}]"
                findings[kind] = {"kind": kind, "references": references, "samples": [], "where": where}
                self.place(f"{where}.kind", Cell(FINDINGS, number, "Kind"))
                self.place(f"{where}.references", references_cell)
                self.place(where, Cell(FINDINGS, number))
            finding = findings[kind]
            if values["Finding's references"] is not None and references != finding["references"]:
                if finding["references"]:
                    raise SpreadsheetError(
                        f"{references_cell}: the rows of one finding ({name}: {kind or 'no kind'}) give different "
                        f"references for it ({_numbers_text(finding['references'])} above): give the same in each"
                    )
                finding["references"] = references
            if all(values[c] is None for c in ("Group", "Stakeholders", "Summary", "References")):
                continue  # the row of a finding without perspectives
            where = f"{finding['where']}.samples[{len(finding['samples'])}]"
            finding["samples"].append(
                {
                    "group": _text(values["Group"]).strip(),
                    "references": _numbers(values["References"], Cell(FINDINGS, number, "References")),
                    "summary": _text(values["Summary"]),
                    "stakeholders": [s.strip() for s in _text(values["Stakeholders"]).split(";") if s.strip()],
                }
            )
            for column, key in (("Group", "group"), ("Summary", "summary"), ("Stakeholders", "stakeholders")):
                self.place(f"{where}.{key}", Cell(FINDINGS, number, column))
            self.place(f"{where}.references", Cell(FINDINGS, number, "References"))
            self.place(where, Cell(FINDINGS, number))

        # A theme with no row in Findings has nothing to publish: its findings are retired, as in a file.
        return [
            {
                "name": c["name"],
                "themes": [
                    {
                        "name": t["name"],
                        **({"description": t["description"]} if "description" in t else {}),
                        "related": t["related"],
                        "findings": [
                            {key: f[key] for key in ("kind", "references", "samples")} for f in t["findings"].values()
                        ],
                    }
                    for t in c["themes"].values()
                    if t["findings"]
                ],
            }
            for c in categories.values()
        ]

    def refusal(self, error):
        """The validation error `error` at the cell its place was read from."""
        where = error.where or ""
        message = str(error)
        problem = message.split(f"{where}: ", 1)[1] if where and f"{where}: " in message else message
        problem = problem.replace(", or null for no kind", ", or leave the cell empty for no kind")
        place = where
        while place and place not in self.places:
            place = re.sub(r"(\.[a-z_]+|\[\d+\])$", "", place)
        cell = self.places.get(place)
        if cell is None:
            return SpreadsheetError(problem, where=where)
        if place != where and where.startswith(f"{place}.references["):
            # One number of a list: the list's cell.
            cell = self.places.get(f"{place}.references", cell)
        return SpreadsheetError(f"{cell}: {problem}", where=where)


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _whole(value, cell):
    if isinstance(value, bool):
        value = None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise SpreadsheetError(f"{cell}: “{_text(value)}” is not a whole number")
    return value


def _numbers(value, cell):
    """Reference numbers written "23, 60, 64" (a single number may come as a number)."""
    if value is None:
        return []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [_whole(value, cell)]
    parts = [part.strip() for part in re.split(r"[,;]", str(value)) if part.strip()]
    if not all(part.isdigit() and int(part) > 0 for part in parts):
        raise SpreadsheetError(
            f"{cell}: “{value}” is not a list of reference numbers: write whole numbers above 0 separated by "
            "commas, e.g. 23, 60, 64"
        )
    return sorted({int(part) for part in parts})
