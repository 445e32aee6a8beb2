"""Releases from the browser (issue 28): a curator downloads the current evidence from the admin, uploads
a release and is told what is wrong in words a researcher uses, and previews the texts it adds, changes and
retires, with a warning for every admin edit the file would undo. The second source is the invented test
fixture (tests/fixtures/example_framework.json), never real evidence."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils.timezone import localtime

from evidence.interchange import import_evidence
from evidence.models import Finding, Perspective, Reference, Release, Source
from peerplan.operations.checklists import create_checklist_from_evidence
from tests.factories import finding_admin_form, make_own_source, make_user
from tests.worlds import framework, new_source, version_2

SECRET = "Fixture text: night shifts left PSWs without anyone to debrief with."


@pytest.fixture
def survey(org_a):
    """An organisation's own source, which must never reach a curator's download."""
    return make_own_source(org_a, summary=SECRET, theme="Debrief", title="Northside staff survey", heading="Topic")


@pytest.fixture
def loaded(db):
    import_evidence(framework())
    return Source.objects.get(slug="example-framework")


def exported(*args):
    out = StringIO()
    call_command("export_evidence", *args, stdout=out)
    return out.getvalue()


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


# Download the current version -------------------------------------------------------------------------


def test_the_sources_list_offers_the_current_version_of_each_published_source_and_of_all(
    client, loaded, survey, curator
):
    client.force_login(curator)
    text = client.get("/admin/evidence/source/").content.decode()
    assert f'href="/admin/evidence/source/{loaded.pk}/download/"' in text
    assert "Download the current version of Example framework (test fixture)" in text
    assert 'href="/admin/evidence/source/download/"' in text
    assert "Download the current version of all published sources" in text
    assert f"/admin/evidence/source/{survey.pk}/download/" not in text
    assert "Staff survey 2026" not in text


def test_the_download_of_all_is_the_file_export_evidence_writes(client, loaded, survey, curator):
    client.force_login(curator)
    response = client.get("/admin/evidence/source/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="peerplan-evidence-')
    assert body(response).decode("utf-8") == exported()
    data = json.loads(body(response))
    assert data["format"] == "peerplan-evidence/2"
    assert [s["id"] for s in data["sources"]] == ["cooper-2024-table-6", "example-framework"]
    assert SECRET not in body(response).decode("utf-8")


def test_one_sources_download_is_that_source_as_export_evidence_writes_it(client, loaded, curator):
    client.force_login(curator)
    response = client.get(f"/admin/evidence/source/{loaded.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="example-framework-version-1.json"'
    assert body(response).decode("utf-8") == exported("--source", "example-framework")


def test_an_organisations_own_source_cannot_be_downloaded_by_a_curator(client, survey, curator):
    client.force_login(curator)
    assert client.get(f"/admin/evidence/source/{survey.pk}/download/").status_code == 404
    assert SECRET not in body(client.get("/admin/evidence/source/download/")).decode("utf-8")


def test_people_without_the_view_permission_cannot_download(client, loaded, planner):
    client.force_login(planner)  # not staff: the admin's sign-in page
    for url in ("/admin/evidence/source/download/", f"/admin/evidence/source/{loaded.pk}/download/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.logout()
    assert client.get("/admin/evidence/source/download/")["Location"].startswith("/admin/login/")

    staff = make_user("stan", "Stan")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)  # staff, but not a curator: no view permission on sources
    assert client.get("/admin/evidence/source/download/").status_code == 403
    assert client.get(f"/admin/evidence/source/{loaded.pk}/download/").status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_source"))
    client.force_login(staff)
    assert client.get("/admin/evidence/source/download/").status_code == 200


def test_the_download_cannot_be_posted_to(client, loaded, curator):
    client.force_login(curator)
    assert client.post("/admin/evidence/source/download/").status_code == 405


def test_curators_may_view_sources(db):
    assert Group.objects.get(name="Curators").permissions.filter(codename="view_source").exists()


# A refused file says where in words, with the allowed values -------------------------------------------


def upload(client, data, name="framework-v2.json"):
    body = data if isinstance(data, bytes) else json.dumps(data, indent=2).encode()
    return client.post("/admin/evidence/source/import/", {"release": SimpleUploadedFile(name, body)})


def _samples(d, theme=0, finding=0):
    return d["sources"][0]["categories"][0]["themes"][theme]["findings"][finding]["samples"]


def _unterminated(d):
    text = json.dumps(d, indent=2)
    return text[: text.index("Fixture text: a named peer lead")]  # the summary's closing quote is missing


BROKEN = {
    "not JSON": (
        _unterminated,
        ["not JSON: Unterminated string starting at line 67, column 34", "missing or extra comma, quotation mark"],
    ),
    "unknown group": (
        lambda d: _samples(d)[0].update(group="Carers"),
        [
            "Example framework (test fixture) › theme “Supervision by a peer lead” › finding 1 (barrier) › sample 1"
            " › group, at sources[0].categories[0].themes[0].findings[0].samples[0].group: unknown group &#x27;Carers"
            "&#x27;: use one of PSWs, Service users, Non-peer staff, Peer support group members, Mental health "
            "organisations, Mixed",
        ],
    ),
    "unknown kind": (
        lambda d: d["sources"][0]["categories"][0]["themes"][1]["findings"][0].update(kind="obstacle"),
        [
            "Example framework (test fixture) › theme “Protected time for reflection” › finding 1 › kind, at "
            "sources[0].categories[0].themes[1].findings[0].kind: unknown kind &#x27;obstacle&#x27;: use one of "
            "benefit, challenge, facilitator, barrier, or null for no kind",
        ],
    ),
    "a reference not listed": (
        lambda d: _samples(d, finding=1)[0].update(references=[2, 7]),
        [
            "Example framework (test fixture) › references, at sources[0].references: numbers used but not listed:"
            " [7] (cited by a finding or sample but not in the source&#x27;s list of references",
        ],
    ),
    "an empty summary": (
        lambda d: _samples(d, finding=1)[0].update(summary="  "),
        [
            "Example framework (test fixture) › theme “Supervision by a peer lead” › finding 2 (facilitator) › "
            "sample 1 › summary, at sources[0].categories[0].themes[0].findings[1].samples[0].summary: is required"
            " text",
        ],
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_is_refused_in_words_a_researcher_uses(client, loaded, curator, case):
    edit, expected = BROKEN[case]
    data = framework(version=2)
    made = edit(data)
    client.force_login(curator)
    response = upload(client, made.encode() if isinstance(made, str) else data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "The file cannot be imported." in text
    for words in expected:
        assert words in text
    assert "framework-v2.json: " in text and "nothing was imported." in text
    assert "at at" not in text
    assert not Release.objects.exists()
    assert Source.objects.get(slug="example-framework").version == 1


# The preview shows the texts ---------------------------------------------------------------------------


@pytest.fixture
def plans(loaded, org_a, owner):
    return create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=owner, status="active")


def preview(client, data, name="framework-v2.json"):
    response = upload(client, data, name)
    assert response.status_code == 302, response.content.decode()[-2000:]
    return client.get(response["Location"]).content.decode()


def test_the_preview_shows_each_added_changed_and_retired_findings_text(client, plans, curator):
    data = version_2()
    facilitator = data["sources"][0]["categories"][0]["themes"][0]["findings"][1]["samples"][0]
    facilitator["summary"] = facilitator["summary"].replace("monthly", "every week")
    client.force_login(curator)
    text = preview(client, data)

    # Changed: every word kept, the removed ones struck and the new ones marked, so no colour is needed.
    assert "Removed words are struck through, added words underlined." in text
    assert "Fixture text: no peer lead was available to supervise.<ins> Revised.</ins>" in text
    assert "Fixture text: a named peer lead met each worker <del>monthly.</del><ins>every week.</ins>" in text
    assert "<h4>Supervision by a peer lead: facilitator</h4>" in text
    # Added and retired: their whole text, with the sample's group.
    assert "<h4>Peer career pathway: barrier</h4>" in text
    assert "Sample 1 (PSWs):" in text
    assert "Fixture text: no route to promotion." in text
    assert "Fixture text: a senior peer post." in text
    assert "<h4>Protected time for reflection: barrier</h4>" in text
    assert "Fixture text: rotas left no time for reflective practice." in text
    assert "Sample 1 (Non-peer staff):" in text
    # The checklists it touches, in counts per organisation as before.
    # (Its items on the changed barrier and facilitator and on the retired barrier.)
    assert "<td>Northside Mental Health Service</td><td>1</td><td>3</td>" in text
    assert "Ward 4" not in text
    assert "This file would undo" not in text
    assert Source.objects.get(slug="example-framework").version == 1


def test_the_preview_of_a_changed_reference_list_shows_both(client, plans, curator):
    data = framework(version=2)
    data["sources"][0]["categories"][0]["themes"][0]["findings"][0]["references"] = [1, 2]
    client.force_login(curator)
    text = preview(client, data)
    assert "<li>Supervision by a peer lead: barrier</li>" in text
    assert "References: 1 → 1, 2" in text


def test_the_preview_of_a_new_source_lists_what_it_adds_and_the_checklists_offered_it(client, plans, curator):
    client.force_login(curator)
    text = preview(client, new_source(), "survey.json")
    assert "Invented survey (test fixture): new source, version 1" in text
    assert "A new source: it adds 2 themes with 3 findings." in text
    assert "<li>Supervision by a peer lead (survey)</li>" in text
    assert "<li>Protected time for reflection (survey)</li>" in text
    assert "Added (3)" in text and "Added (0)" not in text
    assert "<li>Supervision by a peer lead (survey): barrier</li>" in text
    assert "Fixture text: a named peer lead met each worker monthly." in text
    # The active checklist will be offered them (no item of it is touched).
    assert "<td>Northside Mental Health Service</td><td>1</td><td>0</td>" in text
    assert "No organisation&#x27;s checklists are affected" not in text

    release = Release.objects.get()
    response = client.post(f"/admin/evidence/source/import/{release.pk}/", follow=True)
    assert "Applied survey.json: 3 findings added, 0 changed, 0 retired." in response.content.decode()


def test_what_the_new_source_preview_promised_is_offered_to_the_active_checklist(client, plans, curator, owner):
    client.force_login(curator)
    preview(client, new_source(), "survey.json")
    client.post(f"/admin/evidence/source/import/{Release.objects.get().pk}/")
    client.force_login(owner)
    page = client.get(f"/app/checklists/{plans.pk}/").content.decode()
    assert "from Invented survey (test fixture) version 1" in page


# An old file that would undo an admin edit is caught ---------------------------------------------------

PEER_LEAD = "Fixture text: a named peer lead met each worker monthly."
CORRECTED = "Fixture text: a named peer lead met each peer worker monthly."


def plans_source():
    return Source.objects.get(slug="example-framework")


def edit_in_the_admin(client, summary=PEER_LEAD, **changes):
    """The facilitator's one sample edited through the admin's form: its summary, or `group`/`stakeholders`."""
    perspective = Perspective.objects.get(
        finding__theme__name="Supervision by a peer lead", finding__valence="facilitator"
    )
    form = {
        "finding": perspective.finding_id,
        "position": perspective.position,
        "group": perspective.group,
        "references": [r.pk for r in perspective.references.all()],
        "summary": summary,
        "stakeholders": perspective.stakeholders,
        "change_kind": "major",
        "change_note": "The facilitator's text is corrected.",
        "_save": "Save",
    }
    response = client.post(f"/admin/evidence/perspective/{perspective.pk}/change/", {**form, **changes})
    assert response.status_code == 302, response.content.decode()[-3000:]
    perspective.refresh_from_db()
    assert perspective.summary == summary
    return perspective


def test_an_old_file_that_would_undo_an_admin_edit_is_caught_in_the_preview(client, plans, curator):
    client.force_login(curator)
    downloaded = json.loads(body(client.get(f"/admin/evidence/source/{plans_source().pk}/download/")))
    perspective = edit_in_the_admin(client, CORRECTED)
    edited_at = perspective.history.first().history_date

    # The file from before the edit, as the next version: it still has the text the curator corrected.
    downloaded["sources"][0]["version"] = 2
    text = preview(client, downloaded, "framework-v2-from-an-old-export.json")
    assert "This file would undo 1 edit made in the admin since the last release" in text
    assert f"This file would undo the edit Cora made on {localtime(edited_at):%-d %B %Y, %H:%M}" in text
    undo = text[text.index('<div class="release-undo"') :]
    undo = undo[: undo.index("</div>")]
    assert f'Saved in the admin:</p>\n    <blockquote class="release-text">{CORRECTED}</blockquote>' in undo
    assert (
        f'In this file (the text from before that edit):</p>\n    <blockquote class="release-text">{PEER_LEAD}' in undo
    )
    # And the change itself, word by word: the curator's word is the one struck.
    assert "met each <del>peer </del>worker monthly." in text
    assert "<li>Supervision by a peer lead: facilitator</li>" in text


def test_a_file_that_keeps_the_edit_or_changes_the_text_anew_gives_no_warning(client, plans, curator):
    client.force_login(curator)
    edit_in_the_admin(client, CORRECTED)
    kept = framework(version=2)
    samples = kept["sources"][0]["categories"][0]["themes"][0]["findings"][1]["samples"]
    samples[0]["summary"] = CORRECTED
    text = preview(client, kept)
    assert "This file would undo" not in text
    assert "Changed (0)" in text

    samples[0]["summary"] = "Fixture text: a named peer lead met each peer worker every week."
    Release.objects.all().delete()
    text = preview(client, kept)
    assert "This file would undo" not in text
    assert "<del>monthly.</del><ins>every week.</ins>" in text


def test_an_edit_made_before_the_last_release_is_not_counted_as_undone(client, plans, curator):
    client.force_login(curator)
    edit_in_the_admin(client, CORRECTED)
    # Version 2 has the curator's text: the edit is now part of a release.
    released = framework(version=2)
    released["sources"][0]["categories"][0]["themes"][0]["findings"][1]["samples"][0]["summary"] = CORRECTED
    import_evidence(released)
    # Version 3 built from version 1's file goes back to the old text: a change, but no admin edit undone.
    text = preview(client, framework(version=3))
    assert "<li>Supervision by a peer lead: facilitator</li>" in text
    assert "This file would undo" not in text


def add_reference_two_in_the_admin(client):
    """The first theme's barrier gets reference 2 through the finding's admin form; returns the finding."""
    finding = Finding.objects.get(theme__name="Supervision by a peer lead", valence="barrier")
    two = Reference.objects.get(source=finding.theme.category.source, number=2)
    page = client.get(f"/admin/evidence/finding/{finding.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/evidence/finding/{finding.pk}/change/",
        finding_admin_form(
            finding,
            references=[r.pk for r in finding.references.all()] + [two.pk],
            change_kind="major",
            change_note="A second review reports it.",
            _save="Save",
        ),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert finding.reference_numbers() == [1, 2]
    return finding


def test_an_old_file_that_would_undo_a_reference_added_in_the_admin_is_caught(client, plans, curator):
    client.force_login(curator)
    add_reference_two_in_the_admin(client)
    text = preview(client, framework(version=2))  # still [1], from before the edit
    assert "This file would undo the edit Cora made on" in text
    assert "(the finding&#x27;s references)" in text
    assert '<blockquote class="release-text">References: 1, 2</blockquote>' in text
    assert '<blockquote class="release-text">References: 1</blockquote>' in text
    assert "References: 1, 2 → 1" in text


def test_the_command_lines_dry_run_names_the_edit_it_would_undo(client, plans, curator, tmp_path):
    client.force_login(curator)
    edit_in_the_admin(client, CORRECTED)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(framework(version=2)), encoding="utf-8")
    out = StringIO()
    call_command("import_evidence", str(path), "--dry-run", stdout=out)
    assert "would undo the edit Cora made on " in out.getvalue()
    assert "(Supervision by a peer lead: facilitator, sample 1)" in out.getvalue()
    assert Perspective.objects.get(summary=CORRECTED)


def test_a_file_that_goes_back_on_the_last_release_is_a_change_not_an_undone_edit(client, plans, curator):
    import_evidence(version_2())  # "… supervise. Revised.", written by the release, not by a curator
    client.force_login(curator)
    text = preview(client, framework(version=3))
    assert "Fixture text: no peer lead was available to supervise.<del> Revised.</del>" in text
    assert "This file would undo" not in text


# Keep each undone edit, or use the file's text ----------------------------------------------------------

# The name of the facilitator's sample-1 summary's choice in the apply form.
SUMMARY_CHOICE = "undo/example-framework/Supervision by a peer lead/facilitator/1/summary"


def facilitator():
    return Perspective.objects.get(finding__theme__name="Supervision by a peer lead", finding__valence="facilitator")


def apply(client, choices=None):
    # Every change is major unless marked minor, so a release that changes a finding carries its note.
    form = {"change_note": "The facilitator's text is corrected.", **(choices or {})}
    response = client.post(f"/admin/evidence/source/import/{Release.objects.get().pk}/", form, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_each_undone_edit_offers_to_keep_it_or_use_the_files_text_and_keeping_is_chosen(client, plans, curator):
    client.force_login(curator)
    edit_in_the_admin(client, CORRECTED)
    text = preview(client, version_2())
    assert (
        f'<label><input type="radio" name="{SUMMARY_CHOICE}" value="keep" checked> Keep the admin\'s edit</label>'
        in text
    )
    assert f'<label><input type="radio" name="{SUMMARY_CHOICE}" value="file"> Use the file\'s text</label>' in text
    # The choices are inside the form that applies the release.
    apply_button = text.index('value="Apply this release"')
    form = text[text.rindex("<form", 0, apply_button) : text.index("</form>", apply_button)]
    assert SUMMARY_CHOICE in form and 'value="Apply this release"' in form


def test_applying_keeps_the_admins_edit_by_default_and_applies_everything_else(client, plans, curator):
    client.force_login(curator)
    edit_in_the_admin(client, CORRECTED)
    preview(client, version_2())
    text = apply(client)  # no choice sent: the edit is kept
    assert "2 findings added, 1 changed, 1 retired. 1 admin edit kept. Active checklists" in text
    assert facilitator().summary == CORRECTED
    # Everything else in the file is applied.
    assert plans_source().version == 2
    assert Perspective.objects.filter(summary="Fixture text: no peer lead was available to supervise. Revised.")
    assert Finding.objects.get(theme__name="Protected time for reflection").retired_in_version == 2
    assert Finding.objects.filter(theme__name="Peer career pathway").count() == 2


def test_applying_with_keep_chosen_keeps_the_edit_and_the_finding_is_not_changed(client, plans, curator):
    client.force_login(curator)
    edit_in_the_admin(client, CORRECTED)
    preview(client, framework(version=2))  # the old file: its only difference is the edit it would undo
    text = apply(client, {SUMMARY_CHOICE: "keep"})
    assert "0 findings added, 0 changed, 0 retired. 1 admin edit kept." in text
    assert facilitator().summary == CORRECTED
    assert plans_source().version == 2
    # Kept, the edit is now part of version 2: the same old file as version 3 undoes nothing a curator did
    # since the last release (the change is shown, without a warning).
    text = preview(client, framework(version=3))
    assert "met each <del>peer </del>worker monthly." in text
    assert "This file would undo" not in text


def test_applying_with_the_files_text_chosen_puts_the_files_text_back(client, plans, curator):
    client.force_login(curator)
    edit_in_the_admin(client, CORRECTED)
    preview(client, version_2())
    text = apply(client, {SUMMARY_CHOICE: "file"})
    assert "2 findings added, 2 changed, 1 retired. 1 admin edit replaced by the file&#x27;s text." in text
    assert "admin edit kept" not in text
    assert facilitator().summary == PEER_LEAD
    assert plans_source().version == 2


def test_a_kept_reference_edit_keeps_the_findings_references(client, plans, curator):
    client.force_login(curator)
    finding = add_reference_two_in_the_admin(client)
    old = framework(version=2)  # still [1], from before the edit; and it no longer lists reference 2 at all
    old["sources"][0]["references"].pop()
    for theme in old["sources"][0]["categories"][0]["themes"]:
        for f in theme["findings"]:
            f["references"] = [1]
            for sample in f["samples"]:
                sample["references"] = [1]
    text = preview(client, old)
    choice = "undo/example-framework/Supervision by a peer lead/barrier/finding/references"
    assert f'name="{choice}" value="keep" checked' in text
    text = apply(client)
    assert "1 admin edit kept." in text
    assert finding.reference_numbers() == [1, 2]
    assert Reference.objects.get(source=finding.theme.category.source, number=2).citation == (
        "Invented reference two. 2025."
    )


# The undo check also covers a sample's group and stakeholders -------------------------------------------


def test_an_old_file_that_would_undo_a_samples_group_edited_in_the_admin_is_caught(client, plans, curator):
    client.force_login(curator)
    edit_in_the_admin(client, group="PSWs")
    text = preview(client, framework(version=2))
    assert "This file would undo 1 edit made in the admin since the last release" in text
    assert "This file would undo the edit Cora made on" in text
    assert "(sample 1&#x27;s group)." in text
    assert '<blockquote class="release-text">Group: PSWs</blockquote>' in text
    assert '<blockquote class="release-text">Group: Mental health organisations</blockquote>' in text
    choice = "undo/example-framework/Supervision by a peer lead/facilitator/1/group"
    assert f'name="{choice}" value="file"' in text

    assert "1 admin edit kept." in apply(client)
    assert facilitator().group == "PSWs"


def test_an_old_file_that_would_undo_a_samples_stakeholders_edited_in_the_admin_is_caught(client, plans, curator):
    client.force_login(curator)
    edit_in_the_admin(client, group="Mixed", stakeholders=["PSWs", "Service users"])
    text = preview(client, framework(version=2))
    # One save, two parts undone, each with its own choice.
    assert "This file would undo 2 edits made in the admin since the last release" in text
    assert "(sample 1&#x27;s stakeholders)." in text
    assert '<blockquote class="release-text">Stakeholders: PSWs, Service users</blockquote>' in text
    assert '<blockquote class="release-text">Stakeholders: none</blockquote>' in text
    stakeholders = "undo/example-framework/Supervision by a peer lead/facilitator/1/stakeholders"
    group = "undo/example-framework/Supervision by a peer lead/facilitator/1/group"

    text = apply(client, {stakeholders: "file", group: "file"})
    assert "2 admin edits replaced by the file&#x27;s text." in text
    perspective = facilitator()
    assert (perspective.group, perspective.stakeholders) == ("Mental health organisations", [])


def test_a_file_with_the_same_group_and_stakeholders_as_the_admins_gives_no_warning(client, plans, curator):
    client.force_login(curator)
    edit_in_the_admin(client, group="Mixed", stakeholders=["PSWs"])
    kept = framework(version=2)
    kept["sources"][0]["categories"][0]["themes"][0]["findings"][1]["samples"][0].update(
        group="Mixed", stakeholders=["PSWs"]
    )
    text = preview(client, kept)
    assert "This file would undo" not in text
    assert "Changed (0)" in text


def test_an_edit_saved_after_the_preview_was_shown_is_kept_too(client, plans, curator):
    client.force_login(curator)
    text = preview(client, framework(version=2))
    assert "This file would undo" not in text
    edit_in_the_admin(client, CORRECTED)  # while the preview is open, a curator corrects the sample
    assert "0 findings added, 0 changed, 0 retired. 1 admin edit kept." in apply(client)
    assert facilitator().summary == CORRECTED


# ...and a sample's own references ------------------------------------------------------------------------


def test_an_old_file_that_would_undo_a_samples_references_edited_in_the_admin_is_caught_and_kept(
    client, plans, curator
):
    client.force_login(curator)
    before = sorted(facilitator().reference_numbers())
    other = Reference.objects.filter(source=plans_source()).exclude(number__in=before).first()
    edit_in_the_admin(client, references=[r.pk for r in facilitator().references.all()] + [other.pk])
    edited = sorted({*before, other.number})
    assert sorted(facilitator().reference_numbers()) == edited

    text = preview(client, framework(version=2))  # the sample's references from before the edit
    assert "This file would undo 1 edit made in the admin since the last release" in text
    assert "(sample 1&#x27;s references)." in text
    words = ", ".join(str(number) for number in edited)
    assert f'<blockquote class="release-text">References: {words}</blockquote>' in text
    choice = "undo/example-framework/Supervision by a peer lead/facilitator/1/references"
    assert f'name="{choice}" value="keep" checked' in text

    assert "1 admin edit kept." in apply(client)
    assert sorted(facilitator().reference_numbers()) == edited


def test_choosing_the_files_references_for_a_sample_puts_them_back(client, plans, curator):
    client.force_login(curator)
    before = sorted(facilitator().reference_numbers())
    other = Reference.objects.filter(source=plans_source()).exclude(number__in=before).first()
    edit_in_the_admin(client, references=[r.pk for r in facilitator().references.all()] + [other.pk])
    preview(client, framework(version=2))
    choice = "undo/example-framework/Supervision by a peer lead/facilitator/1/references"
    assert "1 admin edit replaced by the file&#x27;s text." in apply(client, {choice: "file"})
    assert sorted(facilitator().reference_numbers()) == before
