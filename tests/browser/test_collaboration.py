"""Journeys of working together: a mention that reaches a manager through the bell and gets a reply; an
assignment that makes one email and one notification; files attached (by picker and by dragging), listed,
downloaded with inert headers, and refused when too large or of a forbidden type."""

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.helpers import sign_in

ACTION = "Agree a PSW role description with the team"
NEW_ACTION = "Review caseloads with each PSW monthly"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _send_at_once(settings):
    settings.NOTIFICATION_EMAIL_DELAY = 0


def action_pk():
    from peerplan.models import Mitigation

    return Mitigation.objects.get(action=ACTION).pk


def test_a_planner_mentions_a_manager_who_follows_the_bell_and_replies(live_server, page, tracked_checklist, planner):
    base = live_server.url
    h1 = page.get_by_role("heading", level=1)
    sign_in(page, base, "pat@example.org")
    page.goto(f"{base}/app/mitigations/{action_pk()}/")
    expect(h1).to_have_text(ACTION)

    # Typing "@Ma" offers Maya; Enter picks her.
    field = page.get_by_label("Add a comment")
    field.press_sequentially("Could you check the pay band? @Ma")
    suggestions = page.get_by_role("listbox", name="Members you can mention")
    expect(suggestions).to_be_visible()
    expect(suggestions.get_by_role("option")).to_have_count(1)
    expect(suggestions.get_by_role("option")).to_have_text("Maya (@Maya)")
    field.press("Enter")
    expect(field).to_have_value("Could you check the pay band? @Maya ")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".messages")).to_contain_text("Your comment is posted.")
    expect(page.locator(".comment-body").last).to_have_text("Could you check the pay band? @Maya")
    page.get_by_role("button", name="Sign out").click()

    # The manager sees the bell's count, opens the notification, lands on the comment and replies.
    sign_in(page, base, "maya@example.org")
    bell = page.locator("#notification-bell")
    expect(bell).to_contain_text("1 unread")
    bell.click()
    expect(h1).to_have_text("Notifications")
    page.get_by_role(
        "link", name="Pat mentioned you in a comment on the action “Agree a PSW role description with the team”"
    ).click()
    expect(h1).to_have_text(ACTION)
    assert "#comment-" in page.url
    expect(bell).not_to_contain_text("unread")
    page.get_by_label("Add a comment").fill("Done: it is band 4. @Pat")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment-body")).to_have_count(2)
    expect(page.locator(".comment-body").last).to_have_text("Done: it is band 4. @Pat")
    # Pat owns no such action here, so Pat hears of the reply as a mention.
    from peerplan.models import Notification

    assert Notification.objects.filter(recipient=planner, kind="mentioned").count() == 1


def test_an_owner_assigns_an_action_and_the_assignee_gets_one_email_and_one_notification(
    live_server, page, tracked_checklist, planner
):
    from datetime import date, timedelta

    from tests.factories import item_for

    base = live_server.url
    sign_in(page, base, "olive@example.org")
    # A new action on "Workload", due in a month (an overdue one would add an "overdue" notification).
    page.goto(f"{base}/app/items/{item_for(tracked_checklist, 'Workload').pk}/")
    page.get_by_role("link", name="Add your own action").click()
    page.get_by_label("Title").fill(NEW_ACTION)
    page.get_by_label("Owner (a member of this organisation)").select_option(label="Pat (pat@example.org)")
    page.get_by_label("Due date").fill((date.today() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Save action").click()
    expect(page.locator(".messages")).to_contain_text("The action is saved.")

    assert mail.outbox == []  # the page sent nothing; cron's run does
    call_command("send_notifications", verbosity=0)
    call_command("send_notifications", verbosity=0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pat@example.org"]
    assert mail.outbox[0].subject == f"PeerPlan: Olive assigned you an action: “{NEW_ACTION}”"
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "pat@example.org")
    expect(page.locator("#notification-bell")).to_contain_text("1 unread")
    page.locator("#notification-bell").click()
    expect(page.locator(".notification-list li")).to_have_count(1)
    expect(page.locator(".notification-list li")).to_contain_text(f"Olive assigned you an action: “{NEW_ACTION}”")


def test_a_file_is_attached_listed_downloaded_inert_and_refused_when_too_large_or_forbidden(
    live_server, page, tracked_checklist, planner, settings
):
    base = live_server.url
    sign_in(page, base, "pat@example.org")
    page.goto(f"{base}/app/mitigations/{action_pk()}/")
    files = page.locator("#attachments")

    page.get_by_label("Attach a file").set_input_files(
        {"name": "Job description.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Attach file").click()
    expect(page.locator(".messages")).to_contain_text("“Job description.pdf” is attached.")
    row = files.get_by_role("row", name="Job description.pdf")
    expect(row).to_contain_text("Pat")
    expect(row).to_contain_text("PDF")

    with page.expect_download() as download_info:
        files.get_by_role("link", name="Job description.pdf", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "Job description.pdf"
    assert open(download.path(), "rb").read() == PDF
    href = files.get_by_role("link", name="Job description.pdf", exact=True).get_attribute("href")
    response = page.request.get(base + href)
    assert response.headers["content-disposition"] == 'attachment; filename="Job description.pdf"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]

    # Dragged onto the form, a file is attached the same way.
    page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(["a,b\\n1,2\\n"], "budget.csv", {type: "text/csv"}));
            const form = document.querySelector("form[data-drop-zone]");
            form.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
        }"""
    )
    expect(page.locator(".messages")).to_contain_text("“budget.csv” is attached.")
    expect(files.get_by_role("row", name="budget.csv")).to_contain_text("CSV")

    # A page and a drawing with script are refused, and so is a file over the limit.
    page.get_by_label("Attach a file").set_input_files(
        {"name": "page.html", "mimeType": "text/html", "buffer": b"<script>alert(1)</script>"}
    )
    page.get_by_role("button", name="Attach file").click()
    expect(page.locator(".messages")).to_contain_text("“page.html” is not a type PeerPlan keeps.")
    settings.ATTACHMENT_MAX_BYTES = 1024
    page.get_by_label("Attach a file").set_input_files(
        {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": PDF + b"0" * 4096}
    )
    page.get_by_role("button", name="Attach file").click()
    expect(page.locator(".messages")).to_contain_text("files can be at most 1 KB")
    expect(files.locator("tbody tr")).to_have_count(2)
