"""A source as a spreadsheet a researcher edits and uploads back (issue 28): downloaded from the Sources list,
read back into the interchange structure and validated by the same rules, with refusals that name the sheet,
row and column. The round trip holds: unchanged, it previews no change; one edited cell, exactly that change."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from evidence.interchange import export_evidence
from evidence.models import Finding, Perspective, Release, Source
from evidence.spreadsheet import read_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLE_AMBIGUITY_PSWS = "Role ambiguity"


def download(client, source):
    response = client.get(f"/admin/evidence/source/{source.pk}/download.xlsx")
    assert response.status_code == 200
    return response


def workbook(response):
    return load_workbook(io.BytesIO(response.content))


def saved(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, content, name="table-6-draft.xlsx"):
    return client.post("/admin/evidence/source/import/", {"release": SimpleUploadedFile(name, content, XLSX)})


def preview(client, content, name="table-6-draft.xlsx"):
    response = upload(client, content, name)
    assert response.status_code == 302, response.content.decode()[-3000:]
    return client.get(response["Location"]).content.decode()


def row_of(sheet, theme, group=None):
    headings = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        values = dict(zip(headings, [cell.value for cell in row], strict=False))
        if values["Theme"] == theme and (group is None or values["Group"] == group):
            return row[0].row, headings
    raise AssertionError(theme)


# Download ---------------------------------------------------------------------------------------------------


def test_the_sources_list_offers_each_source_as_a_spreadsheet(client, curator, table6):
    client.force_login(curator)
    page = client.get("/admin/evidence/source/").content.decode()
    assert f'href="/admin/evidence/source/{table6.pk}/download.xlsx" download' in page
    assert 'aria-label="Download the current version of Cooper et al. 2024, Table 6 as a spreadsheet"' in page


def test_the_spreadsheet_has_the_sources_details_findings_references_and_a_read_me(client, curator, table6):
    client.force_login(curator)
    response = download(client, table6)
    assert response["Content-Type"] == XLSX
    assert 'filename="cooper-2024-table-6-version-2-draft.xlsx"' in response["Content-Disposition"]
    book = workbook(response)
    assert book.sheetnames == ["Read me", "Source", "Findings", "Themes", "References", "Footnotes"]
    readme = "\n".join(str(row[0].value or "") for row in book["Read me"].iter_rows())
    assert "What you may edit" in readme and "What must not change" in readme
    assert "Kind: challenge, barrier, benefit, facilitator, or leave the cell empty" in readme
    details = {row[0].value: row[1].value for row in book["Source"].iter_rows(min_row=2)}
    assert (details["id"], details["name"], details["version"]) == ("cooper-2024-table-6", table6.name, 2)
    source_sheet = book["Source"]
    assert source_sheet.protection.sheet
    assert [row[1].protection.locked for row in source_sheet.iter_rows(min_row=2, max_row=3)] == [True, False]
    findings = book["Findings"]
    assert [cell.value for cell in findings[1]] == [
        "Category",
        "Theme",
        "Kind",
        "Finding's references",
        "Group",
        "Stakeholders",
        "Summary",
        "References",
    ]
    assert findings.max_row - 1 == Perspective.objects.filter(finding__theme__category__source=table6).count()
    number, headings = row_of(findings, "Role ambiguity", "PSWs")
    row = {h: findings.cell(row=number, column=i + 1).value for i, h in enumerate(headings)}
    perspective = Perspective.objects.get(finding__theme__name="Role ambiguity", group="PSWs")
    assert row["Kind"] == "challenge" and row["Summary"] == perspective.summary
    assert row["References"] == ", ".join(str(r.number) for r in perspective.references.order_by("number"))
    assert book["References"].max_row - 1 == table6.references.count()


def test_an_organisations_own_source_has_no_spreadsheet(client, curator, org_a):
    from peerplan.operations import own_evidence

    own = own_evidence.create_own_source(organisation=org_a, name="Survey", title="Survey", year=2026)
    client.force_login(curator)
    assert client.get(f"/admin/evidence/source/{own.pk}/download.xlsx").status_code == 404


def test_a_planner_cannot_download_the_spreadsheet(client, planner, table6):
    client.force_login(planner)
    assert client.get(f"/admin/evidence/source/{table6.pk}/download.xlsx").status_code in (302, 403)


# Round trip -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["table6", "example"])
def test_an_unchanged_spreadsheet_reads_back_as_the_export_and_previews_no_changes(client, curator, which, request):
    source = request.getfixturevalue(which)
    client.force_login(curator)
    content = download(client, source).content
    [expected] = export_evidence([source])["sources"]
    expected["version"] += 1
    # The check-in statements are PeerPlan's wording, kept in the admin, not the published evidence a curator
    # edits in the spreadsheet; a release without them keeps them as they are (evidence/interchange.md).
    for category in expected["categories"]:
        for theme in category["themes"]:
            theme.pop("statements", None)
    assert read_workbook(content)["sources"] == [expected]
    page = preview(client, content)
    assert "No changes: no finding is added, changed or retired." in page
    assert "Added (0)" in page and "Changed (0)" in page and "Retired (0)" in page


def test_one_edited_summary_previews_exactly_that_change_word_by_word(client, curator, table6):
    client.force_login(curator)
    book = workbook(download(client, table6))
    sheet = book["Findings"]
    number, headings = row_of(sheet, "Role ambiguity", "PSWs")
    cell = sheet.cell(row=number, column=headings.index("Summary") + 1)
    cell.value = cell.value.replace("PSWs", "Peer support workers", 1)
    page = preview(client, saved(book))
    assert "Changed (1)" in page and "Added (0)" in page and "Retired (0)" in page
    assert "Role ambiguity: challenge" in page
    assert "<del>PSWs</del>" in page and "<ins>Peer support workers</ins>" in page


def test_a_new_row_adds_a_perspective_and_a_new_kind_adds_a_finding(client, curator, example):
    client.force_login(curator)
    book = workbook(download(client, example))
    sheet = book["Findings"]
    number, headings = row_of(sheet, "Protected time for reflection")
    row = [sheet.cell(row=number, column=i + 1).value for i in range(len(headings))]
    row[headings.index("Kind")] = "facilitator"
    row[headings.index("Finding's references")] = "1"
    row[headings.index("Group")] = "Non-peer staff"
    row[headings.index("Summary")] = "Fixture text: managers saw protected time keep PSWs in post."
    row[headings.index("References")] = 1
    sheet.append(row)
    # A second perspective of an existing finding: the same theme and kind, the finding's references as above.
    row = [sheet.cell(row=number, column=i + 1).value for i in range(len(headings))]
    row[headings.index("Group")] = "Service users"
    row[headings.index("Summary")] = "Fixture text: service users noticed calmer visits."
    sheet.append(row)
    page = preview(client, saved(book))
    assert "Added (1)" in page and "Protected time for reflection: facilitator" in page
    assert "Fixture text: managers saw protected time keep PSWs in post." in page
    assert "Changed (1)" in page and "<ins>Fixture text: service users noticed calmer visits.</ins>" in page


def test_applying_an_edited_spreadsheet_changes_the_text(client, curator, table6):
    client.force_login(curator)
    book = workbook(download(client, table6))
    sheet = book["Findings"]
    number, headings = row_of(sheet, "Role ambiguity", "PSWs")
    sheet.cell(row=number, column=headings.index("Summary") + 1).value = "Fixture text: a new summary."
    response = upload(client, saved(book))
    release = Release.objects.get()
    assert release.file_name == "table-6-draft.xlsx"
    client.post(response["Location"], {"change_note": "The PSWs' summary of role ambiguity is revised."})
    assert Perspective.objects.get(finding__theme__name="Role ambiguity", group="PSWs").summary == (
        "Fixture text: a new summary."
    )
    assert Source.objects.get(pk=table6.pk).version == 2


# Refusals ---------------------------------------------------------------------------------------------------


def refused(client, content, name="table-6-draft.xlsx"):
    response = upload(client, content, name)
    assert response.status_code == 200
    text = response.content.decode()
    assert "The file cannot be imported." in text and "nothing was imported." in text
    return text


def edited(client, source, sheet_name, theme, column, value, group=None):
    book = workbook(download(client, source))
    sheet = book[sheet_name]
    number, headings = row_of(sheet, theme, group)
    sheet.cell(row=number, column=headings.index(column) + 1).value = value
    return saved(book), number


def test_an_unknown_group_is_refused_naming_the_sheet_row_column_and_the_groups(client, curator, table6):
    client.force_login(curator)
    before = list(Perspective.objects.values_list("pk", "group", "summary"))
    content, number = edited(client, table6, "Findings", "Role ambiguity", "Group", "Carers", group="PSWs")
    text = refused(client, content)
    assert f"Sheet “Findings”, row {number}, column “Group”: unknown group &#x27;Carers&#x27;: use one of PSWs" in text
    assert "Mental health organisations, Mixed" in text
    assert not Release.objects.exists()
    assert list(Perspective.objects.values_list("pk", "group", "summary")) == before
    assert Source.objects.get(pk=table6.pk).version == 1


def test_an_unknown_kind_is_refused_with_the_kinds_allowed(client, curator, table6):
    client.force_login(curator)
    content, number = edited(client, table6, "Findings", "Role ambiguity", "Kind", "obstacle", group="PSWs")
    text = refused(client, content)
    assert f"Sheet “Findings”, row {number}, column “Kind”: unknown kind &#x27;obstacle&#x27;: use one of " in text
    assert "or leave the cell empty for no kind" in text


def test_reference_numbers_that_are_not_numbers_or_not_listed_are_refused(client, curator, table6):
    client.force_login(curator)
    content, number = edited(client, table6, "Findings", "Role ambiguity", "References", "23, x", group="PSWs")
    text = refused(client, content)
    assert f"Sheet “Findings”, row {number}, column “References”: “23, x” is not a list of reference numbers" in text
    content, number = edited(client, table6, "Findings", "Role ambiguity", "References", "23, 999", group="PSWs")
    text = refused(client, content)
    assert "Sheet “References”, row 1: numbers used but not listed: [999]" in text


def test_a_formula_is_refused_not_evaluated(client, curator, table6):
    client.force_login(curator)
    content, number = edited(client, table6, "Findings", "Role ambiguity", "Summary", "=1+1", group="PSWs")
    text = refused(client, content)
    assert f"Sheet “Findings”, row {number}, column “Summary”: a formula (=1+1) is not read" in text


def test_a_renamed_heading_or_a_missing_sheet_is_refused_in_words(client, curator, table6):
    client.force_login(curator)
    book = workbook(download(client, table6))
    book["Findings"]["E1"].value = "Stakeholder group"
    text = refused(client, saved(book))
    assert "Sheet “Findings”, row 1: the heading “Group” is missing" in text
    book = workbook(download(client, table6))
    del book["References"]
    assert "there is no sheet “References”" in refused(client, saved(book))


def test_a_file_that_is_not_a_workbook_or_has_macros_is_refused(client, curator, table6):
    client.force_login(curator)
    assert "is not" in refused(client, b"not a spreadsheet at all", "draft.xlsx")
    content = download(client, table6).content
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as original, zipfile.ZipFile(packed, "w") as copy:
        for item in original.infolist():
            copy.writestr(item, original.read(item))
        copy.writestr("xl/vbaProject.bin", b"macro")
    text = refused(client, packed.getvalue(), "draft.xlsx")
    assert "macro" in text.lower()
    assert not Release.objects.exists()


def test_a_finding_whose_rows_all_go_is_retired(client, curator, example):
    client.force_login(curator)
    book = workbook(download(client, example))
    sheet = book["Findings"]
    number, _ = row_of(sheet, "Protected time for reflection")
    sheet.delete_rows(number)
    page = preview(client, saved(book))
    assert "Retired (1)" in page and "Protected time for reflection" in page
    assert Finding.objects.filter(theme__name="Protected time for reflection", retired_in_version__isnull=True)
