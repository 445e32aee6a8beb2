"""Small things that add up (issue 14): each one what a person sees, through the client."""

import re

import pytest

from evidence import cache
from evidence.models import Perspective, Reference, Theme
from peerplan.models import Checklist, ChecklistStatus
from tests.factories import item_for, make_checklist, make_mitigation

TIME_DATETIME = re.compile(r'<time datetime="([^"]+)"')


def test_the_home_page_offers_to_create_an_account(client, db):
    text = client.get("/").content.decode()
    assert '<a class="btn btn-outline-primary" href="/accounts/signup/">Create an account</a>' in text
    assert '<a class="btn btn-outline-primary" href="/accounts/login/">Sign in</a>' in text


@pytest.mark.parametrize("url", ["/", "/evidence/", "/evidence/themes/workload/", "/accounts/login/"])
def test_public_pages_have_a_favicon_and_a_description(client, db, url):
    text = client.get(url).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in text
    description = re.search(r'<meta name="description" content="([^"]+)">', text).group(1)
    assert len(description) > 50


def test_a_theme_page_describes_that_theme(client, db):
    text = client.get("/evidence/themes/workload/").content.decode()
    assert '<meta name="description" content="Workload: the benefits and challenges' in text


def test_the_organisation_page_says_the_role_in_plain_words(client, owner):
    client.force_login(owner)
    assert "Your role here: owner." in client.get("/app/orgs/northside/").content.decode()


def test_an_invalid_new_checklist_form_answers_400_and_keeps_what_was_typed(client, planner):
    client.force_login(planner)
    response = client.post(
        "/app/orgs/northside/checklists/new/",
        {"title": "", "service": "Community team", "status": "draft", "review_date": "next spring"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'value="Community team"' in text
    # A type="date" box cannot hold "next spring": it becomes a text box that keeps it, with the error.
    assert re.search(r'<input type="text" name="review_date" value="next spring"[^>]*aria-invalid="true"', text)
    assert not Checklist.objects.exists()


def test_an_invalid_checklist_edit_answers_400_and_keeps_the_typed_date(client, planner, org_a):
    checklist = make_checklist(org_a, "Community team", planner)
    client.force_login(planner)
    response = client.post(
        f"/app/checklists/{checklist.pk}/edit/",
        {"title": "Community team", "status": "active", "review_date": "31/02/2027"},
    )
    assert response.status_code == 400
    assert re.search(r'<input type="text" name="review_date" value="31/02/2027"', response.content.decode())
    # A valid date stays a date picker.
    response = client.get(f"/app/checklists/{checklist.pk}/edit/")
    assert '<input type="date" name="review_date"' in response.content.decode()


def test_the_in_place_due_date_keeps_an_invalid_typed_value_in_a_text_box(client, planner, org_a):
    checklist = make_checklist(org_a, "Community team", planner)
    action = make_mitigation(item_for(checklist, "Workload"), "Cap caseloads")
    client.force_login(planner)
    response = client.post(
        f"/app/mitigations/{action.pk}/quick/",
        {"status": "planned", "owner": "", "due_date": "tomorrow", "version": action.version, "next": "/"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert re.search(
        r'<input class="[^"]*quick-due" type="text" name="due_date"[^>]*value="tomorrow"', response.content.decode()
    )
    action.refresh_from_db()
    assert action.due_date is None


def test_the_only_owner_is_not_offered_to_change_or_remove_themselves(client, owner, manager, org_a):
    client.force_login(owner)
    text = client.get("/app/orgs/northside/members/").content.decode()
    own = re.search(r'<tr>\s*<td data-label="Name">Olive[^<]*\(you\)</td>.*?</tr>', text, re.S).group(0)
    assert "Change role" not in own and "Remove" not in own
    assert "The only owner: make another member an owner before changing this role." in own
    # Others can still be changed.
    assert f"/app/orgs/northside/members/{manager.memberships.get().pk}/remove/" in text
    # With a second owner, each owner can be changed again.
    manager_membership = manager.memberships.get()
    manager_membership.role = "owner"
    manager_membership.save()
    text = client.get("/app/orgs/northside/members/").content.decode()
    own = re.search(r'<tr>\s*<td data-label="Name">Olive[^<]*\(you\)</td>.*?</tr>', text, re.S).group(0)
    assert "Change role" in own


def test_times_carry_whole_seconds_as_the_html_standard_allows(client, planner, org_a):
    checklist = make_checklist(org_a, "Community team", planner)
    make_mitigation(item_for(checklist, "Workload"), "Cap caseloads")
    client.force_login(planner)
    text = client.get(f"/app/checklists/{checklist.pk}/history/").content.decode()
    values = TIME_DATETIME.findall(text)
    assert values
    for value in values:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", value), value


def test_the_item_page_asks_its_question_once(client, planner, org_a):
    checklist = make_checklist(org_a, "Community team", planner, status=ChecklistStatus.DRAFT)
    item = item_for(checklist, "Workload")
    client.force_login(planner)
    text = client.get(f"/app/items/{item.pk}/").content.decode()
    assert text.count("apply to your service?") == 1
    assert '<h2 id="decision-heading">Your decision</h2>' in text


def test_the_evidence_index_gives_each_theme_a_gist(client, db):
    text = client.get("/evidence/").content.decode()
    first = Perspective.objects.filter(finding__theme__name="Workload").order_by("finding__position", "position")[0]
    words = " ".join(first.summary.split()).split(" ")[:5]
    gist = re.search(
        r'<a href="/evidence/themes/workload/">Workload</a></h3>\s*<p class="theme-gist">([^<]+)</p>', text
    )
    assert gist.group(1).startswith(" ".join(words))
    assert text.count('class="theme-gist"') == 20


def test_a_curators_short_description_replaces_the_gist_on_the_evidence_index(client, db):
    Theme.objects.filter(name="Workload").update(short_description="Too much to do in too little time.")
    cache.bump()
    text = client.get("/evidence/").content.decode()
    assert re.search(
        r'<a href="/evidence/themes/workload/">Workload</a></h3>\s*'
        r'<p class="theme-gist">Too much to do in too little time.</p>',
        text,
    )


def test_the_searched_words_are_highlighted_in_matching_summaries(client, db):
    text = client.get("/evidence/?q=caseload").content.decode()
    assert re.search(r"<mark>[Cc]aseloads?</mark>", text) or "<mark>caseload</mark>" in text
    assert "<mark>" not in client.get("/evidence/").content.decode()


def test_the_admin_names_the_site_and_shows_references_with_citations(client, curator):
    Reference.objects.filter(number=64).update(citation="Example A. A review of peer roles. 2020.")
    client.force_login(curator)
    text = client.get("/admin/").content.decode()
    assert "PeerPlan · curation" in text and "Django administration" not in text
    mixed = Perspective.objects.filter(group="Mixed").exclude(stakeholders=[]).select_related("finding")[0]
    text = client.get(f"/admin/evidence/perspective/{mixed.pk}/change/").content.decode()
    assert "[64] Example A. A review of peer roles. 2020." in text
    assert "(citation not yet added)" in text
    # Stakeholders as checkboxes: the names this perspective has (ticked) and the known groups.
    for name in mixed.stakeholders:
        assert re.search(rf'<input type="checkbox" name="stakeholders" value="{re.escape(name)}"[^>]*checked', text)
    assert 'value="Service users"' in text or "service users" in [n.lower() for n in mixed.stakeholders]
    assert '<textarea name="stakeholders"' not in text


def test_the_admin_saves_stakeholders_ticked_as_checkboxes(client, curator):
    client.force_login(curator)
    mixed = Perspective.objects.filter(group="Mixed").exclude(stakeholders=[])[0]
    names = list(mixed.stakeholders)
    data = {
        "finding": mixed.finding_id,
        "position": mixed.position,
        "group": mixed.group,
        "references": [r.pk for r in mixed.references.all()],
        "summary": mixed.summary,
        "stakeholders": names[:-1],
        # Naming fewer stakeholders changes what the finding publishes.
        "change_kind": "major",
        "change_note": "One stakeholder group is no longer named.",
    }
    response = client.post(f"/admin/evidence/perspective/{mixed.pk}/change/", data)
    assert response.status_code == 302
    mixed.refresh_from_db()
    assert mixed.stakeholders == names[:-1]


def test_an_email_link_keeps_its_query_and_the_place_on_the_page(settings):
    from peerplan.lib.links import site_link

    settings.SITE_URL = "https://peerplan.example.org"
    assert site_link("http://10.0.0.5:8000/app/mitigations/1/?tab=files#comment-7") == (
        "https://peerplan.example.org/app/mitigations/1/?tab=files#comment-7"
    )
