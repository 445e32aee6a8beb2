"""The board report printed to PDF in Chromium (A4): one page of summary first, page numbers and the date
on every page, and no table wider than the page. The PDF is kept in test-output/screenshots/."""

import io
import re

from django.core.management import call_command
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect
from pypdf import PdfReader

from peerplan.models import Checklist, ChecklistStatus
from peerplan.operations.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_SLUG
from tests.browser.conftest import OUTPUT
from tests.browser.helpers import sign_in

SCREENSHOTS = OUTPUT.parent / "screenshots"
A4_CONTENT_WIDTH = 687  # 210 mm less 2 x 14 mm margins, in CSS pixels (96 per inch)
MOST_PAGES = 14  # the report ran to 17 pages before it led with a summary


def test_the_report_prints_to_a4_with_a_summary_first(live_server, page, db):
    call_command("seed_demo", verbosity=0)
    checklist = Checklist.objects.get(organisation__slug=DEMO_SLUG, status=ChecklistStatus.ACTIVE)
    sign_in(page, live_server.url, f"manager@{DEMO_DOMAIN}", password=DEMO_PASSWORD)
    page.goto(f"{live_server.url}/app/checklists/{checklist.pk}/report/")
    expect(page.get_by_role("heading", level=1)).to_have_text(checklist.title)

    # As printed, at the width of A4's printable area: no table wider than the page.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 1000})
    too_wide = page.evaluate(
        """(width) => Array.from(document.querySelectorAll('table'))
            .filter(t => t.getClientRects().length && t.getBoundingClientRect().right > width + 1)
            .map(t => (t.querySelector('caption') || t).textContent.trim().slice(0, 60))""",
        A4_CONTENT_WIDTH,
    )
    assert too_wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_CONTENT_WIDTH

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The demo's check-in trends, as printed: each challenge's chart and its table.
    page.locator(".report-check-ins").screenshot(path=str(SCREENSHOTS / "report-check-ins.png"))
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    (SCREENSHOTS / "report.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    print(f"board report: {pages} A4 pages")
    assert 2 <= pages <= MOST_PAGES

    first = " ".join(reader.pages[0].extract_text().split())
    today = date_format(timezone.localdate(), "j F Y")
    # The summary, alone on page one: every active checklist, coverage, the trend, what needs attention.
    for words in (
        checklist.title,
        "report to the board",
        "Every active checklist",
        "Covered",
        "Over the last 6 months",
        "Overdue or blocked",
        "Decisions due for re-review",
        "Decisions since",
    ):
        assert words in first, words
    assert "What the evidence reports" not in first  # the detail starts on page two
    # Page numbers and the date in the margin of every page.
    for number, pdf_page in enumerate(reader.pages, start=1):
        text = " ".join(pdf_page.extract_text().split())
        assert f"Page {number} of {pages}" in text
        assert f"printed {today}" in text
    # The detail starts on page two: coverage by group, then the check-in's trends, then the evidence.
    second = " ".join(reader.pages[1].extract_text().split())
    assert "Detail" in second and "What peer support workers say: check-in trends" in second
    rest = " ".join(" ".join(p.extract_text().split()) for p in reader.pages[1:])
    assert re.search(r"What the evidence reports", rest)
    assert "(PeerPlan's wording, not a validated measure)" in rest

    # Chart text at least 9 pt on A4 (12 CSS px): each label's printed height in the PDF's layout.
    page.goto(f"{live_server.url}/app/checklists/{checklist.pk}/report/")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 1000})
    smallest = page.evaluate(
        """() => Math.min(...Array.from(document.querySelectorAll('.report-summary-page .chart-label'))
            .map(t => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getBoundingClientRect().width
                      / t.ownerSVGElement.viewBox.baseVal.width))"""
    )
    assert smallest * 0.75 >= 9, f"chart labels print at {smallest * 0.75:.1f} pt"


def test_the_summary_alone_prints_on_one_page_from_its_print_button(live_server, page, db):
    call_command("seed_demo", verbosity=0)
    checklist = Checklist.objects.get(organisation__slug=DEMO_SLUG, status=ChecklistStatus.ACTIVE)
    sign_in(page, live_server.url, f"manager@{DEMO_DOMAIN}", password=DEMO_PASSWORD)
    page.goto(f"{live_server.url}/app/checklists/{checklist.pk}/report/")
    page.get_by_role("link", name="Summary only (one page)").click()
    expect(page.get_by_text("The summary only (one page).")).to_be_visible()
    page.evaluate("window.print = () => { window.printed = true; }")  # the dialogue itself is the browser's
    page.get_by_role("button", name="Print the summary").click()
    assert page.evaluate("window.printed") is True
    page.emulate_media(media="print")
    reader = PdfReader(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True, print_background=True)))
    assert len(reader.pages) == 1
    assert "Every active checklist" in reader.pages[0].extract_text()
