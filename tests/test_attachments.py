"""Attachments: kept only when their content is on the allow-list, within the limits, downloaded only
through the scoped view as attachments that can never run in PeerPlan's origin, removed with a history."""

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from peerplan.lib import uploads
from peerplan.lib.errors import Refused
from peerplan.models import Attachment, organisation_generations
from peerplan.operations import attachments
from tests.factories import make_member

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def zipped(members):
    """A ZIP archive of `members` (name: content, deflated). An int content is that many bytes of one repeated
    byte, written 1 MB at a time: a bomb of hundreds of MB is built without ever holding it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in members.items():
            if isinstance(content, int):
                with archive.open(name, "w") as member:
                    for start in range(0, content, 1 << 20):
                        member.write(b"a" * min(1 << 20, content - start))
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


def docx(**members):
    return zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>", **members})


ODT_MANIFEST = (
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def odt(**members):
    """An OpenDocument text: `mimetype` first, then its content and manifest (keyword names use / for __)."""
    members = {name.replace("__", "/"): content for name, content in members.items()}
    return zipped(
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "content.xml": "<office:document-content/>",
            "META-INF/manifest.xml": ODT_MANIFEST,
            **members,
        }
    )


def compound_file(tree):
    """A minimal OLE2 compound file, as the legacy .doc, .xls and .ppt are (version 3: 512-byte sectors, one
    FAT sector), holding `tree`: stream names to bytes, storage names to dicts. olefile reads such files but
    cannot write them. Streams are padded to 4096 bytes, so they live in ordinary sectors and no mini stream
    is needed; siblings are chained through their right links, which readers accept."""
    free, end_of_chain, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    entries = []

    def add(name, kind, data=b""):
        entries.append({"name": name, "kind": kind, "data": data, "right": no_stream, "child": no_stream})
        return len(entries) - 1

    def add_children(parent, children):
        ids = []
        for name, value in children.items():
            if isinstance(value, dict):
                ids.append(add(name, 1))
                add_children(ids[-1], value)
            else:
                ids.append(add(name, 2, value.ljust(4096, b"\0")))
        for left, right in zip(ids, ids[1:], strict=False):
            entries[left]["right"] = right
        if ids:
            entries[parent]["child"] = ids[0]

    add_children(add("Root Entry", 5), tree)
    directory_sectors = (len(entries) + 3) // 4
    fat = [fat_sector] + [s + 1 for s in range(1, directory_sectors)] + [end_of_chain]
    data = b""
    for entry in entries:
        if entry["kind"] == 2:
            entry["start"] = len(fat)
            count = len(entry["data"]) // 512
            fat += [len(fat) + n + 1 for n in range(count - 1)] + [end_of_chain]
            data += entry["data"]
        else:
            entry["start"] = end_of_chain if entry["kind"] == 5 else 0
    assert len(fat) <= 128, "one FAT sector holds 128 sectors"
    fat += [free] * (128 - len(fat))
    directory = b""
    for entry in entries:
        name = entry["name"].encode("utf-16-le") + b"\0\0"
        size = len(entry["data"]) if entry["kind"] == 2 else 0
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            name,
            len(name),
            entry["kind"],
            1,
            no_stream,
            entry["right"],
            entry["child"],
            b"",
            0,
            0,
            0,
            entry["start"],
            size,
        )
    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, no_stream, no_stream, no_stream, b"", 0, 0, 0, 0, 0)
    directory += empty * (directory_sectors * 4 - len(entries))
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        uploads.OLE2,
        b"",
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"",
        0,
        1,
        1,
        0,
        4096,
        end_of_chain,
        0,
        end_of_chain,
        0,
    )
    header += struct.pack("<109I", 0, *[free] * 108)
    return header + struct.pack("<128I", *fat) + directory + data


def upload(client, action, name, content):
    return client.post(
        f"/app/mitigations/{action.pk}/attachments/", {"file": SimpleUploadedFile(name, content)}, follow=True
    )


def stored_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_planner_attaches_a_pdf_and_it_is_listed_with_who_and_when(client, planner, action, settings):
    client.force_login(planner)
    response = upload(client, action, "Job description v2.pdf", PDF)
    assert "“Job description v2.pdf” is attached." in response.content.decode()
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.type_label, attachment.size, attachment.added_by) == (
        "Job description v2.pdf",
        "PDF",
        len(PDF),
        planner,
    )
    page = client.get(f"/app/mitigations/{action.pk}/").content.decode()
    assert f'href="/app/attachments/{attachment.pk}/download/"' in page
    assert "Job description v2.pdf" in page and "Pat" in page
    # Stored under MEDIA_ROOT, under a random name that says nothing of the original, outside static/.
    [path] = stored_files(settings)
    assert "Job description" not in str(path) and path.read_bytes() == PDF
    assert Path(settings.MEDIA_ROOT).resolve() != (Path(settings.BASE_DIR) / "static").resolve()


@pytest.mark.parametrize(
    ("name", "content", "label"),
    [("minutes.docx", docx(), "Word document"), ("photo.png", PNG, "Image"), ("plan.csv", b"a,b\n1,2\n", "CSV")],
)
def test_office_images_and_csv_are_kept(client, planner, item, name, content, label):
    client.force_login(planner)
    client.post(f"/app/items/{item.pk}/attachments/", {"file": SimpleUploadedFile(name, content)})
    assert Attachment.objects.get().type_label == label


def test_the_download_is_an_attachment_with_a_safe_name_and_headers_that_keep_it_inert(client, viewer, planner, action):
    attachments.add_attachment(
        upload=SimpleUploadedFile('..\\..\\evil"; name=x.pdf', PDF),
        by=planner,
        organisation=action.checklist.organisation,
        mitigation=action,
    )
    attachment = Attachment.objects.get()
    client.force_login(viewer)  # viewers read everything, files included
    response = client.get(f"/app/attachments/{attachment.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"] == 'attachment; filename="evil name=x.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ],
)
def test_html_and_svg_with_script_are_refused_on_upload(client, planner, action, settings, name, content):
    client.force_login(planner)
    response = upload(client, action, name, content)
    assert "is not a type PeerPlan keeps" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(settings) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ],
)
def test_html_and_svg_already_in_storage_are_still_only_downloaded_never_rendered(
    client, planner, action, name, content
):
    """Files kept before the allow-list (or put in the bucket by hand) are served as inert downloads too."""
    attachment = Attachment(
        organisation=action.checklist.organisation,
        mitigation=action,
        name=name,
        content_type="text/html" if name.endswith("html") else "image/svg+xml",
        type_label="Other",
        size=len(content),
        added_by=planner,
    )
    attachment.file.save(name, ContentFile(content), save=True)
    client.force_login(planner)
    response = client.get(f"/app/attachments/{attachment.pk}/download/")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"  # never text/html or image/svg+xml
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", PNG, "is called a .pdf file, but its content is not one"),
        ("notes.txt", b"<!DOCTYPE html><html><body onload=alert(1)>", "is called a .txt file, but its content"),
        ("macro.docx", b"PK\x03\x04 not really a zip", "is called a .docx file, but its content"),
        ("run.exe", b"MZ\x90\x00", "is not a type PeerPlan keeps"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_a_file_whose_content_is_not_allowed_is_refused_with_a_reason(
    client, planner, action, settings, name, content, message
):
    client.force_login(planner)
    response = upload(client, action, name, content)
    assert message in response.content.decode()
    assert "The file was not attached." in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_a_macro_enabled_document_renamed_docx_is_refused(client, planner, action):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/vbaProject.bin", b"\x00macro")
    client.force_login(planner)
    assert (
        "“minutes.docx” contains macros" in upload(client, action, "minutes.docx", buffer.getvalue()).content.decode()
    )
    assert not Attachment.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client, planner, action, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(planner)
    response = upload(client, action, "big.pdf", PDF + b"0" * 2000)
    assert "files can be at most 1 KB" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_an_organisation_over_its_limit_is_refused(client, planner, action, settings):
    settings.ATTACHMENT_ORGANISATION_MAX_BYTES = len(PDF) + 10
    client.force_login(planner)
    upload(client, action, "first.pdf", PDF)
    response = upload(client, action, "second.pdf", PDF)
    assert "would take Northside Mental Health Service over its" in response.content.decode()
    assert Attachment.objects.count() == 1 and len(stored_files(settings)) == 1


def test_nothing_is_half_stored_when_saving_the_row_fails(planner, action, settings, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Attachment, "save", fail)
    with pytest.raises(RuntimeError):
        attachments.add_attachment(
            upload=SimpleUploadedFile("a.pdf", PDF),
            by=planner,
            organisation=action.checklist.organisation,
            mitigation=action,
        )
    assert stored_files(settings) == []


def test_a_viewer_cannot_attach(client, viewer, action):
    client.force_login(viewer)
    response = client.post(f"/app/mitigations/{action.pk}/attachments/", {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 403
    assert not Attachment.objects.exists()


@pytest.fixture
def kept(planner, action):
    return attachments.add_attachment(
        upload=SimpleUploadedFile("policy.pdf", PDF),
        by=planner,
        organisation=action.checklist.organisation,
        mitigation=action,
    )


def test_organisation_b_and_people_signed_out_get_404_even_guessing_the_storage_name(client, outsider, kept):
    url = f"/app/attachments/{kept.pk}/download/"
    assert client.get(url).status_code == 302  # to sign in; nothing of the file
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    # No URL serves stored files by their name: not MEDIA_URL, not the static route, not under /app/.
    for guess in (
        f"/media/{kept.file.name}",
        f"/{kept.file.name}",
        f"/static/{kept.file.name}",
        f"/app/{kept.file.name}",
    ):
        assert client.get(guess).status_code == 404, guess
    client.logout()
    assert client.get(f"/media/{kept.file.name}").status_code == 404


def test_the_adder_or_a_manager_removes_a_file_and_the_history_says_who(
    client, manager, viewer, planner, action, kept, settings, django_capture_on_commit_callbacks
):
    client.force_login(viewer)
    assert client.post(f"/app/attachments/{kept.pk}/delete/").status_code == 403
    client.force_login(manager)
    assert "Remove “policy.pdf”?" in client.get(f"/app/attachments/{kept.pk}/delete/").content.decode()
    # The stored file goes once the removal is committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/app/attachments/{kept.pk}/delete/", follow=True)
    page = response.content.decode()
    assert "“policy.pdf” is removed." in page
    assert "“policy.pdf” removed by Maya" in page
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_another_planner_cannot_remove_a_file_they_did_not_add(client, org_a, action, kept):
    other = make_member(org_a, "quinn", "planner", "Quinn")
    client.force_login(other)
    assert client.post(f"/app/attachments/{kept.pk}/delete/").status_code == 403
    assert Attachment.objects.exists()


def test_deleting_the_organisation_removes_its_files(org_a, kept, settings, django_capture_on_commit_callbacks):
    assert len(stored_files(settings)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        org_a.delete()
    assert stored_files(settings) == []


def test_deleting_a_checklist_removes_its_files(
    client, owner, active_checklist, kept, settings, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/app/checklists/{active_checklist.pk}/delete/")
    assert stored_files(settings) == []


@pytest.mark.parametrize("count", [2, 20])
def test_the_item_page_lists_attachments_in_a_fixed_number_of_queries(
    client, planner, item, count, django_assert_num_queries
):
    for n in range(count):
        attachments.add_attachment(
            upload=SimpleUploadedFile(f"file{n}.pdf", PDF),
            by=planner,
            organisation=item.checklist.organisation,
            item=item,
        )
    removed = Attachment.objects.first()
    removed.delete()
    client.force_login(planner)
    client.get(f"/app/items/{item.pk}/")  # the generations (peerplan/pages/page_cache.py)
    organisation_generations.organisation_changed(item.checklist.organisation)
    # A cache miss: session, person with the bell's count (two cache reads), item with the membership, the body and its
    # generations (one cache read), mitigations, item history, comments (none: no mentions query),
    # attachments, removed attachments, members to mention, the checklist's check-in (none), storing the body
    # (database cache: count, then the upsert in a savepoint: 4). The evidence and suggestions are kept for
    # the evidence generation since the first read (tests/test_items.py).
    with django_assert_num_queries(15):
        response = client.get(f"/app/items/{item.pk}/")
    assert response.content.decode().count("/download/") == count - 1


def test_safe_file_names():
    assert uploads.safe_file_name("../../etc/passwd") == "passwd"
    assert uploads.safe_file_name("C:\\Users\\x\\report.pdf") == "report.pdf"
    assert uploads.safe_file_name('a"b;c\r\n.pdf') == "abc.pdf"
    assert uploads.safe_file_name("...") == "attachment"
    assert uploads.safe_file_name("Rôle — été.pdf") == "Rôle — été.pdf"
    assert len(uploads.safe_file_name("x" * 300 + ".pdf")) == 150


def test_s3_is_chosen_by_the_environment(monkeypatch):
    import importlib

    from peerplan import settings as project_settings

    monkeypatch.setenv("SECRET_KEY", "a-test-key-only-for-reloading-the-settings-module-here")
    monkeypatch.setenv("ATTACHMENTS_S3_BUCKET", "peerplan-files")
    monkeypatch.setenv("ATTACHMENTS_S3_ENDPOINT_URL", "https://s3.example.org")
    try:
        reloaded = importlib.reload(project_settings)
        assert reloaded.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
        assert reloaded.STORAGES["default"]["OPTIONS"]["bucket_name"] == "peerplan-files"
        assert reloaded.STORAGES["default"]["OPTIONS"]["default_acl"] == "private"
    finally:
        monkeypatch.delenv("ATTACHMENTS_S3_BUCKET")
        importlib.reload(project_settings)
    assert os.environ.get("ATTACHMENTS_S3_BUCKET") is None
    assert default_storage.__class__.__name__ == "FileSystemStorage"


def test_a_removal_that_rolls_back_keeps_its_file(kept, settings, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        kept.delete()
        raise RuntimeError("rolled back")
    assert len(stored_files(settings)) == 1 and Attachment.objects.exists()


def test_backup_and_restore_keep_attachments_with_the_media_directory(client, planner, kept, tmp_path):
    """The database file names each attachment's stored file; the media directory (or bucket) holds it.
    Backed up and restored together, the download works as before."""
    from django.core.management import call_command

    from peerplan.models import Comment
    from peerplan.operations.comments import post_comment

    post_comment(
        body="The signed policy is attached.", by=planner, organisation=kept.organisation, mitigation=kept.mitigation
    )
    backup = tmp_path / "backup.json"
    call_command("backup", output=str(backup), verbosity=0)
    models = backup.read_text()
    assert '"model": "peerplan.attachment"' in models and '"model": "peerplan.comment"' in models
    call_command("restore", str(backup), interactive=False, verbosity=0)
    restored = Attachment.objects.get()
    assert restored.name == "policy.pdf" and Comment.objects.get().body == "The signed policy is attached."
    client.force_login(restored.added_by)
    response = client.get(f"/app/attachments/{restored.pk}/download/")
    assert b"".join(response.streaming_content) == PDF


# Archives: Office and OpenDocument files are ZIP archives, opened without unpacking anything whole -----------

CHECK_IN_A_FRESH_PROCESS = """
import json, os, sys
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from peerplan.lib.errors import Refused
from peerplan.lib.uploads import check_upload
with open(sys.argv[1], "rb") as handle:
    upload = SimpleUploadedFile(os.path.basename(sys.argv[1]), handle.read())
try:
    check_upload(upload)
    refused = None
except Refused as error:
    refused = str(error)
status = open("/proc/self/status").read()
peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
print(json.dumps({"refused": refused, "peak_mb": peak_kb / 1024}))
"""


def check_in_a_fresh_process(path, settings):
    """check_upload in a new Python process, with its peak memory (VmHWM: the most it was ever resident), so
    the peak is this file's and not any earlier test's."""
    result = subprocess.run(
        [sys.executable, "-c", CHECK_IN_A_FRESH_PROCESS, str(path)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


BOMB = 200 * 1024 * 1024  # one repeated byte: about 200 KB deflated; read whole, 400 MB of memory or more


@pytest.mark.parametrize(
    ("name", "members"),
    [
        # The probe's file: an .odt whose `mimetype` unpacks to hundreds of MB.
        ("bomb.odt", {"mimetype": BOMB, "content.xml": "<office:document-content/>"}),
        ("bomb.odt", {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": BOMB}),
        ("bomb.docx", {"[Content_Types].xml": "<Types/>", "word/document.xml": BOMB}),
        ("bomb.xlsx", {"[Content_Types].xml": BOMB, "xl/workbook.xml": "<workbook/>"}),
    ],
)
def test_an_archive_that_unpacks_to_hundreds_of_mb_is_refused_in_little_memory(tmp_path, settings, name, members):
    bomb = tmp_path / name
    bomb.write_bytes(zipped(members))
    assert bomb.stat().st_size < 400 * 1024
    result = check_in_a_fresh_process(bomb, settings)
    print(f"{name} {list(members)}: peak {result['peak_mb']:.0f} MB")  # shown with pytest -s
    assert result["refused"] and "unpacks to far more than a document does" in result["refused"]
    assert result["peak_mb"] < 200


def test_an_archive_is_refused_over_its_caps_on_members_and_unpacked_size(monkeypatch):
    many = docx(**{f"word/media/image{n}.png": b"" for n in range(uploads.ARCHIVE_MAX_MEMBERS)})
    long_names = docx(**{f"word/{n:04}{'x' * 600}.xml": b"" for n in range(2000)})  # a directory over 1 MB
    for content in (many, long_names):
        with pytest.raises(Refused, match="unpacks to far more than a document does"):
            uploads.check_upload(SimpleUploadedFile("minutes.docx", content))
    # Each member within the ratio, all of them together over the unpacked cap.
    monkeypatch.setattr(uploads, "ARCHIVE_MAX_UNPACKED", 1024 * 1024)
    unpacked = docx(**{f"word/media/photo{n}.jpg": os.urandom(300 * 1024) for n in range(4)})
    with pytest.raises(Refused, match="unpacks to far more than a document does"):
        uploads.check_upload(SimpleUploadedFile("minutes.docx", unpacked))


def test_an_ordinary_archive_within_the_caps_is_kept():
    parts = {f"xl/worksheets/sheet{n}.xml": "<row><c>1</c></row>" * 2000 for n in range(50)}
    assert uploads.check_upload(SimpleUploadedFile("budget.xlsx", zipped({"[Content_Types].xml": "<Types/>", **parts})))
    assert uploads.check_upload(SimpleUploadedFile("minutes.odt", odt()))


# Macros: legacy Office (OLE2 compound files) and OpenDocument ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "tree"),
    [
        (
            "minutes.doc",
            {"WordDocument": b"w", "Macros": {"VBA": {"dir": b"d", "ThisDocument": b"x"}, "PROJECT": b"ID="}},
        ),
        ("budget.xls", {"Workbook": b"w", "_VBA_PROJECT_CUR": {"VBA": {"dir": b"d"}, "PROJECT": b"ID="}}),
        ("budget.xls", {"Workbook": b"w", "_VBA_PROJECT": b"\xcc\x61"}),
        ("slides.ppt", {"PowerPoint Document": b"p", "VBA": {"dir": b"d"}}),
    ],
)
def test_a_legacy_office_file_with_macros_is_refused(client, planner, action, settings, name, tree):
    client.force_login(planner)
    page = upload(client, action, name, compound_file(tree)).content.decode()
    assert f"“{name}” contains macros" in page
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_a_legacy_office_file_that_is_not_a_compound_file_or_not_its_type_is_refused():
    for name, content in [
        ("minutes.doc", uploads.OLE2 + b"\x00" * 2000),  # the signature, then nothing of a compound file
        ("minutes.doc", uploads.OLE2),
        ("minutes.doc", compound_file({"Workbook": b"w"})),  # a spreadsheet called .doc
        ("setup.xls", compound_file({"\x05SummaryInformation": b"s"})),  # an installer, or anything else
    ]:
        with pytest.raises(Refused, match="is called a .(doc|xls) file, but its content"):
            uploads.check_upload(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("name", "tree", "label"),
    [
        ("minutes.doc", {"WordDocument": b"w", "1Table": b"t", "\x05SummaryInformation": b"s"}, "Word document"),
        ("budget.xls", {"Workbook": b"w"}, "Excel workbook"),
        ("slides.ppt", {"PowerPoint Document": b"p", "Current User": b"u"}, "PowerPoint presentation"),
    ],
)
def test_a_legacy_office_file_without_macros_is_kept(client, planner, item, name, tree, label):
    client.force_login(planner)
    client.post(f"/app/items/{item.pk}/attachments/", {"file": SimpleUploadedFile(name, compound_file(tree))})
    assert Attachment.objects.get().type_label == label


@pytest.mark.parametrize(
    "members",
    [
        {"Basic__Standard__Module1.xml": "<script:module/>", "Basic__script-lc.xml": "<library:libraries/>"},
        {"basic__standard__module1.xml": "<script:module/>"},  # any case
        {"Scripts__python__macro.py": "import os"},
        {"META-INF__manifest.xml": ODT_MANIFEST.replace("content.xml", "Basic/Standard/Module1.xml")},
        {"META-INF__manifest.xml": ODT_MANIFEST.replace("content.xml", "Scripts/python/macro.py")},
        {
            "content.xml": '<office:document-content><office:event-listeners><script:event-listener script:language="ooo:script" '
            'script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document"/>'
            "</office:event-listeners></office:document-content>"
        },
    ],
)
def test_an_opendocument_file_with_macros_is_refused(client, planner, action, settings, members):
    client.force_login(planner)
    page = upload(client, action, "minutes.odt", odt(**members)).content.decode()
    assert "“minutes.odt” contains macros" in page
    assert not Attachment.objects.exists() and stored_files(settings) == []


# How much: refused before the file is taken in, and said so that the size visibly exceeds the limit ---------


class MultipartBody:
    """A multipart/form-data body made as it is read: the CSRF token first (a browser sends fields in the
    order of the form), then a file of `size` bytes. It counts what was read."""

    def __init__(self, token, size, boundary="peerplan-test-boundary"):
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self.head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-"
        ).encode()
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.length = len(self.head) + (size - 5) + len(self.tail)
        self.position = 0

    def read(self, size=-1):
        size = self.length - self.position if size is None or size < 0 else min(size, self.length - self.position)
        body_end = self.length - len(self.tail)
        out = bytearray()
        while len(out) < size:
            at = self.position + len(out)
            if at < len(self.head):
                out += self.head[at : at + size - len(out)]
            elif at < body_end:
                out += b"0" * min(size - len(out), body_end - at)
            else:
                out += self.tail[at - body_end : at - body_end + size - len(out)]
        self.position += len(out)
        return bytes(out)

    def readline(self, size=-1):
        body_end = self.length - len(self.tail)
        found = self.head.find(b"\n", self.position) if self.position < len(self.head) else -1
        if found < 0:  # the file's bytes hold no newline: the next is in the tail
            found = body_end + self.tail.find(b"\n", max(self.position - body_end, 0))
        end = found + 1 if size is None or size < 0 else min(found + 1, self.position + size)
        return self.read(end - self.position)


def test_an_upload_larger_than_the_limit_is_refused_before_its_file_is_taken_in(planner, action, settings, monkeypatch):
    from django.core.files import uploadhandler
    from django.test import Client

    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    taken_in = []
    for handler in (uploadhandler.MemoryFileUploadHandler, uploadhandler.TemporaryFileUploadHandler):
        original = handler.receive_data_chunk
        monkeypatch.setattr(
            handler,
            "receive_data_chunk",
            lambda self, raw_data, start, original=original: (
                taken_in.append(len(raw_data)) or original(self, raw_data, start)
            ),
        )
    client = Client(enforce_csrf_checks=True)  # the token is checked after the size limit is in place
    client.force_login(planner)
    client.get(f"/app/mitigations/{action.pk}/")
    body = MultipartBody(client.cookies["csrftoken"].value, size=3 * 1024 * 1024)
    response = client.post(
        f"/app/mitigations/{action.pk}/attachments/",
        follow=True,
        CONTENT_TYPE=body.content_type,
        CONTENT_LENGTH=str(body.length),
        **{"wsgi.input": body},
    )
    assert sum(taken_in) == 0  # not a byte of the file buffered in memory or written to a temporary file
    page = response.content.decode()
    assert response.status_code == 200
    assert "The file was not attached. “big.pdf” is about 3 MB; files can be at most 1 MB." in page
    assert body.position == body.length  # the rest was read and dropped, so the browser is answered
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_a_file_just_over_the_limit_is_shown_with_a_size_over_the_limit(client, planner, action, settings):
    limit = settings.ATTACHMENT_MAX_BYTES
    assert limit == 20 * 1024 * 1024  # the default, as the probe found it
    client.force_login(planner)
    page = upload(client, action, "big.pdf", PDF + b"0" * (limit + 30 * 1024 - len(PDF))).content.decode()
    assert "“big.pdf” is 20.03 MB; files can be at most 20 MB." in page
    page = upload(client, action, "big.pdf", PDF + b"0" * (limit + 1 - len(PDF))).content.decode()
    assert "“big.pdf” is 20,971,521 bytes; files can be at most 20 MB (20,971,520 bytes)." in page
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_an_attachment_without_the_csrf_token_is_still_refused(planner, action):
    """The attachment views check the token themselves (after the size limit is in place), not the middleware."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(planner)
    response = client.post(f"/app/mitigations/{action.pk}/attachments/", {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 403
    assert not Attachment.objects.exists()
