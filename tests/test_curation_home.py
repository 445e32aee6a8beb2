"""Where curators start (issue 28, point 9): the curation home they land on after signing in, what it counts
(never which organisations), the admin's index in the order a researcher reads the evidence, and a site
administrator made with createsuperuser signing in without an emailed link."""

import json
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from evidence.interchange import import_evidence
from evidence.models import Perspective, Theme
from peerplan.models import Checklist, Membership, Role, SuggestedMitigation
from peerplan.operations.checklists import create_checklist_from_evidence
from tests.factories import PASSWORD, make_user
from tests.test_evidence_admin import perspective_form
from tests.worlds import framework, version_2

HOME = "/app/curation/"


def sign_in(client, user):
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, follow=True)


def test_a_curator_lands_on_the_curation_home_after_signing_in(client, curator):
    response = sign_in(client, curator)
    assert response.redirect_chain[-1][0] == HOME
    page = response.content.decode()
    assert "<h1>Curation home</h1>" in page
    assert "Create an organisation" not in page
    assert 'href="/admin/evidence/source/import/"' in page  # Import a release
    assert 'href="/admin/evidence/source/download/"' in page  # Download the current version
    assert 'href="/admin/evidence/release/"' in page


def test_a_curator_who_also_plans_lands_on_their_organisations_with_the_curation_home_first(client, curator, org_a):
    Membership.objects.create(organisation=org_a, user=curator, role=Role.PLANNER)
    response = sign_in(client, curator)
    assert response.redirect_chain[-1][0] == "/app/"
    page = response.content.decode()
    assert org_a.name in page
    assert page.index(f'href="{HOME}"') < page.index(org_a.name)


def test_someone_who_does_not_curate_still_lands_on_their_organisations(client, owner):
    response = sign_in(client, owner)
    assert response.redirect_chain[-1][0] == "/app/"
    assert f'href="{HOME}"' not in response.content.decode()


def test_the_home_shows_each_published_source_with_its_version_and_releases(client, curator, org_a):
    import_evidence(framework())
    client.force_login(curator)
    for name, data in (("framework-v2.json", version_2()), ("framework-v3.json", framework(version=3))):
        body = json.dumps(data).encode()
        client.post("/admin/evidence/source/import/", {"release": SimpleUploadedFile(name, body)})
    applied = client.get("/admin/evidence/release/?applied=no").content.decode()
    assert "framework-v2.json" in applied
    first = re.search(r'href="/admin/evidence/source/import/(\d+)/">framework-v2.json', applied).group(1)
    client.post(f"/admin/evidence/source/import/{first}/", {"change_note": "The barrier names the peer lead."})
    page = client.get(HOME).content.decode()
    framework_part = page[page.index("Example framework (test fixture)") :]
    assert "Version 2, released" in framework_part
    waiting = framework_part[framework_part.index("Uploaded, not yet applied") : framework_part.index("Applied:")]
    assert "framework-v3.json</a> (version 3)" in waiting
    assert "Version 2: " in framework_part and "framework-v2.json</a>, applied" in framework_part
    assert "Cooper et al. 2024, Table 6" in page and "Version 1" in page


def test_the_home_counts_the_checklists_and_organisations_asked_to_look_again_never_naming_them(
    client, curator, org_a, org_b, owner, outsider
):
    for organisation, by in ((org_a, owner), (org_a, owner), (org_b, outsider)):
        create_checklist_from_evidence(organisation=organisation, title="Zephyr plan", by=by, status="active")
    archived = create_checklist_from_evidence(organisation=org_b, title="Old plan", by=outsider, status="archived")
    client.force_login(curator)
    assert "None: no checklist has an item of this source waiting" in client.get(HOME).content.decode()
    perspective = Perspective.objects.filter(finding__theme__name="Workload").first()
    client.post(
        f"/admin/evidence/perspective/{perspective.pk}/change/",
        perspective_form(
            perspective,
            summary=perspective.summary + " Corrected.",
            change_kind="major",
            change_note="The sample now ends with a correction.",
        ),
    )
    page = client.get(HOME).content.decode()
    assert "3 checklists in 2 organisations have items marked “Needs a fresh look”" in page
    assert org_a.name not in page and org_b.name not in page and "Zephyr" not in page
    assert Checklist.objects.get(pk=archived.pk).status == "archived"  # asked nothing of anyone, so not counted


def test_the_home_lists_what_curators_changed_since_the_last_release_with_who_and_why(client, curator):
    theme = Theme.objects.get(name="Workload")
    client.force_login(curator)
    assert "<p>Nothing.</p>" in client.get(HOME).content.decode()
    perspective = theme.findings.first().perspectives.first()
    client.post(
        f"/admin/evidence/perspective/{perspective.pk}/change/",
        perspective_form(
            perspective,
            summary=perspective.summary + " Corrected.",
            change_reason="Typo in the table",
            change_kind="minor",
        ),
    )
    page = client.get(HOME).content.decode()
    edits = page[page.index('class="curation-edits"') :]
    assert f"Sample 1 of “Workload: {perspective.finding.valence}”</a>: by Cora" in edits
    assert "“Minor change; Typo in the table”" in edits
    assert f'href="/admin/evidence/perspective/{perspective.pk}/history/"' in edits


def test_the_home_lists_the_suggested_actions_waiting_for_review(client, curator):
    draft = SuggestedMitigation.objects.create(
        title="Draft: a buddy for each new PSW", provenance="curator", is_published=False
    )
    client.force_login(curator)
    page = client.get(HOME).content.decode()
    drafts = page[page.index("Suggested actions waiting for review") :]
    assert (
        f'<a href="/admin/peerplan/suggestedmitigation/{draft.pk}/change/">Draft: a buddy for each new PSW</a>'
        in drafts
    )
    published = SuggestedMitigation.objects.filter(is_published=True).first()
    assert published.title not in drafts


# The admin's index -----------------------------------------------------------------------------------------


def test_the_admin_index_reads_source_to_reference_then_suggested_actions_and_releases(client, curator):
    client.force_login(curator)
    page = client.get("/admin/").content.decode()
    start, lists = page.index("Start here"), page.index('id="content-main"')
    main = page[lists:]
    order = [
        "/admin/evidence/source/",
        "/admin/evidence/category/",
        "/admin/evidence/theme/",
        "/admin/evidence/finding/",
        "/admin/evidence/perspective/",
        "/admin/evidence/reference/",
        "/admin/peerplan/suggestedmitigation/",
        "/admin/evidence/release/",
    ]
    positions = [main.index(f'<a href="{url}"') for url in order]
    assert positions == sorted(positions)
    assert start < page.index('href="/admin/evidence/source/import/"') < lists  # Import a release, up front
    assert f'<a href="{HOME}">Curation home</a> /' in page[: page.index("Start here")]  # in the header


def test_the_admin_header_does_not_offer_the_curation_home_to_staff_who_do_not_curate(client, db):
    staff = make_user("sid", "Sid")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert f'href="{HOME}"' not in client.get("/admin/").content.decode()
    assert client.get(HOME).status_code == 404


# A site administrator made with createsuperuser ---------------------------------------------------------


@pytest.fixture
def superuser_password(monkeypatch):
    monkeypatch.setitem(os.environ, "DJANGO_SUPERUSER_PASSWORD", "a-long-admin-passphrase-42")
    return "a-long-admin-passphrase-42"


def test_a_site_administrator_made_with_createsuperuser_signs_in_without_an_emailed_link(
    client, db, superuser_password, mailoutbox
):
    call_command("createsuperuser", interactive=False, username="root", email="admin@example.org", verbosity=0)
    response = client.post(
        "/accounts/login/", {"login": "admin@example.org", "password": superuser_password}, follow=True
    )
    assert response.redirect_chain[-1][0] == HOME  # a site administrator curates too
    assert response.wsgi_request.user.is_authenticated
    assert not mailoutbox


def test_an_account_made_in_the_admin_still_confirms_its_email_at_first_sign_in(client, db, mailoutbox):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="new", email="new@example.org", password=PASSWORD)
    response = client.post("/accounts/login/", {"login": "new@example.org", "password": PASSWORD}, follow=True)
    assert not response.wsgi_request.user.is_authenticated
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("scale", [1, 10])
def test_the_home_reads_in_a_fixed_number_of_queries_whatever_the_releases_edits_and_checklists(
    django_assert_num_queries, curator, org_a, owner, scale
):
    from evidence.models import Release
    from peerplan.pages.curation import curation_home

    import_evidence(framework())
    for n in range(scale):
        create_checklist_from_evidence(organisation=org_a, title=f"Plan {n}", by=owner, status="active")
        Release.objects.create(file_name=f"v{n}.json", data=framework(version=n + 2), uploaded_by=curator)
        for perspective in Perspective.objects.filter(finding__theme__name="Workload")[:1]:
            perspective.summary += " Again."
            perspective._history_user = curator
            perspective.save()
        SuggestedMitigation.objects.create(title=f"Draft {n}", provenance="curator", is_published=False)
    # The sources (1), the recent releases with who uploaded and applied them (1), the flagged counts (1), the
    # drafts (1), and for each of the two sources its last release (1) and its six kinds of rows' history (6).
    with django_assert_num_queries(4 + 2 * 7):
        home = curation_home()
    assert len(home["drafts"]) == scale and home["sources"][1].waiting
