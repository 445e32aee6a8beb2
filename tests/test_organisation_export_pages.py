"""The export page of an organisation's owners, its archives' downloads (owners only, 404 for everyone
else, also when guessed), the background build with its progress and its email, the 7-day retention, and
the import page and command."""

import io
import json
import zipfile
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from peerplan.models import Comment, Notification, Organisation, OrganisationExport
from peerplan.models.notifications import Kind
from peerplan.notify.context import unread_count
from peerplan.operations import organisation_import, organisation_purge
from peerplan.pages.organisation_export import write_archive
from tests.factories import make_checklist, make_member


def test_an_owner_downloads_a_small_organisations_archive_at_once(client, one_of_everything, org_a, owner):
    client.force_login(owner)
    page = client.get("/app/orgs/northside/export/")
    assert page.status_code == 200
    assert "<h1>Export this organisation's data</h1>" in page.content.decode()
    response = client.post("/app/orgs/northside/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="northside-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert json.loads(archive.read("organisation.json"))["organisation"]["name"] == org_a.name


def test_only_owners_see_the_export_page(client, one_of_everything, manager, viewer, outsider):
    for person, status in ((manager, 403), (viewer, 403), (outsider, 404)):
        client.force_login(person)
        assert client.get("/app/orgs/northside/export/").status_code == status
        assert client.post("/app/orgs/northside/export/").status_code == status
    assert OrganisationExport.objects.count() == 1  # the world's own


def test_a_large_organisation_is_prepared_in_the_background_and_emailed(
    client, one_of_everything, org_a, owner, settings
):
    settings.ORGANISATION_EXPORT_BACKGROUND_ROWS = 1
    settings.NOTIFICATION_EMAIL_DELAY = 0
    client.force_login(owner)
    response = client.post("/app/orgs/northside/export/")
    assert response.status_code == 302
    export = OrganisationExport.objects.waiting().get()
    page = client.get("/app/orgs/northside/export/").content.decode()
    assert f"Being prepared…</strong> 0 of {export.rows_total} records" in page
    # No automatic refresh (people who read slowly lose their place): a link to look again.
    assert "Check again" in page and 'http-equiv="refresh"' not in page

    call_command("build_organisation_exports", verbosity=0)

    export.refresh_from_db()
    assert export.is_ready and export.rows_done == export.rows_total
    page = client.get("/app/orgs/northside/export/").content.decode()
    assert f"/app/orgs/northside/exports/{export.pk}/" in page and "Being prepared" not in page
    download = client.get(f"/app/orgs/northside/exports/{export.pk}/")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "organisation.json" in archive.namelist()
    assert Notification.objects.filter(recipient=owner, kind=Kind.EXPORT).count() == 1
    call_command("send_notifications", verbosity=0)
    (email,) = [message for message in mail.outbox if "export" in message.body.lower()]
    assert email.to == [owner.email]
    assert "/app/orgs/northside/export/" in email.body


def test_an_archive_is_a_404_to_everyone_but_its_organisations_owners(
    client, one_of_everything, org_a, org_b, owner, manager, planner, viewer, outsider
):
    theirs = OrganisationExport.objects.create(organisation=org_b, requested_by=outsider, finished_at=timezone.now())
    theirs.file.save("b.zip", SimpleUploadedFile("b.zip", b"PK"), save=True)
    ours = one_of_everything["organisation_export"]
    for person in (manager, planner, viewer, outsider):
        client.force_login(person)
        assert client.get(f"/app/orgs/northside/exports/{ours}/").status_code == 404, person
    client.force_login(owner)
    assert client.get(f"/app/orgs/northside/exports/{ours}/").status_code == 200
    # Another organisation's id, guessed: through A's URL or B's, a 404 all the same.
    assert client.get(f"/app/orgs/northside/exports/{theirs.pk}/").status_code == 404
    assert client.get(f"/app/orgs/southside/exports/{theirs.pk}/").status_code == 404
    assert client.get(f"/app/orgs/northside/exports/{theirs.pk + 100}/").status_code == 404


def test_archives_are_removed_after_seven_days(client, one_of_everything, org_a, owner):
    export = OrganisationExport.objects.get(pk=one_of_everything["organisation_export"])
    stored = export.file.name
    OrganisationExport.objects.filter(pk=export.pk).update(requested_at=timezone.now() - timedelta(days=7, minutes=1))
    client.force_login(owner)
    assert client.get(f"/app/orgs/northside/exports/{export.pk}/").status_code == 404
    call_command("build_organisation_exports", verbosity=0)
    assert not OrganisationExport.objects.filter(pk=export.pk).exists()
    assert not default_storage.exists(stored)


def test_a_build_that_fails_is_shown_and_the_next_is_built(client, one_of_everything, org_a, owner, settings):
    settings.ORGANISATION_EXPORT_BACKGROUND_ROWS = 1
    client.force_login(owner)
    client.post("/app/orgs/northside/export/")
    with mock.patch("peerplan.pages.organisation_export.write_archive", side_effect=OSError("disk full")):
        call_command("build_organisation_exports", verbosity=0)
    assert "could not be prepared" in client.get("/app/orgs/northside/export/").content.decode()


def _archive(organisation):
    out = io.BytesIO()
    write_archive(organisation, out, now=timezone.now())
    return out.getvalue()


def _purge(organisation):
    Organisation.objects.filter(pk=organisation.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    organisation_purge.purge_organisation(organisation=organisation)


def test_where_sign_up_is_open_a_person_imports_an_archive_and_owns_it(client, one_of_everything, org_a, settings):
    archive = _archive(org_a)
    _purge(org_a)
    newcomer = make_member(Organisation.objects.create(name="Elsewhere", slug="elsewhere"), "nia", "viewer", "Nia")
    client.force_login(newcomer)
    assert "Import an organisation from its export" in client.get("/app/orgs/new/").content.decode()
    response = client.post(
        "/app/orgs/import/", {"archive": SimpleUploadedFile("a.zip", archive, content_type="application/zip")}
    )
    assert response.status_code == 302 and response["Location"] == "/app/orgs/northside/"
    imported = Organisation.objects.get(slug="northside")
    assert imported.memberships.filter(user=newcomer, role="owner").exists()
    assert imported.checklists.get().title == "Northside plan"
    # Anyone may write an archive: the people it names, though they are on this PeerPlan, are only invited,
    # never made members (or named on what they wrote) by someone who is not a site administrator.
    assert list(imported.memberships.values_list("user", flat=True)) == [newcomer.pk]
    assert imported.invitations.filter(email="olive@example.org").exists()
    assert not Comment.objects.filter(organisation=imported, author__isnull=False).exclude(author=newcomer).exists()

    settings.SIGNUP_MODE = "invitation"
    assert client.get("/app/orgs/import/").status_code == 404
    assert "Import an organisation" not in client.get("/app/orgs/new/").content.decode()


def test_the_import_page_lists_what_stops_an_import(client, one_of_everything, org_a, owner):
    archive = _archive(org_a)
    client.force_login(owner)
    response = client.post(
        "/app/orgs/import/", {"archive": SimpleUploadedFile("a.zip", archive[:-40], content_type="application/zip")}
    )
    assert response.status_code == 400
    assert "cut short" in response.content.decode()


def test_a_site_administrator_imports_with_the_command(one_of_everything, org_a, tmp_path, owner):
    path = tmp_path / "northside.zip"
    path.write_bytes(_archive(org_a))
    _purge(org_a)
    out = io.StringIO()
    call_command("import_organisation", str(path), stdout=out)
    assert "Imported Northside Mental Health Service as /app/orgs/northside/." in out.getvalue()
    assert Organisation.objects.get(slug="northside").memberships.filter(user=owner, role="owner").exists()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as target:
        target.writestr("x.txt", "x")
    with pytest.raises(CommandError, match="not a PeerPlan organisation archive"):
        call_command("import_organisation", str(bad), stdout=out)


def test_an_import_marks_the_new_organisations_pages_changed(one_of_everything, org_a):
    archive = _archive(org_a)
    _purge(org_a)
    with mock.patch.object(
        organisation_import, "organisation_changed", wraps=organisation_import.organisation_changed
    ) as spy:
        report = organisation_import.import_organisation(fileobj=io.BytesIO(archive))
    spy.assert_called_once_with(report.organisation)


@pytest.mark.parametrize("size", [1, 10])
def test_the_export_page_reads_the_same_number_of_queries_whatever_the_organisation_holds(
    client, org_a, owner, django_assert_num_queries, size
):
    for n in range(size):
        make_checklist(org_a, f"Ward {n} plan", by=owner)
        export = OrganisationExport.objects.create(organisation=org_a, requested_by=owner, rows_total=10)
        export.file.save(f"{n}.zip", SimpleUploadedFile(f"{n}.zip", b"PK"), save=False)
        export.finished_at = export.requested_at
        export.save()
    client.force_login(owner)
    unread_count(owner)  # the bell's count, counted once: a cache read below (tests/test_unread_count.py)
    with django_assert_num_queries(QUERIES):
        assert client.get("/app/orgs/northside/export/").status_code == 200


# session, person with the bell's count (two cache reads), membership with its organisation, two-factor (none set up), the exports listed, and the
# counts saying whether it is large: members, invitations, checklists, items, actions, comments, files, own
# check-in statements, check-ins, and the history of checklists, items, actions, comments and files
QUERIES = 18
