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

from evidence.models import Statement
from peerplan.figures import tracking
from peerplan.lib.organisation_archive import DOCUMENT, MANIFEST, schema
from peerplan.models import (
    Answer,
    CheckIn,
    Comment,
    Mitigation,
    Organisation,
    RoundTally,
    RoundToken,
    former_member,
)
from peerplan.operations import accounts, attachments, check_ins, comments, mitigations, organisation_purge
from peerplan.operations.organisation_import import ImportRefused, import_organisation
from peerplan.pages.organisation_export import COVERAGE, SECTIONS, row_count, write_archive
from tests.factories import make_checklist, make_closed_round

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


def with_rounds(org_a):
    """The world's check-in, comments on, with an own statement, a round closed above its threshold (its own
    statement answered by too few), one closed below it, and one open now with an answer, an unused link and
    a delivery. Returns (the check-in, the open round's unused token)."""
    check_in = CheckIn.objects.get(checklist__organisation=org_a)
    check_in.comments_on = True
    check_in.comments_read_by = "the peer support lead"
    check_in.save()
    theme = check_in.items.select_related("finding__theme").get().finding.theme
    published = Statement.objects.published().filter(theme=theme).first()
    own = check_ins.add_own_statement(organisation=org_a, theme=theme, text="Our own wording of it")
    above = [{published: Answer.AGREE}] * 3 + [{published: Answer.STRONGLY_AGREE}, {published: Answer.DISAGREE}]
    above += [{published: Answer.DOES_NOT_APPLY, own: Answer.AGREE}, {own: Answer.DISAGREE}]
    make_closed_round(check_in, above, comments=["Supervision helped", "More time please"])
    below = [{published: Answer.STRONGLY_DISAGREE, own: Answer.STRONGLY_DISAGREE}] * 3
    make_closed_round(check_in, below, comments=["Only three of us said this"])
    today = tracking.today()
    open_ = check_ins.open_round(check_in=check_in, today=today)
    first, unused = check_ins.issue_tokens(round_=open_, count=2)
    check_ins.record_delivery(round_=open_, recipient=check_in.recipients.get())
    check_ins.answer_round(
        token=first, answers={published.pk: Answer.NEITHER}, comment="Said while it was open", today=today
    )
    return check_in, unused


def test_check_ins_come_with_only_the_figures_shown(one_of_everything, org_a):
    check_in, unused = with_rounds(org_a)
    text = zipfile.ZipFile(io.BytesIO(archive_of(org_a))).read(DOCUMENT).decode("utf-8")
    (row,) = json.loads(text)["check_ins"]
    assert row["recipients"] == [{"email": "psw@example.org", "unsubscribed_at": None}]
    above, below, open_ = row["rounds"]
    assert above["answered"] == 7 and above["comments"] == ["More time please", "Supervision helped"]
    (published,) = [s for s in above["statements"] if s["counts"]]  # the others of its theme nobody answered
    (own,) = [s for s in above["statements"] if s["statement"]["own"]]
    assert published["counts"] == {"strongly_disagree": 0, "disagree": 1, "neither": 0, "agree": 3, "strongly_agree": 1}
    assert published["not_applicable"] == 1
    assert own["statement"]["own"] and own["counts"] is None and own["not_applicable"] is None
    # Below the threshold: the round says nothing of how many, of any answer or of its comments.
    assert below["answered"] is None and below["comments"] is None
    assert all(s["counts"] is None and s["not_applicable"] is None for s in below["statements"])
    assert RoundTally.objects.filter(round__number=2, answer=Answer.STRONGLY_DISAGREE, count=3).count() == 2
    assert "Only three of us" not in text
    # An open round: its number and dates alone, though it has an answer, a comment, a link and a delivery.
    assert set(open_) == {"number", "opens_on", "closes_on", "closed_at"} and open_["closed_at"] is None
    assert "Said while it was open" not in text
    assert RoundToken.objects.filter(round__number=3).exists()
    for secret in [unused, *RoundToken.objects.values_list("hash", flat=True)]:
        assert secret not in text
    assert "deliver" not in text and "token" not in text
    assert {"own": False, "text": published["statement"]["text"], "theme": published["statement"]["theme"]} == (
        published["statement"]
    )
    assert json.loads(text)["statements"] == [
        {"theme": own["statement"]["theme"], "text": "Our own wording of it", "position": 1, "retired": False}
    ]


def test_every_kind_of_row_an_organisation_holds_is_in_the_archive_or_left_out_for_a_reason(one_of_everything, org_a):
    """What the purge removes is what the organisation holds: a model added later with organisation data
    fails here until COVERAGE says where the archive has it."""
    with_rounds(org_a)
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
        ("check_ins", "check_in"),
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
    with_rounds(org_a)
    first = archive_of(org_a)
    assert {"-"} <= {row["type"] for row in document_of(first)["history"] if row["model"] == "comment"}
    Organisation.objects.filter(pk=org_a.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert organisation_purge.purge_organisation(organisation=org_a)

    report = import_organisation(fileobj=io.BytesIO(first))

    assert report.organisation.slug == "northside"
    assert any("Round 3 of the check-in" in note and "closed here" in note for note in report.notes)
    second = archive_of(report.organisation)
    # The round open at the export is closed by the import, with no figures: that apart, the same.
    (was_open,) = [r for r in document_of(first)["check_ins"][0]["rounds"] if r["closed_at"] is None]
    closed_here = document_of(second)["check_ins"][0]["rounds"][-1]
    assert closed_here["number"] == was_open["number"] and closed_here["closed_at"] is not None
    assert (closed_here["answered"], closed_here["statements"], closed_here["comments"]) == (None, [], None)
    expected = normalised(document_of(first))
    expected["check_ins"][0]["rounds"][-1] = normalised(document_of(second))["check_ins"][0]["rounds"][-1]
    assert normalised(document_of(second)) == expected
    # Nothing hidden became visible: the statement too few answered has no tallies here.
    imported = CheckIn.objects.get(checklist__organisation=report.organisation)
    assert not RoundTally.objects.filter(round__check_in=imported, round__number=2).exists()
    assert not RoundTally.objects.filter(round__check_in=imported, statement__organisation__isnull=False).exists()
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


def test_it_refuses_an_archive_that_would_unpack_to_more_than_it_takes_before_unpacking(
    one_of_everything, org_a, settings
):
    archive = archive_of(org_a)
    settings.ORGANISATION_IMPORT_MAX_DOCUMENT_BYTES = 1024  # the document is larger: as a zip bomb's would be
    with mock.patch("zipfile.ZipFile.open", side_effect=AssertionError("unpacked")):
        assert "unpacks to more than this PeerPlan imports" in str(refused(archive))


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
    archive = rewritten(archive_of(org_a), lambda document: document.update(surveys=[{"week": 1}]))
    refusal = refused(archive)
    assert "made by a newer version" in str(refusal) and refusal.problems == ["surveys"]


def test_an_archive_made_before_check_ins_imports_without_them(one_of_everything, org_a):
    def older(document):
        del document["check_ins"], document["statements"]

    archive = rewritten(archive_of(org_a), older)
    Organisation.objects.filter(pk=org_a.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    organisation_purge.purge_organisation(organisation=org_a)
    report = import_organisation(fileobj=io.BytesIO(archive))
    assert not CheckIn.objects.filter(checklist__organisation=report.organisation).exists()


def test_an_actions_details_come_along_and_an_archive_made_before_them_still_imports(one_of_everything, org_a):
    action = Mitigation.objects.get(pk=one_of_everything["mitigation"])
    Mitigation.objects.filter(pk=action.pk).update(details="Agreed with HR")
    archive = archive_of(org_a)
    assert {row["id"]: row["details"] for row in document_of(archive)["actions"]}[action.pk] == "Agreed with HR"

    def older(document):
        for row in document["actions"]:
            del row["details"]
        for row in document["history"]:
            row["fields"].pop("details", None)

    older_archive = rewritten(archive, older)
    Organisation.objects.filter(pk=org_a.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    organisation_purge.purge_organisation(organisation=org_a)
    report = import_organisation(fileobj=io.BytesIO(older_archive))
    imported = Mitigation.objects.filter(checklist__organisation=report.organisation)
    assert imported.filter(action=action.action).exists()
    assert not imported.exclude(details="").exists()


def test_a_check_in_statement_this_peerplan_lacks_is_listed_and_nothing_is_imported(one_of_everything, org_a):
    with_rounds(org_a)
    archive = archive_of(org_a)
    Statement.objects.published().filter(rounds__check_in__checklist__organisation=org_a).update(text="Reworded")
    refusal = refused(archive)
    assert any("does not have the check-in statement" in problem for problem in refusal.problems)


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
