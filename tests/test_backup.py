"""`manage.py backup` and `restore`: an organisation's whole data survives a round trip, between SQLite
and PostgreSQL too, and a file that does not load changes nothing."""

import json
import os
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from evidence.models import Finding, Theme
from peerplan.models import Checklist, Item, Membership, Mitigation, MitigationStatus, Organisation
from tests.factories import make_user
from tests.production import clean_env, manage


@pytest.fixture
def organisation_to_back_up(db):
    """An organisation with members, a checklist, items (a challenge that applies, one that does not),
    mitigations in several states, their history, and a group with a permission."""
    organisation = Organisation.objects.create(name="Northside <b>Mental</b> Health", slug="northside")
    olive = make_user("olive", "Olive")
    pat = make_user("pat", "Patrício")
    Membership.objects.create(organisation=organisation, user=olive, role="owner")
    Membership.objects.create(organisation=organisation, user=pat, role="planner")
    checklist = Checklist.objects.create(
        organisation=organisation,
        title="Peer support on the wards — 2026",
        service="Acute inpatient",
        status="active",
        review_date=date(2026, 12, 1),
        created_by=olive,
    )
    challenges = list(Finding.objects.filter(valence="challenge").order_by("pk")[:3])
    applies = Item.objects.create(checklist=checklist, finding=challenges[0], priority="high", note="Ward 3 first")
    Item.objects.create(checklist=checklist, finding=challenges[1], applies=False, not_applicable_reason="No PSWs yet")
    mitigation = Mitigation.objects.create(
        checklist=checklist,
        action="Write a role description with the PSWs — “co-produced”, <script>alert(1)</script>",
        owner=pat,
        due_date=date(2026, 1, 31),
        created_by=olive,
    )
    mitigation.items.add(applies)
    mitigation.status = MitigationStatus.IN_PROGRESS
    mitigation.version = 2
    mitigation.save()
    Mitigation.objects.create(
        checklist=checklist, action="Monthly supervision", owner_name="An external supervisor"
    ).items.add(applies)
    group = Group.objects.create(name="Reporting")
    group.permissions.add(Permission.objects.get(codename="view_checklist"))
    pat.groups.add(group)
    return organisation


def flush():
    """Empty the database as a fresh one would be (PostgreSQL: checks pending from this test's own rows run
    first, as they would at a commit, because TRUNCATE refuses to run with them pending)."""
    if connection.vendor == "postgresql":
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if connection.vendor == "postgresql":
        connection.cursor().execute("SET CONSTRAINTS ALL DEFERRED")


def dump(path):
    """Everything a backup holds, as sorted JSON text per object: what must be identical after a restore."""
    call_command("backup", output=str(path), verbosity=0)
    return sorted(json.dumps(row, sort_keys=True) for row in json.loads(path.read_text()))


def assert_same_rows(after, before):
    """Equal dumps; when not, the rows only one side has (a sorted list's first difference says little)."""
    assert (sorted(set(after) - set(before)), sorted(set(before) - set(after))) == ([], [])
    assert after == before


def test_a_backup_restored_into_an_emptied_database_gives_back_identical_data(organisation_to_back_up, tmp_path):
    before = dump(tmp_path / "before.json")
    flush()
    assert not Organisation.objects.exists() and not Theme.objects.exists()

    call_command("restore", str(tmp_path / "before.json"), interactive=False, verbosity=0)

    assert_same_rows(dump(tmp_path / "after.json"), before)
    mitigation = Mitigation.objects.get(owner__username="pat")
    assert mitigation.action.startswith("Write a role description with the PSWs — “co-produced”")
    assert mitigation.status == "in_progress" and mitigation.version == 2
    assert mitigation.checklist.organisation.name == "Northside <b>Mental</b> Health"
    assert mitigation.history.count() == 2  # created, then changed: the history came back too
    assert Membership.objects.get(user__username="pat").role == "planner"
    assert get_user_model().objects.get(username="pat").check_password("correct-horse-battery-staple")
    assert list(Group.objects.get(name="Reporting").permissions.values_list("codename", flat=True)) == [
        "view_checklist"
    ]
    assert Item.objects.get(applies=False).not_applicable_reason == "No PSWs yet"
    assert Theme.objects.count() > 0


def test_times_come_back_to_the_microsecond(organisation_to_back_up, tmp_path):
    """Django's JSON cuts times to milliseconds: a time 1-999 microseconds past a whole millisecond, as about
    one in a thousand of those a test makes, was written "…:00.000Z" and read back as "…:00Z", and the round
    trip above failed now and then. A backup keeps every time whole."""
    mitigation = Mitigation.objects.get(owner__username="pat")
    Mitigation.objects.filter(pk=mitigation.pk).update(
        created_at=datetime(2026, 3, 1, 9, 30, 0, 500, tzinfo=UTC),
        updated_at=datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC),
    )
    mitigation.history.update(history_date=datetime(2026, 3, 1, 9, 30, 0, 999, tzinfo=UTC))
    before = dump(tmp_path / "before.json")
    flush()

    call_command("restore", str(tmp_path / "before.json"), interactive=False, verbosity=0)

    assert_same_rows(dump(tmp_path / "after.json"), before)
    restored = Mitigation.objects.get(owner__username="pat")
    assert restored.created_at == datetime(2026, 3, 1, 9, 30, 0, 500, tzinfo=UTC)
    assert restored.updated_at == datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
    assert {h.history_date.microsecond for h in restored.history.all()} == {999}


def test_a_backup_holds_the_planning_data_and_leaves_out_what_is_rebuilt(organisation_to_back_up, tmp_path):
    path = tmp_path / "backup.json"
    call_command("backup", output=str(path), verbosity=0)

    models = {row["model"] for row in json.loads(path.read_text())}

    assert {"peerplan.organisation", "peerplan.checklist", "peerplan.item", "peerplan.mitigation"} <= models
    assert {"peerplan.historicalmitigation", "auth.user", "auth.group", "evidence.theme"} <= models
    assert not models & {"contenttypes.contenttype", "auth.permission", "sessions.session", "admin.logentry"}
    assert not any(model.startswith("axes.") for model in models)


def test_a_compressed_backup_restores_too(organisation_to_back_up, tmp_path):
    before = dump(tmp_path / "before.json")
    call_command("backup", output=str(tmp_path / "backup.json.gz"), verbosity=0)
    Organisation.objects.all().delete()

    call_command("restore", str(tmp_path / "backup.json.gz"), interactive=False, verbosity=0)

    assert_same_rows(dump(tmp_path / "after.json"), before)


def test_a_file_that_does_not_load_changes_nothing(organisation_to_back_up, tmp_path):
    before = dump(tmp_path / "before.json")
    broken = tmp_path / "broken.json"
    broken.write_text((tmp_path / "before.json").read_text()[:5000])  # cut off half-way

    with pytest.raises(CommandError, match="Restore failed, nothing was changed"):
        call_command("restore", str(broken), interactive=False, verbosity=0)

    assert_same_rows(dump(tmp_path / "after.json"), before)


def test_restore_asks_before_replacing_everything(organisation_to_back_up, tmp_path, monkeypatch):
    path = tmp_path / "backup.json"
    call_command("backup", output=str(path), verbosity=0)
    Checklist.objects.update(title="Changed since the backup")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")

    with pytest.raises(CommandError, match="Restore cancelled; nothing was changed"):
        call_command("restore", str(path), verbosity=0)

    assert Checklist.objects.get().title == "Changed since the backup"


def test_restore_without_anyone_to_ask_changes_nothing(organisation_to_back_up, tmp_path, monkeypatch):
    path = tmp_path / "backup.json"
    call_command("backup", output=str(path), verbosity=0)
    Checklist.objects.update(title="Changed since the backup")

    def no_terminal(prompt):
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)

    with pytest.raises(CommandError, match="confirm with --noinput"):
        call_command("restore", str(path), verbosity=0)

    assert Checklist.objects.get().title == "Changed since the backup"


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs DATABASE_URL=postgres://..."
)
def test_a_postgresql_backup_restores_into_sqlite_and_back(organisation_to_back_up, tmp_path):
    assert connection.vendor == "postgresql"
    from_postgres = dump(tmp_path / "postgres.json")
    sqlite = clean_env(DEBUG="true", SQLITE_PATH=tmp_path / "db.sqlite3")

    for command in (
        ["migrate", "--noinput", "-v0"],
        ["restore", str(tmp_path / "postgres.json"), "--noinput"],
        ["backup", "-o", str(tmp_path / "sqlite.json")],
    ):
        result = manage(*command, env=sqlite)
        assert result.returncode == 0, result.stderr
    from_sqlite = sorted(json.dumps(row, sort_keys=True) for row in json.loads((tmp_path / "sqlite.json").read_text()))
    assert from_sqlite == from_postgres

    flush()
    call_command("restore", str(tmp_path / "sqlite.json"), interactive=False, verbosity=0)

    assert dump(tmp_path / "again.json") == from_postgres
    # Sequences were moved past the restored ids: new rows get fresh ids.
    assert Organisation.objects.create(name="New", slug="new").pk > organisation_to_back_up.pk


def tampered(path, tmp_path, name, change):
    rows = json.loads(path.read_text())
    change(rows)
    target = tmp_path / name
    target.write_text(json.dumps(rows))
    return target


def _another_schemas_field(rows):
    row = next(row for row in rows if row["model"] == "peerplan.mitigation")
    row["fields"]["colour"] = "red"  # a field this version of PeerPlan does not have


def _another_schemas_model(rows):
    rows.append({"model": "peerplan.widget", "pk": 1, "fields": {"name": "from another version"}})


def _a_row_pointing_at_nothing(rows):
    row = next(row for row in rows if row["model"] == "peerplan.mitigation")
    row["fields"]["item"] = 987654  # no such item in the file


@pytest.mark.parametrize(
    "change", [_another_schemas_field, _another_schemas_model, _a_row_pointing_at_nothing], ids=lambda c: c.__name__
)
def test_a_file_with_a_row_of_another_schema_is_refused_and_changes_nothing(organisation_to_back_up, tmp_path, change):
    before = dump(tmp_path / "before.json")
    bad = tampered(tmp_path / "before.json", tmp_path, "bad.json", change)
    Checklist.objects.update(title="Changed since the backup")
    expected = dump(tmp_path / "expected.json")

    with pytest.raises(CommandError, match="Restore failed, nothing was changed"):
        call_command("restore", str(bad), interactive=False, verbosity=0)

    assert dump(tmp_path / "after.json") == expected != before


@pytest.mark.parametrize("name", ["backup.json", "backup.json.gz"])
def test_a_file_cut_in_half_is_refused_and_changes_nothing(organisation_to_back_up, tmp_path, name):
    call_command("backup", output=str(tmp_path / name), verbosity=0)
    whole = (tmp_path / name).read_bytes()
    (tmp_path / f"half-{name}").write_bytes(whole[: len(whole) // 2])
    Checklist.objects.update(title="Changed since the backup")
    expected = dump(tmp_path / "expected.json")

    with pytest.raises(CommandError, match="Restore failed, nothing was changed"):
        call_command("restore", str(tmp_path / f"half-{name}"), interactive=False, verbosity=0)

    assert dump(tmp_path / "after.json") == expected
