"""Minor or major (issue 28): a curator's save that changes what a finding says is a minor change (a typo,
formatting: nobody is asked to look again) or a major one with a change note, which planners read beside a
word-level difference; a revert takes back the flags it caused; releases choose per change. And the services'
side: retired items in "Needs a fresh look", the version a retired text came from, "single review" only for
reviews."""

import html
import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.change_admin import NO_CHOICE, NO_NOTE
from evidence.interchange import import_evidence
from evidence.models import Finding, FindingChange, Perspective, Release
from evidence.release_admin import NO_RELEASE_NOTE
from peerplan.operations.checklists import create_checklist_from_evidence
from tests.factories import finding_admin_form, item_for, make_checklist
from tests.worlds import framework, version_2

NOTE = "Workload is now said to fall on PSWs only: check who your actions protect."


@pytest.fixture
def workload_users(org_a, org_b, owner, outsider):
    """Three checklists in two organisations that use Workload; returns org A's active one."""
    create_checklist_from_evidence(organisation=org_a, title="Northside draft", by=owner)
    create_checklist_from_evidence(organisation=org_b, title="Southside secret plan", by=outsider)
    return make_checklist(org_a, "Community team plan", by=owner)


def workload():
    return Perspective.objects.get(finding__theme__name="Workload")


def perspective_form(perspective, **changes):
    return {
        "finding": perspective.finding_id,
        "position": perspective.position,
        "group": perspective.group,
        "references": [r.pk for r in perspective.references.all()],
        "summary": perspective.summary,
        "stakeholders": list(perspective.stakeholders),
        **changes,
    }


def save_perspective(client, perspective, **changes):
    return client.post(
        f"/admin/evidence/perspective/{perspective.pk}/change/", perspective_form(perspective, **changes)
    )


def said(response):
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def flagged_on_checklist(client, checklist):
    """The themes the checklist's "Evidence updated since you reviewed it" list names."""
    text = html.unescape(client.get(f"/app/checklists/{checklist.pk}/").content.decode())
    if "Evidence updated since you reviewed it:" not in text:
        return ""
    start = text.index("Evidence updated since you reviewed it:")
    return text[start : text.index("</ul>", start)]


# Minor -----------------------------------------------------------------------------------------------------


def test_a_minor_change_flags_nothing_and_is_noted_in_the_history(client, curator, owner, workload_users):
    perspective = workload()
    fixed = perspective.summary.replace("overwhelming", "overwhelming,")
    client.force_login(curator)

    response = save_perspective(client, perspective, summary=fixed, change_kind="minor")

    assert response.status_code == 302
    assert "Saved as a minor change: no service is asked to look again." in said(response)
    assert workload().summary == fixed
    assert Finding.objects.get(pk=perspective.finding_id).evidence_changed_at is None
    assert not FindingChange.objects.exists()
    assert workload().history.first().history_change_reason == "Minor change"
    client.force_login(owner)
    assert "Workload" not in flagged_on_checklist(client, workload_users)


def test_a_content_change_without_a_choice_is_refused_beside_the_field_and_saves_nothing(client, curator):
    perspective = workload()
    before = perspective.summary
    client.force_login(curator)

    response = save_perspective(client, perspective, summary=before + " Changed.")

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert NO_CHOICE in text
    # Beside the choice it is about.
    assert text.index(NO_CHOICE) < text.index("Major change: services are asked to look again")
    assert workload().summary == before


def test_a_major_change_without_a_note_is_refused_and_saves_nothing(client, curator):
    perspective = workload()
    before = perspective.summary
    client.force_login(curator)

    response = save_perspective(client, perspective, summary=before + " Changed.", change_kind="major")

    assert response.status_code == 200
    assert NO_NOTE in html.unescape(response.content.decode())
    assert workload().summary == before
    assert Finding.objects.get(pk=perspective.finding_id).evidence_changed_at is None


def test_a_save_that_changes_nothing_published_asks_for_no_choice(client, curator):
    client.force_login(curator)
    response = save_perspective(client, workload())
    assert response.status_code == 302
    assert "look again" not in said(response)


# Major -----------------------------------------------------------------------------------------------------


def test_a_major_change_flags_every_checklist_and_the_message_counts_them_without_names(
    client, curator, workload_users
):
    perspective = workload()
    client.force_login(curator)

    response = save_perspective(
        client, perspective, summary=perspective.summary + " Mostly for PSWs.", change_kind="major", change_note=NOTE
    )

    assert response.status_code == 302
    message = said(response)
    assert "Saved as a major change: 3 checklists in 2 organisations will be asked to look again." in message
    assert "Northside" not in message and "Southside" not in message
    [change] = FindingChange.objects.all()
    assert (change.note, change.made_by, change.finding_id) == (NOTE, curator, perspective.finding_id)
    assert change.after["samples"][0]["summary"].endswith(" Mostly for PSWs.")
    assert not change.before["samples"][0]["summary"].endswith(" Mostly for PSWs.")
    assert workload().history.first().history_change_reason.startswith("Major change: Workload is now said")


def test_the_planner_reads_the_change_note_beside_a_word_level_difference(client, curator, owner, workload_users):
    perspective = workload()
    client.force_login(curator)
    save_perspective(
        client,
        perspective,
        summary=perspective.summary.replace("could be overwhelming", "was overwhelming"),
        change_kind="major",
        change_note=NOTE,
    )

    client.force_login(owner)
    assert "Workload" in flagged_on_checklist(client, workload_users)
    item = item_for(workload_users, "Workload")
    text = html.unescape(client.get(f"/app/items/{item.pk}/").content.decode())
    flag = text[text.index("Evidence updated since you reviewed it") : text.index("Mark as reviewed")]
    assert f'Change note:</span> <span class="change-note">{NOTE}</span>' in flag
    removed = '<del><span class="visually-hidden">[removed: </span>could be<span class="visually-hidden">]</span></del>'
    added = '<ins><span class="visually-hidden">[added: </span>was<span class="visually-hidden">]</span></ins>'
    assert f"PSW workload {removed}{added} overwhelming." in flag
    # A curator's edit moves no version: the flag does not say "version 1; it is now version 1".
    assert "it is now version" not in flag
    # Only the difference is marked, not the whole old and new text.
    assert flag.count("<del>") == 1
    assert "The references or the finding changed" not in flag


def test_a_change_of_references_in_the_finding_admin_says_what_changed(client, curator, owner, workload_users):
    item = item_for(workload_users, "Workload")
    finding = item.finding
    numbers = finding.reference_numbers()
    extra = finding.theme.category.source.references.exclude(number__in=numbers).order_by("number").first()
    form = finding_admin_form(finding, references=[r.pk for r in finding.references.all()] + [extra.pk])
    client.force_login(curator)
    url = f"/admin/evidence/finding/{finding.pk}/change/"
    refused = client.post(url, form)
    assert refused.status_code == 200 and NO_CHOICE in html.unescape(refused.content.decode())
    assert Finding.objects.get(pk=finding.pk).reference_numbers() == numbers

    response = client.post(url, {**form, "change_kind": "major", "change_note": "A further review reports it."})
    assert response.status_code == 302, response.content.decode()[-2000:]

    client.force_login(owner)
    text = html.unescape(client.get(f"/app/items/{item.pk}/").content.decode())
    shown = ", ".join(str(n) for n in numbers)
    after = ", ".join(str(n) for n in sorted([*numbers, extra.number]))
    assert f"References:</span> {shown} → {after}</p>" in text
    assert "A further review reports it." in text


def test_a_minor_change_of_a_sample_in_the_finding_admin_flags_nothing(client, curator, owner, workload_users):
    finding = item_for(workload_users, "Workload").finding
    perspective = finding.perspectives.get()
    client.force_login(curator)
    response = client.post(
        f"/admin/evidence/finding/{finding.pk}/change/",
        finding_admin_form(finding, summary=perspective.summary + ".", change_kind="minor"),
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert workload().summary.endswith(".")
    assert Finding.objects.get(pk=finding.pk).evidence_changed_at is None
    assert workload().history.first().history_change_reason == "Minor change"


def test_the_theme_admin_asks_each_changed_finding_its_own_choice(client, curator):
    finding = Finding.objects.get(theme__name="Treatment models")
    theme = finding.theme
    form = {
        "category": theme.category_id,
        "name": theme.name,
        "slug": theme.slug,
        "position": theme.position,
        "findings-TOTAL_FORMS": "1",
        "findings-INITIAL_FORMS": "1",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "1000",
        "findings-0-id": finding.pk,
        "findings-0-theme": theme.pk,
        "findings-0-position": "1",
        "findings-0-valence": "barrier",
        "findings-0-references": [r.pk for r in finding.references.all()],
    }
    client.force_login(curator)
    url = f"/admin/evidence/theme/{theme.pk}/change/"
    refused = client.post(url, form)
    assert refused.status_code == 200 and NO_CHOICE in html.unescape(refused.content.decode())
    assert Finding.objects.get(pk=finding.pk).valence == "challenge"

    response = client.post(
        url, {**form, "findings-0-change_kind": "major", "findings-0-change_note": "It is a barrier, not a challenge."}
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    finding.refresh_from_db()
    assert finding.valence == "barrier" and finding.evidence_changed_at is not None
    [change] = finding.changes.all()
    assert (change.kind_before, change.kind_after) == ("Challenge", "Barrier")


# Revert ----------------------------------------------------------------------------------------------------


def test_a_revert_clears_the_flags_its_change_caused(client, curator, owner, workload_users):
    perspective = workload()
    original = perspective.summary
    client.force_login(curator)
    save_perspective(client, perspective, summary=original + " Wrong.", change_kind="major", change_note=NOTE)
    assert Finding.objects.get(pk=perspective.finding_id).evidence_changed_at is not None

    response = save_perspective(client, workload(), summary=original, change_kind="minor")

    assert response.status_code == 302
    assert "back to what it was before the major change of" in said(response)
    assert "3 checklists in 2 organisations are no longer asked to look again" in said(response)
    assert Finding.objects.get(pk=perspective.finding_id).evidence_changed_at is None
    assert FindingChange.objects.get().reverted_at is not None
    client.force_login(owner)
    assert "Workload" not in flagged_on_checklist(client, workload_users)


def test_a_revert_of_the_second_change_leaves_the_first_flagging_with_its_own_note(
    client, curator, owner, workload_users
):
    perspective = workload()
    original = perspective.summary
    client.force_login(curator)
    save_perspective(client, perspective, summary=original + " First.", change_kind="major", change_note="First note.")
    first_flag = Finding.objects.get(pk=perspective.finding_id).evidence_changed_at
    save_perspective(client, workload(), summary=original + " Second.", change_kind="major", change_note="Second note.")

    save_perspective(client, workload(), summary=original + " First.", change_kind="minor")

    assert Finding.objects.get(pk=perspective.finding_id).evidence_changed_at == first_flag
    client.force_login(owner)
    item = item_for(workload_users, "Workload")
    text = client.get(f"/app/items/{item.pk}/").content.decode()
    assert "First note." in text and "Second note." not in text


# Releases --------------------------------------------------------------------------------------------------


@pytest.fixture
def framework_plan(db, org_a, owner):
    import_evidence(framework())
    return create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=owner, status="active")


BARRIER_KEY = "change/example-framework/Supervision by a peer lead/barrier"


def upload_version_2(client):
    body = json.dumps(version_2()).encode()
    response = client.post("/admin/evidence/source/import/", {"release": SimpleUploadedFile("v2.json", body)})
    assert response.status_code == 302
    return Release.objects.get()


def test_the_release_preview_offers_minor_or_major_for_each_change_major_by_default(client, curator, framework_plan):
    client.force_login(curator)
    release = upload_version_2(client)
    text = html.unescape(client.get(f"/admin/evidence/source/import/{release.pk}/").content.decode())
    assert f'<input type="radio" name="{BARRIER_KEY}" value="major" checked> Major change' in text
    assert f'<input type="radio" name="{BARRIER_KEY}" value="minor"> Minor change (a typo or formatting)' in text
    assert '<textarea name="change_note"' in text


def test_a_release_with_a_major_change_needs_its_note_and_applies_nothing_without_it(client, curator, framework_plan):
    client.force_login(curator)
    release = upload_version_2(client)
    response = client.post(f"/admin/evidence/source/import/{release.pk}/", {BARRIER_KEY: "major"})
    assert response.status_code == 200
    assert NO_RELEASE_NOTE in html.unescape(response.content.decode())
    release.refresh_from_db()
    assert release.applied_at is None
    assert Finding.objects.get(theme__name="Supervision by a peer lead", valence="barrier").retired_in_version is None
    assert Finding.objects.filter(theme__name="Peer career pathway").count() == 0


def test_a_minor_release_change_flags_nothing(client, curator, owner, framework_plan):
    client.force_login(curator)
    release = upload_version_2(client)
    response = client.post(f"/admin/evidence/source/import/{release.pk}/", {BARRIER_KEY: "minor"}, follow=True)
    assert "0 major changes (services are asked to look again), 1 minor change" in response.content.decode()
    barrier = Finding.objects.get(theme__name="Supervision by a peer lead", valence="barrier")
    assert barrier.perspectives.get().summary.endswith(" Revised.")
    assert barrier.evidence_changed_at is None
    client.force_login(owner)
    assert "Supervision by a peer lead" not in flagged_on_checklist(client, framework_plan)


def test_a_major_release_change_shows_the_releases_note_and_the_difference(client, curator, owner, framework_plan):
    client.force_login(curator)
    release = upload_version_2(client)
    note = "Version 2 says the lack of a peer lead was revised by the authors."
    client.post(f"/admin/evidence/source/import/{release.pk}/", {BARRIER_KEY: "major", "change_note": note})
    release.refresh_from_db()
    assert release.change_note == note
    [change] = FindingChange.objects.all()
    assert change.release == release and change.note == note

    client.force_login(owner)
    assert "Supervision by a peer lead" in flagged_on_checklist(client, framework_plan)
    item = item_for(framework_plan, "Supervision by a peer lead", "barrier")
    text = html.unescape(client.get(f"/app/items/{item.pk}/").content.decode())
    assert "Changed by an evidence release on" in text and note in text
    assert (
        '<ins><span class="visually-hidden">[added: </span> Revised.<span class="visually-hidden">]</span></ins>'
        in text
    )


def test_a_release_that_brings_a_finding_back_clears_the_flag_of_the_change_before(
    client, curator, owner, framework_plan
):
    data = framework(version=2)
    data["sources"][0]["categories"][0]["themes"][0]["findings"][0]["samples"][0]["summary"] += " Wrong."
    import_evidence(data)
    barrier = Finding.objects.get(theme__name="Supervision by a peer lead", valence="barrier")
    assert barrier.evidence_changed_at is not None

    import_evidence(framework(version=3))

    barrier.refresh_from_db()
    assert barrier.evidence_changed_at is None
    client.force_login(owner)
    assert "Supervision by a peer lead" not in flagged_on_checklist(client, framework_plan)


# The services' side ----------------------------------------------------------------------------------------


def test_retired_items_are_listed_in_needs_a_fresh_look_until_kept_or_closed(client, owner, framework_plan):
    import_evidence(version_2())
    client.force_login(owner)
    text = html.unescape(client.get(f"/app/checklists/{framework_plan.pk}/").content.decode())
    box = text[text.index("Needs a fresh look") : text.index("</section>", text.index("Needs a fresh look"))]
    assert "No longer in the current evidence: keep each in your plan or close it." in box
    assert "Protected time for reflection</a> (barrier, removed in version 2)" in box

    item = item_for(framework_plan, "Protected time for reflection", "barrier")
    client.post(f"/app/items/{item.pk}/retired/", {"choice": "close"})
    text = html.unescape(client.get(f"/app/checklists/{framework_plan.pk}/").content.decode())
    assert "No longer in the current evidence: keep each" not in text


def test_a_retired_items_citation_names_the_version_its_text_came_from(client, owner, framework_plan):
    import_evidence(version_2())
    client.force_login(owner)
    item = item_for(framework_plan, "Protected time for reflection", "barrier")
    text = html.unescape(client.get(f"/app/items/{item.pk}/").content.decode())
    assert "Version 1 (the last version that reported it; removed in version 2)" in text
    assert "Version 2;" not in text and "Version 2." not in text
    # "Close it" is a button that looks like one that works, as "Keep it in the plan" does.
    assert '<button type="submit" class="btn btn-sm btn-outline-primary">Close it</button>' in text


def test_single_review_is_said_only_of_a_source_whose_references_are_reviews(client, owner, framework_plan):
    client.force_login(owner)
    checklist = client.get(f"/app/checklists/{framework_plan.pk}/").content.decode()
    # The checklist holds Table 6's challenges too: read the framework's rows.
    row = checklist[checklist.index("Supervision by a peer lead") :]
    row = row[: row.index("</p>")]
    assert "Single reference [1]" in row and "Single review" not in row
    item = item_for(framework_plan, "Supervision by a peer lead", "barrier")
    text = client.get(f"/app/items/{item.pk}/").content.decode()
    assert "Rests on a single reference [1]" in text and "single review" not in text

    assert "Single review [64]" in checklist  # Workload, of Table 6, whose references are reviews


def test_reverting_from_the_history_page_clears_the_flags(client, curator, owner, workload_users):
    perspective = workload()
    client.force_login(curator)
    save_perspective(
        client, perspective, summary=perspective.summary + " Wrong.", change_kind="major", change_note=NOTE
    )
    earlier = perspective.history.order_by("history_date").first()
    url = f"/admin/evidence/perspective/{perspective.pk}/history/{earlier.history_id}/"
    page = html.unescape(client.get(url).content.decode())
    assert "Minor change (a typo or formatting)" in page

    response = client.post(url, {**perspective_form(earlier.instance), "change_kind": "minor"})

    assert response.status_code == 302, response.content.decode()[-2000:]
    assert workload().summary == perspective.summary
    assert "back to what it was before the major change of" in said(response)
    assert Finding.objects.get(pk=perspective.finding_id).evidence_changed_at is None
    client.force_login(owner)
    assert "Workload" not in flagged_on_checklist(client, workload_users)


def test_a_perspective_added_or_removed_on_its_own_page_is_a_change_of_its_finding(client, curator, workload_users):
    finding = workload().finding
    client.force_login(curator)
    new = {"finding": finding.pk, "position": 2, "group": "PSWs", "summary": "PSWs said so too.", "references": []}
    refused = client.post("/admin/evidence/perspective/add/", new)
    assert refused.status_code == 200 and NO_CHOICE in html.unescape(refused.content.decode())
    assert finding.perspectives.count() == 1

    added = client.post("/admin/evidence/perspective/add/", {**new, "change_kind": "major", "change_note": "PSWs too."})
    assert added.status_code == 302
    assert "3 checklists in 2 organisations will be asked to look again" in said(added)
    second = finding.perspectives.get(position=2)

    # Removing it brings the finding back to what it was: the flags of its addition go.
    client.post(f"/admin/evidence/perspective/{second.pk}/delete/", {"post": "yes"})
    assert finding.perspectives.count() == 1
    assert Finding.objects.get(pk=finding.pk).evidence_changed_at is None


def test_the_finding_pages_ask_minor_or_major_below_the_perspectives(client, curator):
    finding = workload().finding
    client.force_login(curator)
    page = html.unescape(client.get(f"/admin/evidence/finding/{finding.pk}/change/").content.decode())
    assert page.index('id="perspectives-group"') < page.index("Minor change (a typo or formatting)")
    assert '<label for="id_change_note">Change note</label>' in page
    # Restoring an earlier version from the history asks too (that page has no perspectives).
    version = finding.history.order_by("history_date").first().history_id
    page = html.unescape(client.get(f"/admin/evidence/finding/{finding.pk}/history/{version}/").content.decode())
    assert "Minor change (a typo or formatting)" in page and '<label for="id_change_note">' in page
