"""What people type is shown as text everywhere: a checklist title, an action or a name of
`<script>alert(1)</script>` or `"><img src=x onerror=alert(1)>` appears escaped on every page that shows
it, never as markup. Exports neutralise cells a spreadsheet would run as a formula."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils.html import escape
from openpyxl import load_workbook

from tests.factories import item_for, make_checklist, make_mitigation

VARIANTS = {
    "script": lambda field: f'<script>alert("{field}")</script>',
    "attribute": lambda field: f'"><img src=x onerror=alert("{field}")>',
}
RAW_MARKUP = ["<script>alert(", "<img src=x", 'onerror=alert("']


@pytest.fixture(params=VARIANTS)
def typed(request, org_a, owner, planner):
    """Organisation A with everything a person can type set to a payload naming its field."""
    payload = VARIANTS[request.param]
    org_a.name = payload("organisation")
    org_a.save()
    planner.first_name = payload("person")
    planner.save()
    checklist = make_checklist(org_a, payload("title"), by=owner, service=payload("service"))
    checklist.description = payload("description")
    checklist.save()
    item = item_for(checklist, "Role ambiguity")
    item.note = payload("note")
    item.save()
    overdue = make_mitigation(
        item,
        action=payload("action"),
        owner=planner,
        due_date=date.today() - timedelta(days=3),
        notes=payload("notes"),
    )
    outside = make_mitigation(item, action="Ask HR", owner_name=payload("owner_name"))
    # A change in the history, so that the timelines show the typed values as before and after.
    overdue.notes = payload("notes") + " (changed)"
    overdue.save()
    return {
        "payload": payload,
        "organisation": org_a,
        "checklist": checklist,
        "item": item,
        "mitigation": overdue,
        "outside": outside,
    }


def pages(typed):
    """Each page, with the fields it shows."""
    slug, checklist, item = typed["organisation"].slug, typed["checklist"], typed["item"]
    mitigation = typed["mitigation"]
    return {
        "/app/": ["organisation"],
        f"/app/orgs/{slug}/": ["organisation", "title", "service"],
        f"/app/orgs/{slug}/members/": ["organisation", "person"],
        f"/app/checklists/{checklist.pk}/": ["title", "service", "description"],
        f"/app/checklists/{checklist.pk}/phases/": ["title", "action"],
        f"/app/items/{item.pk}/": ["title", "note", "action", "notes", "owner_name", "person"],
        f"/app/mitigations/{mitigation.pk}/edit/": ["title", "action", "notes"],
        f"/app/mitigations/{typed['outside'].pk}/edit/": ["title", "owner_name"],
        f"/app/orgs/{slug}/dashboard/": ["organisation", "title", "action", "person"],
        f"/app/orgs/{slug}/actions/": ["organisation", "title", "action", "person", "owner_name"],
        "/app/my-actions/": ["organisation", "title", "action"],
        f"/app/mitigations/{mitigation.pk}/history/": ["title", "action", "notes"],
        f"/app/checklists/{checklist.pk}/history/": ["title", "notes"],
        f"/app/checklists/{checklist.pk}/report/": [
            "organisation",
            "title",
            "service",
            "description",
            "note",
            "action",
            "person",
            "owner_name",
        ],
    }


def test_what_people_typed_is_shown_as_text_on_every_page(client, typed, planner):
    client.force_login(planner)
    for url, fields in pages(typed).items():
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        for markup in RAW_MARKUP:
            assert markup not in text, f"{markup} appears as markup on {url}"
        for field in fields:
            assert escape(typed["payload"](field)) in text, f"{field} is not shown escaped on {url}"


FORMULAS = ['=HYPERLINK("http://evil.example","click")', "@SUM(1)", "-2+3", "+1", "=1+1"]


@pytest.fixture
def formulas(org_a, owner, planner):
    checklist = make_checklist(org_a, "=Exports", by=owner)
    item = item_for(checklist, "Role ambiguity")
    item.note = "+note"
    item.save()
    for text in FORMULAS:
        make_mitigation(item, action=text, owner_name="@outside", notes="-notes")
    return checklist


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client, formulas, owner):
    client.force_login(owner)
    response = client.get(f"/app/checklists/{formulas.pk}/export.csv")
    content = b"".join(response.streaming_content).decode("utf-8")[1:]
    rows = list(csv.reader(io.StringIO(content)))

    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    actions = {row[rows[0].index("Action")] for row in rows[1:]}
    assert {"'" + text for text in FORMULAS} <= actions


def test_xlsx_cells_that_a_spreadsheet_would_run_are_neutralised(client, formulas, owner):
    client.force_login(owner)
    response = client.get(f"/app/checklists/{formulas.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active

    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert not [text for text in texts if text[:1] in ("=", "+", "-", "@")]
    assert {"'" + text for text in FORMULAS} <= set(texts)
