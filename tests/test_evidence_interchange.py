"""export_evidence / import_evidence: a lossless round trip, clear errors that change nothing, and updates
in place that keep checklists working."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from evidence import cache
from evidence.interchange import dumps
from evidence.models import Category, Finding, Perspective, Reference, Source, Statement, Theme
from evidence.parser import parse_table6
from peerplan.models import SuggestedMitigation

# The published Table 6, shipped beside the parser (evidence/data/README.md says where it comes from).
SEED = Path(__file__).resolve().parents[1] / "evidence" / "data" / "table6.txt"
FIXTURE = Path(__file__).resolve().parents[1] / "evidence" / "fixtures" / "table6.json"


def export_text():
    out = StringIO()
    call_command("export_evidence", stdout=out)
    return out.getvalue()


def write(tmp_path, data, name="release.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def import_file(path):
    out = StringIO()
    call_command("import_evidence", path, stdout=out)
    return out.getvalue()


def theme_data(data, name):
    return next(t for source in data["sources"] for c in source["categories"] for t in c["themes"] if t["name"] == name)


@pytest.fixture
def used_finding(org_a):
    """A checklist item on the Workload challenge, as planning would create it."""
    from peerplan.models import Checklist, Item

    checklist = Checklist.objects.create(organisation=org_a, title="Ward 4 peer support")
    finding = Finding.objects.get(theme__name="Workload", valence="challenge")
    Item.objects.create(checklist=checklist, finding=finding)
    return finding


def test_export_then_import_into_an_empty_database_gives_identical_bytes(db, tmp_path):
    Reference.objects.filter(number=23).update(citation="Walker G, Bryant W. Peer support in adult mental health.")
    first = export_text()
    path = write(tmp_path, first)

    SuggestedMitigation.objects.all().delete()  # they cite the sources, which may not go while they do
    Statement.objects.all().delete()  # the check-in statements too (they come back from the file)
    Perspective.objects.all().delete()
    Finding.objects.all().delete()
    Theme.objects.all().delete()
    Category.objects.all().delete()
    Reference.objects.all().delete()
    Source.objects.all().delete()
    assert export_text() != first

    import_file(path)
    assert export_text() == first
    assert Theme.objects.count() == 20
    [source] = json.loads(first)["sources"]
    samples = [s for c in source["categories"] for t in c["themes"] for f in t["findings"] for s in f["samples"]]
    assert Perspective.objects.count() == len(samples)


def test_export_writes_a_file_with_dash_o(db, tmp_path):
    target = tmp_path / "evidence.json"
    call_command("export_evidence", "-o", str(target), stderr=StringIO())
    assert target.read_text(encoding="utf-8") == export_text()
    assert json.loads(target.read_text(encoding="utf-8"))["format"] == "peerplan-evidence/2"


def test_the_exported_release_starts_with_the_format_tag_and_keeps_the_published_order(db):
    data = json.loads(export_text())
    assert data["format"] == "peerplan-evidence/2"
    [data] = data["sources"]
    assert (data["id"], data["version"]) == ("cooper-2024-table-6", 1)
    assert [c["name"] for c in data["categories"]] == [
        "What the PSW role can bring",
        "Confusion over the PSW role",
        "Organisational challenges and impact",
        "Other",
    ]
    assert data["categories"][3]["themes"][0]["findings"][0]["kind"] is None


def _bad(edit):
    def make():
        data = json.loads(FIXTURE.read_text(encoding="utf-8"))
        edit(data)
        return json.dumps(data)

    return make


def _set(path_fn, value):
    def edit(data):
        target, key = path_fn(data)
        target[key] = value

    return edit


BAD_INPUTS = {
    "not JSON": (lambda: '{"format": "peerplan-evidence/1", ', "not JSON"),
    "wrong format tag": (
        _bad(_set(lambda d: (d, "format"), "peerplan-evidence/3")),
        "format: expected 'peerplan-evidence/2' (or 'peerplan-evidence/1'), found 'peerplan-evidence/3'",
    ),
    "unknown group": (
        _bad(_set(lambda d: (d["categories"][1]["themes"][0]["findings"][1]["samples"][1], "group"), "Doctors")),
        "categories[1].themes[0].findings[1].samples[1].group: unknown group 'Doctors'",
    ),
    "reference not a number": (
        _bad(_set(lambda d: (d["categories"][0]["themes"][0]["findings"][0], "references"), [23, "34"])),
        "categories[0].themes[0].findings[0].references[1]: reference '34' is not a whole number above 0",
    ),
    "duplicate theme": (
        _bad(lambda d: d["categories"][3]["themes"].append(dict(d["categories"][2]["themes"][2]))),
        "categories[3].themes[1].name: duplicate theme 'Workload'",
    ),
    "unknown valence": (
        _bad(_set(lambda d: (d["categories"][0]["themes"][0]["findings"][0], "valence"), "good")),
        "categories[0].themes[0].findings[0].valence: unknown valence 'good'",
    ),
    "reference used but not listed": (
        _bad(lambda d: d["references"].pop(0)),
        "references: numbers used but not listed: [23]",
    ),
    "empty summary": (
        _bad(_set(lambda d: (d["categories"][0]["themes"][0]["findings"][0]["samples"][0], "summary"), " ")),
        "categories[0].themes[0].findings[0].samples[0].summary: is required text",
    ),
    "theme description too long": (
        _bad(_set(lambda d: (d["categories"][0]["themes"][0], "description"), "x" * 201)),
        "categories[0].themes[0].description: must be text of at most 200 characters",
    ),
    "top level not an object": (lambda: "[1, 2]", "file: the top level must be a JSON object"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gets_one_clear_line_and_leaves_the_database_unchanged(db, tmp_path, case):
    make, expected = BAD_INPUTS[case]
    before = export_text()
    path = write(tmp_path, make())
    with pytest.raises(CommandError) as error:
        import_file(path)
    message = str(error.value)
    assert expected in message
    assert message.startswith(path)
    assert "nothing was imported" in message
    assert "\n" not in message
    assert export_text() == before


def test_a_missing_file_is_named(db, tmp_path):
    with pytest.raises(CommandError, match="nowhere.json: no such file"):
        import_file(str(tmp_path / "nowhere.json"))


def test_the_command_exits_non_zero_with_the_message_on_stderr(db, tmp_path):
    from django.core.management import ManagementUtility

    path = write(tmp_path, "not json at all")
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_evidence", path]).execute()
    assert exit_info.value.code != 0


def next_release(data=None):
    """The exported Table 6 as its next version."""
    data = data or json.loads(export_text())
    data["sources"][0]["version"] += 1
    return data


def test_import_over_evidence_a_checklist_uses_updates_it_in_place(db, tmp_path, used_finding):
    data = next_release()
    sample = theme_data(data, "Workload")["findings"][0]["samples"][0]
    sample["summary"] = sample["summary"].replace("could be overwhelming", "was often overwhelming")
    assert Finding.objects.get(pk=used_finding.pk).evidence_changed_at is None

    output = import_file(write(tmp_path, data))

    used_finding.refresh_from_db()
    assert used_finding.items.count() == 1
    assert used_finding.theme.name == "Workload"
    assert "PSW workload was often overwhelming." in used_finding.perspectives.get().summary
    assert used_finding.evidence_changed_at is not None
    assert "1 changed" in output
    assert Source.objects.get().version == 2
    # Findings whose content did not change are not flagged.
    assert Finding.objects.exclude(pk=used_finding.pk).filter(evidence_changed_at__isnull=False).count() == 0


def test_a_release_that_drops_a_finding_a_checklist_uses_retires_it_and_keeps_the_item(db, tmp_path, used_finding):
    data = next_release()
    category = data["sources"][0]["categories"][2]
    category["themes"] = [t for t in category["themes"] if t["name"] != "Workload"]

    output = import_file(write(tmp_path, data))

    assert "1 retired: Workload: challenge" in output
    used_finding.refresh_from_db()
    assert used_finding.retired_in_version == 2
    assert used_finding.items.count() == 1
    # Gone from the current evidence: not exported, not on the public pages.
    assert "Workload" not in export_text()


def test_an_older_or_equal_version_is_refused_and_changes_nothing(db, tmp_path):
    before = export_text()
    data = json.loads(before)
    theme_data(data, "Workload")["findings"][0]["samples"][0]["summary"] += " Changed."
    with pytest.raises(CommandError) as error:
        import_file(write(tmp_path, data))
    message = str(error.value)
    assert (
        "sources[0].version: Cooper et al. 2024, Table 6 version 1 is not newer than the version 1 already loaded"
        in message
    )
    assert "\n" not in message
    assert export_text() == before


def test_import_invalidates_the_cached_evidence_pages(db, tmp_path, django_capture_on_commit_callbacks):
    before = cache.generation()
    with django_capture_on_commit_callbacks(execute=True):  # the generation is replaced when it commits
        import_file(write(tmp_path, next_release()))
    assert cache.generation() != before


def test_the_shipped_fixture_is_exactly_what_the_parser_makes_of_the_seed():
    assert json.loads(FIXTURE.read_text(encoding="utf-8")) == parse_table6(SEED.read_text(encoding="utf-8"))
    assert FIXTURE.read_text(encoding="utf-8") == dumps(parse_table6(SEED.read_text(encoding="utf-8")))


def test_a_fresh_database_holds_the_shipped_evidence_with_the_curated_caveat(db):
    [data] = json.loads(export_text())["sources"]
    # And PeerPlan's starter bank of check-in statements, one or two for every challenge theme.
    statements = {t["name"]: t.pop("statements", []) for c in data["categories"] for t in c["themes"]}
    challenges = {
        t["name"]
        for c in data["categories"]
        for t in c["themes"]
        if any(f["kind"] == "challenge" for f in t["findings"])
    }
    assert all(1 <= len(statements[name]) <= 2 for name in challenges)
    shipped = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for category in shipped["categories"]:
        for theme in category["themes"]:
            theme["related"] = []
            for finding in theme["findings"]:
                finding["kind"] = finding.pop("valence")
    assert data["categories"] == [
        {"name": c["name"], "themes": [{k: t[k] for k in ("name", "related", "findings")} for t in c["themes"]]}
        for c in shipped["categories"]
    ]
    assert data["references"] == shipped["references"]
    assert "97%" in Source.objects.get().caveat


def test_a_curators_theme_description_survives_the_round_trip_and_a_file_without_one_keeps_it(db, tmp_path):
    Theme.objects.filter(name="Workload").update(short_description="Too much to do in too little time.")
    exported = export_text()
    assert theme_data(json.loads(exported), "Workload")["description"] == "Too much to do in too little time."
    assert "description" not in theme_data(json.loads(exported), "Role ambiguity")

    data = json.loads(exported)
    data["sources"][0]["version"] += 1
    del theme_data(data, "Workload")["description"]
    theme_data(data, "Role ambiguity")["description"] = "Nobody is sure what the job is."
    import_file(write(tmp_path, data))

    assert Theme.objects.get(name="Workload").short_description == "Too much to do in too little time."
    assert Theme.objects.get(name="Role ambiguity").short_description == "Nobody is sure what the job is."


def test_statements_survive_the_round_trip_and_a_file_without_them_keeps_them(db, tmp_path):
    exported = json.loads(export_text())
    assert theme_data(exported, "Role ambiguity")["statements"] == [
        "I know what is and is not part of my role.",
        "The people I work with know what my role is.",
    ]
    data = json.loads(export_text())
    data["sources"][0]["version"] += 1
    del theme_data(data, "Workload")["statements"]
    theme_data(data, "Role ambiguity")["statements"] = [
        "I know where my role ends.",
        "I know what is and is not part of my role.",
    ]
    import_file(write(tmp_path, data))

    workload = Statement.objects.filter(theme__name="Workload")
    assert [s.text for s in workload.current()] == ["My workload is manageable."]
    role = Statement.objects.filter(theme__name="Role ambiguity").order_by("position")
    assert [s.text for s in role.current()] == [
        "I know where my role ends.",
        "I know what is and is not part of my role.",
    ]
    # Left out: retired, not deleted (rounds that asked it keep their figures).
    assert role.get(text="The people I work with know what my role is.").retired


def test_a_statement_too_long_is_refused_with_its_place(db, tmp_path):
    data = json.loads(export_text())
    theme_data(data, "Workload")["statements"] = ["x" * 201]
    data["sources"][0]["version"] += 1
    with pytest.raises(CommandError, match=r"themes\[\d+\]\.statements\[0\]: must be text of at most 200"):
        import_file(write(tmp_path, data))
