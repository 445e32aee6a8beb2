"""Attachments: kept only when their content is on the allow-list, within the limits, downloaded only
through the scoped view as attachments that can never run in PeerPlan's origin, removed with a history."""

import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from peerplan import attachments, page_cache
from peerplan.attachments import Attachment
from tests.factories import item_for, make_checklist, make_mitigation

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def checklist(org_a, owner):
    return make_checklist(org_a, "Community team plan", owner)


@pytest.fixture
def item(checklist):
    return item_for(checklist, "Role ambiguity")


@pytest.fixture
def action(item, planner):
    return make_mitigation(item, "Write the PSW job description", owner=planner)


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
    assert "content is not one" in upload(client, action, "minutes.docx", buffer.getvalue()).content.decode()
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
    from peerplan.models import Membership
    from tests.conftest import make_user

    other = make_user("quinn", "Quinn")
    Membership.objects.create(organisation=org_a, user=other, role="planner")
    client.force_login(other)
    assert client.post(f"/app/attachments/{kept.pk}/delete/").status_code == 403
    assert Attachment.objects.exists()


def test_deleting_the_organisation_removes_its_files(org_a, kept, settings, django_capture_on_commit_callbacks):
    assert len(stored_files(settings)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        org_a.delete()
    assert stored_files(settings) == []


def test_deleting_a_checklist_removes_its_files(
    client, owner, checklist, kept, settings, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/app/checklists/{checklist.pk}/delete/")
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
    client.get(f"/app/items/{item.pk}/")  # the generations (peerplan/page_cache.py)
    page_cache.organisation_changed(item.checklist.organisation)
    # A cache miss: session, user, item, membership, the body and its generations (one cache read),
    # references, perspectives, their references, mitigations, suggestions, source, item history, comments
    # (none: no mentions query), attachments, removed attachments, members to mention, "what services
    # like yours did" (the latest computation, the challenge's figure, its suggestions' figures), storing
    # the body (database cache: count, savepoint, select, insert, release), the bell's unread count
    with django_assert_num_queries(25):
        response = client.get(f"/app/items/{item.pk}/")
    assert response.content.decode().count("/download/") == count - 1


def test_safe_file_names():
    assert attachments.safe_file_name("../../etc/passwd") == "passwd"
    assert attachments.safe_file_name("C:\\Users\\x\\report.pdf") == "report.pdf"
    assert attachments.safe_file_name('a"b;c\r\n.pdf') == "abc.pdf"
    assert attachments.safe_file_name("...") == "attachment"
    assert attachments.safe_file_name("Rôle — été.pdf") == "Rôle — été.pdf"
    assert len(attachments.safe_file_name("x" * 300 + ".pdf")) == 150


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

    from peerplan.comments import Comment, post_comment

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
