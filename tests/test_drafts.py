"""One rule for drafts: a draft checklist's actions are not late, due or stuck anywhere, every page that
leaves drafts out says so in the same sentence, and a draft is made active from its own pages."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from peerplan.models import ChecklistStatus, Mitigation, MitigationStatus
from tests.api_helpers import call, token_for
from tests.factories import item_for, make_checklist, make_mitigation

TODAY = timezone.localdate()


def days(n):
    return TODAY + timedelta(days=n)


@pytest.fixture
def late_on_both(org_a, owner, planner):
    """Pat owns three late actions on the active plan and two on a draft (one of them blocked)."""
    active = make_checklist(org_a, "Community team", owner)
    draft = make_checklist(org_a, "Acute wards", owner, status=ChecklistStatus.DRAFT)
    for n, theme in enumerate(["Role ambiguity", "Workload", "Boundaries"], start=1):
        make_mitigation(item_for(active, theme), f"Active late {n}", owner=planner, due_date=days(-n))
    make_mitigation(item_for(draft, "Workload"), "Draft late", owner=planner, due_date=days(-2))
    make_mitigation(
        item_for(draft, "Boundaries"), "Draft stuck", MitigationStatus.BLOCKED, owner=planner, due_date=days(-4)
    )
    return {"active": active, "draft": draft}


DRAFT_SENTENCE = "1 draft checklist is not counted (Acute wards): make it active to track its actions."


def _words(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_a_drafts_late_actions_are_not_overdue_by_the_queryset_the_annotation_or_the_model(late_on_both):
    overdue = set(Mitigation.objects.overdue(TODAY).values_list("action", flat=True))
    annotated = {m.action for m in Mitigation.objects.with_overdue(TODAY) if m.overdue_now}
    in_memory = {m.action for m in Mitigation.objects.select_related("checklist") if m.is_overdue(TODAY)}
    assert overdue == annotated == in_memory == {"Active late 1", "Active late 2", "Active late 3"}
    assert set(Mitigation.objects.tracked().values_list("action", flat=True)) == overdue


def test_every_figure_counts_the_same_overdue_actions(client, late_on_both, org_a, planner):
    client.force_login(planner)
    dashboard = client.get("/app/orgs/northside/dashboard/").content.decode()
    assert re.search(r'id="overdue-count">3<', dashboard)
    assert re.search(r'id="blocked-count">0<', dashboard)
    assert DRAFT_SENTENCE in _words(dashboard)

    mine = client.get("/app/my-actions/")
    assert [a.action for a in mine.context["page"].object_list] == ["Active late 3", "Active late 2", "Active late 1"]
    mine_text = mine.content.decode()
    assert len(re.findall(r'class="status-tag status-tag-overdue[^"]*">Overdue<', mine_text)) == 3
    assert DRAFT_SENTENCE in _words(mine_text)

    call_command("send_reminders", f"--today={TODAY.isoformat()}", stdout=StringIO())
    [message] = [m for m in mail.outbox if m.to == [planner.email]]
    assert message.subject.startswith("PeerPlan: 3 overdue actions")
    assert "Draft late" not in message.body and "Draft stuck" not in message.body
    assert DRAFT_SENTENCE in message.body

    report = client.get(f"/app/checklists/{late_on_both['active'].pk}/report/").content.decode()
    assert report.count('<span class="status-tag status-tag-overdue">Overdue</span>') == 3
    assert DRAFT_SENTENCE in _words(report)

    secret = token_for(planner, org_a)
    figures = call(client, "GET", "/api/organisations/northside/dashboard/", secret).json()
    assert figures["overdue"]["count"] == 3
    assert figures["drafts_not_counted"] == [{"id": late_on_both["draft"].pk, "title": "Acute wards"}]
    listed = call(client, "GET", "/api/organisations/northside/mitigations/?view=overdue", secret).json()
    assert listed["count"] == 3
    # The API still lists a draft's actions when asked for its checklist, but never as overdue.
    of_draft = call(
        client, "GET", f"/api/organisations/northside/mitigations/?checklist={late_on_both['draft'].pk}", secret
    ).json()
    assert sorted((m["action"], m["is_overdue"]) for m in of_draft["results"]) == [
        ("Draft late", False),
        ("Draft stuck", False),
    ]


def test_overdue_notifications_are_made_for_the_active_plans_actions_only(late_on_both, planner):
    from peerplan.models import Notification
    from peerplan.notify import scan

    assert scan.record_scheduled(TODAY) == 3
    notified = Notification.objects.filter(recipient=planner).values_list("mitigation__action", flat=True)
    assert sorted(notified) == ["Active late 1", "Active late 2", "Active late 3"]


def test_in_the_demo_the_dashboard_my_actions_the_reminder_and_the_api_count_the_same_overdue_actions(client, db):
    from peerplan.models import Organisation
    from peerplan.notify import scan
    from peerplan.operations.demo import DEMO_DOMAIN, DEMO_PASSWORD, DEMO_SLUG

    call_command("seed_demo", stdout=StringIO())
    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    manager = organisation.memberships.get(role="manager").user
    late = Mitigation.objects.in_organisation(organisation).overdue(TODAY)
    # The demo's draft has late actions too: they are the ones no page may count.
    assert (
        Mitigation.objects.in_organisation(organisation)
        .filter(
            checklist__status=ChecklistStatus.DRAFT,
            status__in=["planned", "in_progress", "blocked"],
            due_date__lt=TODAY,
        )
        .exists()
    )
    client.post("/accounts/login/", {"login": f"manager@{DEMO_DOMAIN}", "password": DEMO_PASSWORD})
    dashboard = client.get(f"/app/orgs/{DEMO_SLUG}/dashboard/").content.decode()
    assert re.search(rf'id="overdue-count">{late.count()}<', dashboard)
    mine = client.get("/app/my-actions/").content.decode()
    my_late = sorted(late.filter(owner=manager).values_list("pk", flat=True))
    assert len(re.findall(r'class="status-tag status-tag-overdue[^"]*">Overdue<', mine)) == len(my_late) > 0
    [digest] = [d for d in scan.action_digests(TODAY, 7) if d.recipient == manager]
    assert sorted(a.pk for a in digest.overdue) == my_late
    secret = token_for(manager, organisation)
    api = call(client, "GET", f"/api/organisations/{DEMO_SLUG}/dashboard/", secret).json()
    assert api["overdue"]["count"] == late.count()


def test_a_drafts_report_lists_nothing_as_overdue_or_blocked(client, late_on_both, planner):
    client.force_login(planner)
    report = client.get(f"/app/checklists/{late_on_both['draft'].pk}/report/").content.decode()
    assert "Nothing overdue or blocked." in report


def test_the_dashboard_after_the_draft_is_made_active_counts_its_actions(client, late_on_both, owner):
    client.force_login(owner)
    draft = late_on_both["draft"]
    response = client.post(f"/app/checklists/{draft.pk}/activate/")
    assert response.status_code == 302 and response.url == f"/app/checklists/{draft.pk}/"
    draft.refresh_from_db()
    assert draft.status == ChecklistStatus.ACTIVE
    dashboard = client.get("/app/orgs/northside/dashboard/").content.decode()
    assert re.search(r'id="overdue-count">5<', dashboard)
    assert "draft checklist" not in dashboard


def test_the_review_summary_of_a_draft_offers_to_make_it_active(client, late_on_both, planner):
    client.force_login(planner)
    draft = late_on_both["draft"]
    page = client.get(f"/app/checklists/{draft.pk}/review/summary/").content.decode()
    assert "This checklist is a draft" in page
    assert f'action="/app/checklists/{draft.pk}/activate/"' in page
    assert "Make this checklist active</button>" in page
    active = client.get(f"/app/checklists/{late_on_both['active'].pk}/review/summary/").content.decode()
    assert "Make this checklist active" not in active


def test_a_viewer_is_told_what_draft_means_but_cannot_make_it_active(client, late_on_both, viewer):
    client.force_login(viewer)
    draft = late_on_both["draft"]
    page = client.get(f"/app/checklists/{draft.pk}/review/summary/").content.decode()
    assert "This checklist is a draft" in page and "Make this checklist active" not in page
    assert client.post(f"/app/checklists/{draft.pk}/activate/").status_code == 403
    draft.refresh_from_db()
    assert draft.status == ChecklistStatus.DRAFT


def test_an_outsider_cannot_make_a_draft_active(client, late_on_both, outsider):
    client.force_login(outsider)
    draft = late_on_both["draft"]
    assert client.post(f"/app/checklists/{draft.pk}/activate/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == ChecklistStatus.DRAFT


def test_the_checklist_page_says_what_draft_means_until_it_is_active(client, late_on_both, owner):
    client.force_login(owner)
    draft = late_on_both["draft"]
    page = _words(client.get(f"/app/checklists/{draft.pk}/").content.decode())
    assert "This checklist is a draft Its actions are not tracked yet" in page
    client.post(f"/app/checklists/{draft.pk}/activate/")
    assert "This checklist is a draft" not in client.get(f"/app/checklists/{draft.pk}/").content.decode()
