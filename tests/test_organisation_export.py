"""The organisation archive (peerplan-organisation/1): what it holds and never holds, its schema, its round
trip through an import into a PeerPlan without the organisation, and the archives an import refuses with
the database unchanged."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from unittest import mock

import jsonschema
import pytest
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from peerplan.lib.organisation_archive import DOCUMENT, MANIFEST, schema
from peerplan.models import Comment, Organisation, former_member
from peerplan.operations import accounts, attachments, comments, mitigations, organisation_purge
from peerplan.operations.organisation_import import ImportRefused, import_organisation
from peerplan.pages.organisation_export import COVERAGE, SECTIONS, row_count, write_archive
from tests.factories import make_checklist

NOW = timezone.now()


def archive_of(organisation):
    """The organisation's archive, its document held to the schema (every export these tests make)."""
    out = io.BytesIO()
    write_archive(organisation, out, now=NOW)
    jsonschema.validate(document_of(out.getvalue()), schema())
    return out.getvalue()


def document_of(archive):
    return json.loads(zipfile.ZipFile(io.BytesIO(archive)).read(DOCUMENT))


def row_counts():
    return {model._meta.label: model._base_manager.count() for model in apps.get_models(include_auto_created=True)}


def test_the_archive_follows_the_schema_with_a_manifest_files_and_csvs(one_of_everything, org_a):
    archive = zipfile.ZipFile(io.BytesIO(archive_of(org_a)))
    document = json.loads(archive.read(DOCUMENT))
    jsonschema.validate(document, schema())
    assert document["format"] == "peerplan-organisation/1"
    # What the export page counts as "N of M" is what the document holds.
    assert row_count(org_a) == sum(len(document[name]) for name, _ in SECTIONS)
    names = set(archive.namelist())
    manifest = json.loads(archive.read(MANIFEST))
    assert set(manifest["files"]) == names - {MANIFEST}
    assert {"checklists.csv", "items.csv", "actions.csv", "members.csv", "comments.csv"} <= names
    (attachment,) = document["attachments"]
    assert archive.read(attachment["file"]) == b"Minutes of the meeting"
    assert document["own_evidence"]["sources"][0]["name"] == "Staff survey 2026"
    assert {row["model"] for row in document["history"]} >= {"checklist", "item", "action", "comment", "attachment"}
    members = archive.read("members.csv").decode("utf-8")
    assert members.startswith("\ufeffName,Email,Role,Joined")
    assert "olive@example.org" in members


def test_a_csv_cell_a_spreadsheet_would_run_is_text(org_a, owner):
    checklist = make_checklist(org_a, "=HYPERLINK(1)", by=owner)
    assert checklist.pk
    archive = zipfile.ZipFile(io.BytesIO(archive_of(org_a)))
    assert ",'=HYPERLINK(1)," in archive.read("checklists.csv").decode("utf-8")


def test_it_holds_nothing_secret_and_nothing_of_another_organisation(one_of_everything, org_a, org_b, outsider):
    theirs = make_checklist(org_b, "Southside secret plan", by=outsider)
    item = theirs.items.challenges().first()
    action = mitigations.create_mitigation(item=item, changes={"action": "Southside hidden action"}, by=outsider)
    comments.post_comment(body="Southside private remark", by=outsider, organisation=org_b, mitigation=action)
    attachments.add_attachment(
        upload=SimpleUploadedFile("south.txt", b"Southside file bytes"), by=outsider, organisation=org_b, item=item
    )
    archive = archive_of(org_a)
    everything = b"".join(
        zipfile.ZipFile(io.BytesIO(archive)).read(name) for name in zipfile.ZipFile(io.BytesIO(archive)).namelist()
    )
    for text in ("Southside", "otto@example.org", "pbkdf2", "md5$", "argon2", make_password("x")[:6]):
        assert text.encode() not in everything, text
    for token in org_a.invitations.values_list("token", flat=True):
        assert token.encode() not in everything


def test_every_kind_of_row_an_organisation_holds_is_in_the_archive_or_left_out_for_a_reason(one_of_everything, org_a):
    """What the purge removes is what the organisation holds: a model added later with organisation data
    fails here until COVERAGE says where the archive has it."""
    before = row_counts()
    Organisation.objects.filter(pk=org_a.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert organisation_purge.purge_organisation(organisation=org_a)
    after = row_counts()
    held = {label.lower() for label, count in before.items() if after[label] < count}
    assert held, "the purge removed nothing"
    assert held - set(COVERAGE) == set()


def normalised(document):
    """The document with its ids renumbered in the order they first appear, and the time of export gone:
    what must be the same after a round trip."""
    numbers = {}

    def number(kind, old):
        if old is None:
            return None
        return numbers.setdefault(kind, {}).setdefault(old, len(numbers.get(kind, {})) + 1)

    def references(kind, row):
        row["id"] = number(kind, row["id"])
        if "checklist" in row and kind != "checklist":
            row["checklist"] = number("checklist", row["checklist"])
        for field, target in (("item", "item"), ("mitigation", "action")):
            if field in row:
                row[field] = number(target, row[field])
        if "items" in row:
            row["items"] = [number("item", old) for old in row["items"]]
        if row.get("file"):
            row["file"] = f"files/{number('attachment', int(row['file'].split('/')[1]))}"

    document = json.loads(json.dumps(document))
    document["exported"] = None
    for section, kind in (
        ("checklists", "checklist"),
        ("items", "item"),
        ("actions", "action"),
        ("comments", "comment"),
        ("attachments", "attachment"),
    ):
        for row in document[section]:
            references(kind, row)
    for row in document["history"]:
        references(row["model"], row["fields"])
    return document


def test_export_import_export_is_the_same_but_for_ids(one_of_everything, org_a, owner, planner):
    mitigation = org_a.checklists.get().mitigations.get()
    comments.post_comment(body="Thanks @Pat", by=owner, organisation=org_a, mitigation=mitigation)
    mitigations.update_mitigation(
        mitigation_id=mitigation.pk, changes={"status": "in_progress", "owner": planner}, version=1, by=owner
    )
    # Rows deleted before the export: their history comes along, under ids of their own.
    gone = comments.post_comment(body="Posted in error", by=owner, organisation=org_a, mitigation=mitigation)
    comments.delete_comment(comment=gone, by=owner)
    item = org_a.checklists.get().items.first()
    extra = attachments.add_attachment(
        upload=SimpleUploadedFile("old.txt", b"Old notes"), by=owner, organisation=org_a, item=item
    )
    attachments.delete_attachment(attachment=extra, by=owner, membership=org_a.memberships.get(user=owner))
    first = archive_of(org_a)
    assert {"-"} <= {row["type"] for row in document_of(first)["history"] if row["model"] == "comment"}
    Organisation.objects.filter(pk=org_a.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert organisation_purge.purge_organisation(organisation=org_a)

    report = import_organisation(fileobj=io.BytesIO(first))

    assert report.organisation.slug == "northside"
    second = archive_of(report.organisation)
    assert normalised(document_of(second)) == normalised(document_of(first))
    files = zipfile.ZipFile(io.BytesIO(second))
    assert files.read(document_of(second)["attachments"][0]["file"]) == b"Minutes of the meeting"


def tampered(archive, name, change):
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for member in source.namelist():
            data = source.read(member)
            target.writestr(member, change(data) if member == name else data)
    return out.getvalue()


def refused(archive):
    before = row_counts()
    with pytest.raises(ImportRefused) as refusal:
        import_organisation(fileobj=io.BytesIO(archive))
    assert row_counts() == before
    return refusal.value


def test_it_refuses_a_tampered_archive_with_nothing_changed(one_of_everything, org_a):
    archive = archive_of(org_a)
    changed = tampered(archive, DOCUMENT, lambda data: data.replace(b"Northside plan", b"Southside plan"))
    assert "has been changed" in str(refused(changed))
    extra = tampered(archive, "members.csv", lambda data: data + b"x")
    assert "has been changed" in str(refused(extra))


def test_it_refuses_a_truncated_archive(one_of_everything, org_a):
    archive = archive_of(org_a)
    assert "cut short" in str(refused(archive[: len(archive) // 2]))


def test_it_refuses_another_format_or_version(one_of_everything, org_a):
    archive = archive_of(org_a)

    def other_version(data):
        manifest = json.loads(data)
        manifest["format"] = "peerplan-organisation/2"
        return json.dumps(manifest).encode()

    assert "another format" in str(refused(tampered(archive, MANIFEST, other_version)))
    assert "not a PeerPlan organisation archive" in str(refused(_zip_of({"x.json": b"{}"})))


def _zip_of(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


def test_a_finding_this_peerplan_lacks_is_listed_and_nothing_is_imported(one_of_everything, org_a):
    archive = archive_of(org_a)
    item = org_a.checklists.get().items.select_related("finding__theme").first()
    theme = item.finding.theme
    theme.name = "A theme renamed here"
    theme.save()
    refusal = refused(archive)
    assert any("does not have the" in problem for problem in refusal.problems)


def test_people_without_a_verified_email_here_are_invited(one_of_everything, org_a, owner, planner):
    archive = archive_of(org_a)
    Organisation.objects.filter(pk=org_a.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    organisation_purge.purge_organisation(organisation=org_a)
    planner.emailaddress_set.update(verified=False)
    report = import_organisation(fileobj=io.BytesIO(archive))
    organisation = report.organisation
    assert "pat@example.org" in report.invited
    (email,) = [message for message in mail.outbox if message.to == ["pat@example.org"]]
    assert "/app/invitations/" in email.body
    assert organisation.invitations.filter(email="pat@example.org", role="planner").exists()
    assert organisation.memberships.filter(user=owner, role="owner").exists()
    assert not organisation.memberships.filter(user=planner).exists()


def rewritten(archive, change):
    """The archive with its document changed by `change(document)` and a manifest that matches it: what only
    the schema and the checks of references catch."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    document = json.loads(source.read(DOCUMENT))
    change(document)
    members = {name: source.read(name) for name in source.namelist() if name != MANIFEST}
    members[DOCUMENT] = json.dumps(document).encode()
    manifest = {
        "format": "peerplan-organisation/1",
        "files": {n: hashlib.sha256(d).hexdigest() for n, d in members.items()},
    }
    return _zip_of(members | {MANIFEST: json.dumps(manifest).encode()})


def test_it_refuses_a_section_it_does_not_know_rather_than_drop_it(one_of_everything, org_a):
    archive = rewritten(archive_of(org_a), lambda document: document.update(check_ins=[{"week": 1}]))
    refusal = refused(archive)
    assert "made by a newer version" in str(refusal) and refusal.problems == ["check_ins"]


def test_it_refuses_a_document_that_breaks_the_schema_or_its_own_references(one_of_everything, org_a):
    archive = archive_of(org_a)
    assert "does not follow the format" in str(refused(rewritten(archive, lambda d: d["members"][0].pop("role"))))

    def elsewhere(document):
        document["actions"][0]["items"] = [999_999]

    refusal = refused(rewritten(archive, elsewhere))
    assert any("addresses item 999999" in problem for problem in refusal.problems)


def test_an_import_that_fails_while_writing_leaves_no_row_and_no_file(one_of_everything, org_a, settings):
    archive = archive_of(org_a)
    files_before = sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    before = row_counts()
    with mock.patch("peerplan.operations.organisation_import._history", side_effect=RuntimeError("disk gone")):
        with pytest.raises(RuntimeError):
            import_organisation(fileobj=io.BytesIO(archive))
    assert row_counts() == before
    assert sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) == files_before


def test_what_a_former_member_wrote_stays_theirs_through_the_round_trip(one_of_everything, org_a, owner, planner):
    mitigation = org_a.checklists.get().mitigations.get()
    comments.post_comment(body="Draft is ready", by=planner, organisation=org_a, mitigation=mitigation)
    accounts.delete_account(user=planner, confirm_email=planner.email)
    first = archive_of(org_a)
    assert "a former member" in {row["author"] for row in document_of(first)["comments"]}
    Organisation.objects.filter(pk=org_a.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    organisation_purge.purge_organisation(organisation=org_a)

    report = import_organisation(fileobj=io.BytesIO(first))

    imported = Comment.objects.get(organisation=report.organisation, body="Draft is ready")
    assert imported.author == former_member()
