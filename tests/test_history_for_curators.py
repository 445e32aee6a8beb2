"""History for people (issue 28, point 7): releases listed and recorded by source and version, a reason with
every evidence save, texts compared word by word in full, no change shown that nobody made, and no link to a
page the reader cannot open."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.interchange import import_evidence
from evidence.models import Finding, Perspective, Release, Theme
from tests.factories import make_user
from tests.test_evidence_admin import perspective_form
from tests.worlds import framework, version_2

FRAMEWORK = "Example framework (test fixture)"
NOTE = "The barrier now names the peer lead."


def upload(client, data, name):
    body = json.dumps(data).encode()
    client.post("/admin/evidence/source/import/", {"release": SimpleUploadedFile(name, body)})
    return Release.objects.get(file_name=name)


@pytest.fixture
def released(client, curator):
    """The framework at version 1, then version 2 uploaded and applied by Cora, and version 3 uploaded."""
    import_evidence(framework())
    client.force_login(curator)
    release = upload(client, version_2(), "framework-v2.json")
    client.post(f"/admin/evidence/source/import/{release.pk}/", {"change_note": NOTE})
    upload(client, framework(version=3), "framework-v3.json")
    return release


def rows(page):
    return re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.S)


def test_the_list_of_releases_says_source_version_file_who_and_whether_applied(client, released):
    page = client.get("/admin/evidence/release/").content.decode()
    v3, v2 = [row for row in rows(page) if ".json" in row]  # newest first
    assert f"{FRAMEWORK} version 2" in v2 and "framework-v2.json" in v2 and "Applied" in v2
    assert v2.count("Cora") == 2  # uploaded by, applied by
    assert NOTE in v2  # the change note planners read on the items it flagged
    assert f"{FRAMEWORK} version 3" in v3 and "Not yet applied" in v3 and "None given" in v3
    # The file opens its preview, which applies it or says when it was applied.
    assert f'href="/admin/evidence/source/import/{released.pk}/"' in v2
    assert "was applied on" in client.get(f"/admin/evidence/source/import/{released.pk}/").content.decode()


def test_the_list_of_releases_is_for_curators_only(client, released, planner):
    staff = make_user("sid", "Sid")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/evidence/release/").status_code == 403
    assert "/admin/evidence/release/" not in client.get("/admin/").content.decode()


def test_a_releases_writes_are_recorded_as_that_release_by_source_name_and_version(client, released):
    reason = f"Release: {FRAMEWORK} version 2"
    written = [
        record
        for model in (Finding, Perspective, Theme)
        for record in model.history.filter(history_date__gte=released.uploaded_at)
    ]
    assert written and {record.history_change_reason for record in written} == {reason}
    theme = version_2()["sources"][0]["categories"][0]["themes"][0]["name"]
    finding = Finding.objects.get(
        theme__name=theme, theme__category__source__slug="example-framework", valence="barrier"
    )
    page = client.get(f"/admin/evidence/finding/{finding.pk}/history/").content.decode()
    assert f'<td class="history-reason" data-label="Reason">{reason}</td>' in page
    assert "None" not in re.sub(r"<[^>]+>", "", page[page.index("change-history") :])


def test_a_reason_given_with_a_save_is_kept_and_shown_in_the_history(client, curator):
    perspective = Perspective.objects.filter(finding__theme__name="Workload").first()
    client.force_login(curator)
    form = client.get(f"/admin/evidence/perspective/{perspective.pk}/change/").content.decode()
    assert '<label for="id_change_reason">Reason for this change:</label>' in form
    client.post(
        f"/admin/evidence/perspective/{perspective.pk}/change/",
        perspective_form(
            perspective,
            summary=perspective.summary + " Corrected.",
            change_reason="Missing full stop",
            change_kind="minor",
        ),
    )
    # The kind of change and the curator's own reason, both.
    assert perspective.history.latest().history_change_reason == "Minor change; Missing full stop"
    page = client.get(f"/admin/evidence/perspective/{perspective.pk}/history/").content.decode()
    assert '<td class="history-reason" data-label="Reason">Minor change; Missing full stop</td>' in page


def test_a_reason_given_on_a_theme_is_kept_on_the_findings_saved_with_it(client, curator):
    theme = Theme.objects.get(name="Treatment models")
    finding = theme.findings.get()
    client.force_login(curator)
    data = {
        "category": theme.category_id,
        "name": theme.name,
        "slug": theme.slug,
        "position": theme.position,
        "change_reason": "Findings reordered",
        "findings-TOTAL_FORMS": "1",
        "findings-INITIAL_FORMS": "1",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "1000",
        "findings-0-id": finding.pk,
        "findings-0-theme": theme.pk,
        "findings-0-position": "2",
        "findings-0-valence": "challenge",
        "findings-0-references": [r.pk for r in finding.references.all()],
    }
    assert client.post(f"/admin/evidence/theme/{theme.pk}/change/", data).status_code == 302
    assert finding.history.latest().history_change_reason == "Findings reordered"


def test_the_history_shows_a_changed_text_whole_word_by_word(client, curator):
    perspective = Perspective.objects.filter(finding__theme__name="Workload").first()
    old = perspective.summary
    new = old.replace(" ", "  ", 0) + " Corrected at last."
    client.force_login(curator)
    client.post(
        f"/admin/evidence/perspective/{perspective.pk}/change/",
        perspective_form(perspective, summary=new, change_kind="minor"),
    )
    page = client.get(f"/admin/evidence/perspective/{perspective.pk}/history/").content.decode()
    changes = page[page.index('class="history-changes"') :]
    assert "<ins> Corrected at last.</ins>" in changes or "<ins>Corrected at last.</ins>" in changes
    assert old.split()[-1] in changes and old.split()[0] in changes  # the whole text, not "the r[229 chars]…"
    assert "chars]" not in changes


def test_the_first_edit_of_a_finding_shows_no_change_of_references_nobody_made(client, curator):
    finding = Finding.objects.get(theme__name="Treatment models")
    client.force_login(curator)
    response = client.post(
        f"/admin/evidence/finding/{finding.pk}/change/",
        {
            "theme": finding.theme_id,
            "position": "2",
            "valence": "challenge",
            "references": [r.pk for r in finding.references.all()],
            "perspectives-TOTAL_FORMS": "0",
            "perspectives-INITIAL_FORMS": "0",
            "perspectives-MIN_NUM_FORMS": "0",
            "perspectives-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    first, edited = finding.history.order_by("history_date", "history_id")[:2]
    assert [change.field for change in edited.diff_against(first).changes] == ["position"]
    page = client.get(f"/admin/evidence/finding/{finding.pk}/history/").content.decode()
    assert "References:" not in page and "Position:" in page
    perspective = finding.perspectives.first()
    loaded = perspective.history.earliest()
    assert sorted(loaded.references.values_list("reference__number", flat=True)) == perspective.reference_numbers()


def test_a_name_in_the_history_links_to_the_user_page_only_for_someone_who_may_open_it(client, curator, admin_user):
    theme = Theme.objects.get(name="Workload")
    theme.short_description = "Too much to do."
    theme._history_user = curator
    theme.save()
    url = f"/admin/evidence/theme/{theme.pk}/history/"
    client.force_login(curator)
    page = client.get(url).content.decode()
    assert "Cora" in page and "/admin/auth/user/" not in page
    client.force_login(admin_user)
    assert f'href="/admin/auth/user/{curator.pk}/change/"' in client.get(url).content.decode()


def test_going_back_to_an_earlier_version_says_so_in_the_history(client, curator):
    from evidence.models import Reference

    reference = Reference.objects.get(source__slug="cooper-2024-table-6", number=23)
    loaded = reference.history.earliest()
    client.force_login(curator)
    data = {"source": reference.source_id, "number": 23, "citation": "A wrong citation."}
    assert client.post(f"/admin/evidence/reference/{reference.pk}/change/", data).status_code == 302
    data["citation"] = loaded.citation
    response = client.post(f"/admin/evidence/reference/{reference.pk}/history/{loaded.history_id}/", data)
    assert response.status_code == 302
    assert reference.history.latest().history_change_reason.startswith("Reverted to the version of ")


def test_a_suggested_actions_history_names_the_curator_without_a_link_they_cannot_open(client, curator):
    from peerplan.models import SuggestedMitigation

    suggestion = SuggestedMitigation.objects.first()
    suggestion.save()  # a first version to compare with (the library was loaded without history)
    suggestion.description += " Reworded."
    suggestion._history_user = curator
    suggestion.save()
    client.force_login(curator)
    page = client.get(f"/admin/peerplan/suggestedmitigation/{suggestion.pk}/history/").content.decode()
    assert "Cora" in page and "/admin/auth/user/" not in page
    assert "<ins>Reworded.</ins>" in page or "<ins> Reworded.</ins>" in page
