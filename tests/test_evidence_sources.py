"""Several sources side by side: Table 6 and a small invented framework (tests/fixtures/example_framework.json,
clearly not real evidence and never shipped), each with its own headings, kinds of finding, version,
provenance and "how to cite"; the "peerplan-evidence/2" format and its JSON Schema; dry runs."""

import copy
import json
import re
from io import StringIO
from pathlib import Path

import jsonschema
import pytest
from django.core.management import CommandError, call_command

from evidence.interchange import dumps, export_evidence, import_evidence
from evidence.models import Finding, Source, Theme
from tests.worlds import framework

HERE = Path(__file__).resolve().parent
SCHEMA = json.loads((HERE.parent / "evidence" / "peerplan-evidence-2.schema.json").read_text(encoding="utf-8"))
TABLE6_V1 = HERE.parent / "evidence" / "fixtures" / "table6.json"


def export_text(*args):
    out = StringIO()
    call_command("export_evidence", *args, stdout=out)
    text = out.getvalue()
    # Every exported file is valid against the documented schema.
    jsonschema.validate(json.loads(text), SCHEMA)
    return text


def run_import(tmp_path, data, *args):
    path = tmp_path / "release.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = StringIO()
    call_command("import_evidence", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def two_sources(db):
    import_evidence(framework())
    return Source.objects.get(slug="example-framework")


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


def test_the_evidence_index_lists_both_sources_and_filters_by_source(client, two_sources):
    text = page(client, "/evidence/")
    assert "exactly as published in 2 sources" in text
    assert 'href="/evidence/?source=example-framework">Example framework (test fixture)</a> · version 1' in text
    assert "Supervision by a peer lead" in text and "Role ambiguity" in text

    only = page(client, "/evidence/?source=example-framework")
    assert "Supervision by a peer lead" in only
    assert "Role ambiguity" not in only
    assert "2 of 2 themes match these filters." in only
    table6 = page(client, "/evidence/?source=cooper-2024-table-6")
    assert "Role ambiguity" in table6 and "Supervision by a peer lead" not in table6


def test_an_unknown_source_in_the_filter_is_explained_and_ignored(client, two_sources):
    text = page(client, "/evidence/?source=nope")
    assert "“nope” is not one of the sources" in text
    assert "Supervision by a peer lead" in text and "Role ambiguity" in text


def test_a_theme_page_of_the_second_source_has_its_own_heading_provenance_and_citation(client, two_sources):
    theme = Theme.objects.get(name="Supervision by a peer lead")
    text = page(client, theme.get_absolute_url())
    assert "Domain: Inner setting" in text
    assert "From Example framework (test fixture), version 1." in text
    assert "Written by hand for PeerPlan&#x27;s tests." in text
    assert "Licence: Test data, no licence" in text
    assert "This is a test fixture, not evidence." in text
    assert "How to cite:</strong> Test Author A et al. An invented implementation framework" in text
    assert ">Barrier</span>" in text and ">Facilitator</span>" in text
    # Table 6's own page keeps its own source.
    workload = page(client, "/evidence/themes/workload/")
    assert "Category: Organisational challenges and impact" in workload
    assert "10.1186/s12916-024-03260-y" in workload and "invented" not in workload


def test_the_kind_of_a_finding_says_what_a_checklist_plans_for(two_sources):
    barrier = Finding.objects.get(theme__name="Supervision by a peer lead", valence="barrier")
    facilitator = Finding.objects.get(theme__name="Supervision by a peer lead", valence="facilitator")
    challenge = Finding.objects.get(theme__name="Workload", valence="challenge")
    benefit = Finding.objects.filter(valence="benefit").first()
    none = Finding.objects.get(valence="")
    assert barrier.to_mitigate and challenge.to_mitigate
    assert facilitator.to_realise and benefit.to_realise
    assert none.plans_for is None


def test_a_new_checklist_plans_for_barriers_and_facilitators_like_challenges_and_benefits(
    client, two_sources, planner, org_a
):
    from peerplan.models import Checklist

    client.force_login(planner)
    response = client.post(f"/app/orgs/{org_a.slug}/checklists/new/", {"title": "Ward 9", "status": "active"})
    assert response.status_code == 302
    checklist = Checklist.objects.get(title="Ward 9")
    barrier = checklist.items.get(finding__valence="barrier", finding__theme__name="Supervision by a peer lead")
    facilitator = checklist.items.get(finding__valence="facilitator")
    assert barrier.applies and barrier.is_challenge
    assert not facilitator.applies and facilitator.is_benefit
    # 16 challenges + 2 barriers to mitigate; 9 benefits + 1 facilitator to realise.
    assert checklist.items.challenges().count() == 18
    assert checklist.items.count() == 28
    text = page(client, f"/app/items/{barrier.pk}/")
    assert "Inner setting · Barrier" in text


def test_export_one_source_or_all_and_the_round_trip_is_byte_identical(two_sources, tmp_path):
    everything = export_text()
    assert [s["id"] for s in json.loads(everything)["sources"]] == ["cooper-2024-table-6", "example-framework"]
    one = export_text("--source", "example-framework")
    assert [s["id"] for s in json.loads(one)["sources"]] == ["example-framework"]
    assert json.loads(one)["sources"][0] == json.loads(everything)["sources"][1]

    from evidence.models import Category, Perspective, Reference, Statement
    from peerplan.models import SuggestedMitigation

    SuggestedMitigation.objects.all().delete()  # they cite the sources, which may not go while they do
    Statement.objects.all().delete()  # the check-in statements too (they come back from the file)
    Perspective.objects.all().delete()
    Finding.objects.all().delete()
    Theme.objects.all().delete()
    Category.objects.all().delete()
    Reference.objects.all().delete()
    Source.objects.all().delete()
    run_import(tmp_path, json.loads(everything))
    assert export_text() == everything


def test_an_unknown_source_to_export_is_named(two_sources):
    with pytest.raises(CommandError, match="no published source with id nope"):
        export_text("--source", "nope")


def test_a_version_1_file_is_read_as_table_6_version_1(db):
    data = json.loads(TABLE6_V1.read_text(encoding="utf-8"))
    assert data["format"] == "peerplan-evidence/1"
    from evidence.interchange import validate

    [source] = validate(copy.deepcopy(data))["sources"]
    assert (source["id"], source["version"], source["name"]) == (
        "cooper-2024-table-6",
        1,
        "Cooper et al. 2024, Table 6",
    )
    assert source["categories"][3]["themes"][0]["findings"][0]["kind"] is None


def test_the_schema_refuses_what_the_importer_refuses(db):
    data = json.loads(export_text())
    data["sources"][0]["categories"][0]["themes"][0]["findings"][0]["kind"] = "good"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
    with pytest.raises(
        ValueError, match=r"sources\[0\]\.categories\[0\]\.themes\[0\]\.findings\[0\]\.kind: unknown kind 'good'"
    ):
        import_evidence(data)


BAD_V2 = {
    "missing version": (
        lambda d: d["sources"][0].pop("version"),
        "sources[0].version: must be a whole number above 0",
    ),
    "bad id": (lambda d: d["sources"][0].update(id="Not An Id"), "sources[0].id: must be a short identifier"),
    "duplicate source": (
        lambda d: d["sources"].append(copy.deepcopy(d["sources"][0])),
        "sources[1].id: duplicate source 'example-framework'",
    ),
    "unknown kind": (
        lambda d: d["sources"][0]["categories"][0]["themes"][1]["findings"][0].update(kind="obstacle"),
        "sources[0].categories[0].themes[1].findings[0].kind: unknown kind 'obstacle'",
    ),
    "no sources": (lambda d: d.update(sources=[]), "sources: must be a non-empty list"),
}


@pytest.mark.parametrize("case", list(BAD_V2))
def test_bad_version_2_input_is_refused_in_one_line_naming_the_place(db, tmp_path, case):
    edit, expected = BAD_V2[case]
    data = framework()
    edit(data)
    before = export_text()
    with pytest.raises(CommandError) as error:
        run_import(tmp_path, data)
    assert expected in str(error.value)
    assert "\n" not in str(error.value)
    assert "nothing was imported" in str(error.value)
    assert export_text() == before


def test_a_dry_run_lists_added_changed_and_retired_with_counts_per_organisation_and_changes_nothing(
    two_sources, tmp_path, org_a, org_b
):
    from peerplan.models import Checklist
    from peerplan.operations.checklists import create_checklist_from_evidence

    for title in ("Ward 1", "Ward 2"):
        create_checklist_from_evidence(organisation=org_a, title=title, by=None, status="active")
    create_checklist_from_evidence(organisation=org_b, title="Their plan", by=None, status="active")
    Checklist.objects.filter(title="Ward 2").update(status="archived")

    data = framework(version=2)
    themes = data["sources"][0]["categories"][0]["themes"]
    themes[0]["findings"][0]["samples"][0]["summary"] += " Revised."  # the barrier changes
    themes.pop(1)  # "Protected time for reflection" is retired
    themes.append(
        {
            "name": "Peer career pathway",
            "related": [],
            "findings": [
                {
                    "kind": "barrier",
                    "references": [1],
                    "samples": [
                        {"group": "PSWs", "references": [1], "summary": "Fixture text: no route to promotion."}
                    ],
                }
            ],
        }
    )
    before = dumps(export_evidence(Source.objects.all()))

    output = run_import(tmp_path, data, "--dry-run")

    assert "nothing was changed" in output
    assert "Example framework (test fixture) (example-framework): version 1 -> version 2" in output
    assert "  1 added: Peer career pathway: barrier" in output
    assert "  1 changed: Supervision by a peer lead: barrier" in output
    assert "  1 retired: Protected time for reflection: barrier" in output
    # Only counts per organisation: 2 items (changed + retired) in each of org A's 2 checklists; the new
    # challenge is offered to active checklists only.
    assert f"  {org_a.name}: 2 checklists, 4 items" in output
    assert f"  {org_b.name}: 1 checklists, 2 items" in output
    assert "Ward" not in output and "Their plan" not in output
    assert dumps(export_evidence(Source.objects.all())) == before
    assert Source.objects.get(slug="example-framework").version == 1


def test_table_6_reads_exactly_as_published_beside_a_second_source(client, two_sources):
    from django.utils.html import escape

    published = json.loads(TABLE6_V1.read_text(encoding="utf-8"))
    index = page(client, "/evidence/")
    # The note on reference numbers reads as it did before sources were first-class.
    note = escape("Reference numbers in square brackets are those of the review's own reference list: each is an")
    assert f"{note} included systematic review.</p>" in index
    for category in published["categories"]:
        assert escape(category["name"]) in index
        for theme in category["themes"]:
            slug = Theme.objects.get(name=theme["name"], category__source__slug="cooper-2024-table-6").slug
            text = page(client, f"/evidence/themes/{slug}/")
            assert f"<h1>{escape(theme['name'])}</h1>" in text
            assert f"Category: {escape(category['name'])}" in text
            for finding in theme["findings"]:
                label = (finding["valence"] or "none given").capitalize()
                assert f">{label}</span>" in text
                for number in finding["references"]:
                    # A link to its citation below once curated, until then to the review's own list (DOI).
                    assert re.search(rf'<a (class="ref-doi" )?href="[^"]+">\[{number}\]', text), number
                for sample in finding["samples"]:
                    assert f'<p class="published-text">{escape(sample["summary"])}</p>' in text
                    assert f"· references [{', '.join(str(n) for n in sample['references'])}]" in text


def test_the_statements_section_is_optional_and_checked_alike_by_the_schema_and_the_importer(db):
    data = json.loads(export_text())  # with statements: valid (export_text checks every export)
    for category in data["sources"][0]["categories"]:
        for theme in category["themes"]:
            theme.pop("statements", None)
    jsonschema.validate(data, SCHEMA)  # without them: still valid
    data["sources"][0]["categories"][0]["themes"][0]["statements"] = ["x" * 201]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
    with pytest.raises(ValueError, match=r"themes\[0\]\.statements\[0\]: must be text of at most 200 characters"):
        import_evidence(data)
