"""CSV and XLSX exports of a checklist, parsed back."""

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from peerplan.models import ImplementationPhase, MitigationStatus, former_member
from peerplan.operations import checklists
from peerplan.pages import exports
from peerplan.pages.exports import HEADERS, neutralise
from tests.factories import item_for, make_checklist, make_mitigation, make_user


@pytest.fixture
def exported_checklist(org_a, manager, planner):
    """A title a file name must be made from; Role ambiguity (high priority) with two actions, one of them a
    formula; Workload does not apply; one benefit chosen."""
    checklist = make_checklist(org_a, "Community team: 2025 plan", manager)
    role = checklists.decide_item(item=item_for(checklist, "Role ambiguity"), applies=True, priority="high")
    phase = ImplementationPhase.objects.get_or_create(name="Preparation", defaults={"position": 1})[0]
    make_mitigation(
        role,
        "Write a role description",
        MitigationStatus.IN_PROGRESS,
        owner=planner,
        due_date=date(2025, 7, 1),
        phase=phase,
        co_produced=True,
    )
    make_mitigation(role, '=HYPERLINK("http://evil")', MitigationStatus.PLANNED, owner_name="Dr Outside")
    checklists.decide_item(item=item_for(checklist, "Workload"), applies=False, reason="Caseloads set nationally")
    checklists.decide_item(item=item_for(checklist, "Wellbeing and recovery", "benefit"), applies=True)
    return checklist


def _csv_rows(response):
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(content[1:])))


def test_the_csv_has_a_row_per_action_and_a_row_per_item_without_one(client, exported_checklist, viewer):
    client.force_login(viewer)
    response = client.get(f"/app/checklists/{exported_checklist.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="community-team-2025-plan.csv"'
    rows = _csv_rows(response)
    assert list(rows[0]) == HEADERS
    role = [row for row in rows if row["Item"] == "Role ambiguity: challenge"]
    assert role[0] == {
        "Item": "Role ambiguity: challenge",
        "Theme": "Role ambiguity",
        "Category": "Confusion over the PSW role",
        "Challenge or benefit": "Challenge",
        "Applies to this service": "Yes",
        "Priority": "High",
        "Action": "Write a role description",
        "Details": "",
        "Owner": "Pat",
        "Due date": "2025-07-01",
        "Status": "In progress",
        "Phase": "Preparation",
        "Co-produced": "Yes",
        "Evidence references": "32, 38, 42, 43, 53, 54",
        "Decided against": "Cooper et al. 2024, Table 6 version 1",
    }
    # A challenge nobody has reviewed yet neither applies nor was decided against any version.
    boundaries = [row for row in rows if row["Item"] == "Boundaries: challenge"][0]
    assert (boundaries["Applies to this service"], boundaries["Decided against"]) == ("Not reviewed yet", "")
    assert role[1]["Action"] == '\'=HYPERLINK("http://evil")'
    assert role[1]["Owner"] == "Dr Outside"
    by_item = {row["Item"]: row for row in rows}
    assert by_item["Boundaries: challenge"]["Status"] == "Not covered"
    assert by_item["Workload: challenge"]["Status"] == "Does not apply"
    assert by_item["Workload: challenge"]["Applies to this service"] == "No"
    assert by_item["Wellbeing and recovery: benefit"]["Status"] == "No action yet"
    assert "Bridge: benefit" not in by_item  # a benefit the service did not select
    # 16 challenges (one with two actions) and one selected benefit
    assert len(rows) == 16 + 1 + 1


def test_the_xlsx_holds_the_same_rows_with_real_dates(client, exported_checklist, viewer):
    client.force_login(viewer)
    response = client.get(f"/app/checklists/{exported_checklist.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="community-team-2025-plan.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    first = dict(zip(HEADERS, rows[1 + [r[0] for r in rows[1:]].index("Role ambiguity: challenge")], strict=True))
    assert first["Due date"] == datetime(2025, 7, 1)
    assert first["Action"] == "Write a role description"
    actions = [row[HEADERS.index("Action")] for row in rows]
    assert '\'=HYPERLINK("http://evil")' in actions
    assert len(rows) == 1 + 18
    statuses = [row[HEADERS.index("Status")] for row in rows]
    assert statuses.count("Not covered") == 14


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Plain text", "Plain text"),
        (date(2025, 1, 1), date(2025, 1, 1)),
        (None, None),
    ],
)
def test_formula_starts_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_a_title_of_only_symbols_still_gives_a_file_name(client, org_a, manager):
    checklist = make_checklist(org_a, "!!!", manager)
    client.force_login(manager)
    response = client.get(f"/app/checklists/{checklist.pk}/export.csv")
    assert response["Content-Disposition"] == f'attachment; filename="checklist-{checklist.pk}.csv"'


def test_outsiders_get_404(client, exported_checklist, outsider):
    client.force_login(outsider)
    assert client.get(f"/app/checklists/{exported_checklist.pk}/export.csv").status_code == 404
    assert client.get(f"/app/checklists/{exported_checklist.pk}/export.xlsx").status_code == 404


@pytest.mark.parametrize("actions_per_item", [1, 10])
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_exports_run_the_same_queries_whatever_the_size(
    client, org_a, manager, planner, django_assert_num_queries, actions_per_item, extension
):
    checklist = make_checklist(org_a, "Sized", manager)
    for item in checklist.items.all():
        for n in range(actions_per_item):
            make_mitigation(item, f"Action {n}", owner=planner if n % 2 else None, owner_name="" if n % 2 else "X")
    client.force_login(manager)
    # the session and the person (two cache reads), checklist with membership, items, finding references, actions
    with django_assert_num_queries(6):
        response = client.get(f"/app/checklists/{checklist.pk}/export.{extension}")
        if extension == "csv":
            content = b"".join(response.streaming_content)
        else:
            content = response.content
    assert len(content) > 0


def test_a_long_csv_streams_in_pieces_of_whole_lines():
    rows = [[f"row {n}", "x" * 100] for n in range(1000)]
    pieces = list(exports.csv_stream(["A", "B"], rows))
    assert len(pieces) > 1 and all(piece.endswith("\r\n") for piece in pieces)
    assert all(len(piece) < 2 * exports.CSV_PIECE for piece in pieces)  # memory stays flat
    assert list(csv.reader(io.StringIO("".join(pieces).removeprefix("\ufeff")))) == [["A", "B"], *rows]


@pytest.fixture
def pinned_checklist(org_a, manager, planner):
    """Every kind of value a row shows: several actions on one item, one action on two items (their columns
    joined), items with none (not covered, does not apply, a benefit chosen), a benefit not chosen but with an
    action, owners named every way (full name, first name, email only, username only, a former member, a
    person outside, nobody), due dates and none, a phase and none, and text a spreadsheet would run."""
    checklist = make_checklist(org_a, "Pinned", manager)
    role = checklists.decide_item(item=item_for(checklist, "Role ambiguity"), applies=True, priority="high")
    boundaries = item_for(checklist, "Boundaries")  # not reviewed yet
    checklists.decide_item(item=item_for(checklist, "Workload"), applies=False, reason="Caseloads set nationally")
    checklists.decide_item(item=item_for(checklist, "Wellbeing and recovery", "benefit"), applies=True)
    bridge = item_for(checklist, "Bridge", "benefit")  # not chosen, yet an action addresses it
    preparation = ImplementationPhase.objects.get_or_create(name="Preparation", defaults={"position": 1})[0]
    review = ImplementationPhase.objects.get_or_create(name="=Review", defaults={"position": 2})[0]
    full = make_user("jo", "Jo")
    full.last_name = "Bloggs"
    full.save()
    email_only = make_user("nameless")
    username_only = make_user("handle")
    username_only.email = ""
    username_only.save()
    make_mitigation(
        role,
        "Write a role description",
        MitigationStatus.IN_PROGRESS,
        owner=planner,
        due_date=date(2025, 7, 1),
        phase=preparation,
        co_produced=True,
        details="=SUM(A1) and a line\nbreak, with a comma",
    )
    make_mitigation(role, '=HYPERLINK("http://evil")', MitigationStatus.PLANNED, owner_name="Dr Outside")
    shared = make_mitigation(
        role, "Agree supervision", MitigationStatus.DONE, owner=full, due_date=date(2025, 3, 1), phase=review
    )
    shared.items.add(boundaries)
    make_mitigation(role, "-Nobody owns this", MitigationStatus.BLOCKED, due_date=date(2025, 7, 1))
    make_mitigation(boundaries, "+Email the team", MitigationStatus.DROPPED, owner=email_only, owner_name="Ignored")
    make_mitigation(boundaries, "@Ask the handle", owner=username_only, details='Say "yes"')
    make_mitigation(bridge, "Tell the former member", owner=former_member(), due_date=date(2026, 1, 31))
    make_mitigation(
        item_for(checklist, "Wellbeing and recovery", "benefit"), "Plan it", owner_name="=cmd|' /C calc'!A0"
    )
    return checklist


# The pinned checklist's CSV as it was written before the files were read as plain values (issue 29): every
# row, byte for byte, after the byte-order mark and the header.
PINNED_CSV_LINES = [
    'Wellbeing and recovery: benefit,Wellbeing and recovery,What the PSW role can bring,Benefit,Yes,Medium,Plan it,,\'=cmd|\' /C calc\'!A0,,Planned,,No,"23, 34, 61","Cooper et al. 2024, Table 6 version 1"',
    'Wellbeing and recovery: challenge,Wellbeing and recovery,What the PSW role can bring,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,"23, 42, 55, 60",',
    "Recovery and role models: challenge,Recovery and role models,What the PSW role can bring,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,61,",
    '"Experiential knowledge, normalisation and stigma: challenge","Experiential knowledge, normalisation and stigma",What the PSW role can bring,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,39,',
    "Isolation and validation: challenge,Isolation and validation,What the PSW role can bring,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,49,",
    "Bridge: benefit,Bridge,What the PSW role can bring,Benefit,Not reviewed yet,Medium,Tell the former member,,a former member,2026-01-31,Planned,,No,64,",
    "Pioneer and expectations: challenge,Pioneer and expectations,What the PSW role can bring,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,64,",
    '"Complementary role, expertise and becoming part of the team: challenge","Complementary role, expertise and becoming part of the team",What the PSW role can bring,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,64,',
    'Role ambiguity: challenge; Boundaries: challenge,Role ambiguity; Boundaries,Confusion over the PSW role,Challenge,Yes; Not reviewed yet,High; Medium,Agree supervision,,Jo Bloggs,2025-03-01,Done,\'=Review,No,"23, 32, 38, 42, 43, 53, 54, 60, 61, 63","Cooper et al. 2024, Table 6 version 1"',
    'Role ambiguity: challenge,Role ambiguity,Confusion over the PSW role,Challenge,Yes,High,Write a role description,"\'=SUM(A1) and a line\nbreak, with a comma",Pat,2025-07-01,In progress,Preparation,Yes,"32, 38, 42, 43, 53, 54","Cooper et al. 2024, Table 6 version 1"',
    'Role ambiguity: challenge,Role ambiguity,Confusion over the PSW role,Challenge,Yes,High,\'-Nobody owns this,,,2025-07-01,Blocked,,No,"32, 38, 42, 43, 53, 54","Cooper et al. 2024, Table 6 version 1"',
    'Role ambiguity: challenge,Role ambiguity,Confusion over the PSW role,Challenge,Yes,High,"\'=HYPERLINK(""http://evil"")",,Dr Outside,,Planned,,No,"32, 38, 42, 43, 53, 54","Cooper et al. 2024, Table 6 version 1"',
    'Disclosure of peer status: challenge,Disclosure of peer status,Confusion over the PSW role,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,"34, 39, 63, 64",',
    'Boundaries: challenge,Boundaries,Confusion over the PSW role,Challenge,Not reviewed yet,Medium,\'+Email the team,,nameless@example.org,,Dropped,,No,"23, 60, 61, 63",',
    'Boundaries: challenge,Boundaries,Confusion over the PSW role,Challenge,Not reviewed yet,Medium,\'@Ask the handle,"Say ""yes""",handle,,Planned,,No,"23, 60, 61, 63",',
    'Role conflict and professionalization: challenge,Role conflict and professionalization,Confusion over the PSW role,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,"34, 61, 63, 64",',
    'Lack of support and training: challenge,Lack of support and training,Organisational challenges and impact,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,"23, 34, 60, 64",',
    'The value of the PSW role and low pay: challenge,The value of the PSW role and low pay,Organisational challenges and impact,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,"23, 34, 61, 63, 64",',
    'Workload: challenge,Workload,Organisational challenges and impact,Challenge,No,Medium,,,,,Does not apply,,,64,"Cooper et al. 2024, Table 6 version 1"',
    'Colleagues and stigma: challenge,Colleagues and stigma,Organisational challenges and impact,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,"23, 34, 39, 46, 61, 64",',
    'Challenges for healthcare staff/organisations: challenge,Challenges for healthcare staff/organisations,Organisational challenges and impact,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,"42, 61",',
    "Treatment models: challenge,Treatment models,Organisational challenges and impact,Challenge,Not reviewed yet,Medium,,,,,Not covered,,,23,",
]


def test_the_csv_of_every_kind_of_value_is_what_it_was(client, pinned_checklist, viewer):
    client.force_login(viewer)
    body = b"".join(client.get(f"/app/checklists/{pinned_checklist.pk}/export.csv").streaming_content)
    expected = "\ufeff" + ",".join(HEADERS) + "\r\n" + "".join(line + "\r\n" for line in PINNED_CSV_LINES)
    assert body == expected.encode("utf-8")


def _as_xlsx_cell(value, column):
    """A pinned CSV value as the XLSX holds it: an empty cell for nothing, the due date a date."""
    if value == "":
        return None
    return datetime.fromisoformat(value) if column == "Due date" else value


def test_the_xlsx_of_every_kind_of_value_holds_what_the_csv_holds(client, pinned_checklist, viewer):
    client.force_login(viewer)
    response = client.get(f"/app/checklists/{pinned_checklist.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    assert [(cell.value, cell.font.b) for cell in rows[0]] == [(title, True) for title in HEADERS]
    expected = [
        tuple(_as_xlsx_cell(value, column) for value, column in zip(row, HEADERS, strict=True))
        for row in csv.reader(PINNED_CSV_LINES)
    ]
    assert [tuple(cell.value for cell in row) for row in rows[1:]] == expected
    due = HEADERS.index("Due date")
    formats = {(row[due].value is None, row[due].number_format) for row in rows[1:]}
    assert formats == {(True, "General"), (False, "DD/MM/YYYY")}
    assert not any(cell.font.b for row in rows[1:] for cell in row)
