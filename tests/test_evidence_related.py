"""Curators link themes of different sources that speak to the same thing; the item page shows the related
evidence from the other sources, each with its provenance; links travel in the interchange format. The
second source is the invented test fixture, never real evidence."""

import json

import pytest

from evidence.interchange import export_evidence, import_evidence
from evidence.models import Source, Theme
from peerplan.operations.checklists import create_checklist_from_evidence
from tests.worlds import framework


@pytest.fixture
def linked(db):
    import_evidence(framework())
    workload = Theme.objects.get(name="Workload")
    reflection = Theme.objects.get(name="Protected time for reflection")
    workload.related.add(reflection)
    return workload, reflection


def test_the_item_page_shows_related_evidence_from_other_sources_with_its_provenance(client, linked, org_a, planner):
    checklist = create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=planner, status="active")
    client.force_login(planner)
    workload_item = checklist.items.get(finding__theme__name="Workload", finding__valence="challenge")
    text = client.get(f"/app/items/{workload_item.pk}/").content.decode()
    assert "Related evidence from other sources" in text
    assert '<a href="/evidence/themes/protected-time-for-reflection/">Protected time for reflection</a>' in text
    assert "(Domain: Inner setting) · from Example framework (test fixture), version 1" in text
    assert "Test Author A et al. An invented implementation framework" in text

    # The link works both ways.
    reflection_item = checklist.items.get(finding__theme__name="Protected time for reflection")
    text = client.get(f"/app/items/{reflection_item.pk}/").content.decode()
    assert '<a href="/evidence/themes/workload/">Workload</a> (Category: Organisational challenges and impact)' in text
    assert "from Cooper et al. 2024, Table 6, version 1" in text


def test_an_item_without_links_shows_no_related_section(client, linked, org_a, planner):
    checklist = create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=planner)
    client.force_login(planner)
    item = checklist.items.get(finding__theme__name="Role ambiguity", finding__valence="challenge")
    assert "Related evidence" not in client.get(f"/app/items/{item.pk}/").content.decode()


def test_a_retired_related_theme_is_not_shown(client, linked, org_a, planner):
    checklist = create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=planner)
    data = framework(version=2)
    data["sources"][0]["categories"][0]["themes"].pop(1)  # retires "Protected time for reflection"
    import_evidence(data)
    client.force_login(planner)
    item = checklist.items.get(finding__theme__name="Workload", finding__valence="challenge")
    assert "Protected time for reflection" not in client.get(f"/app/items/{item.pk}/").content.decode()


def test_links_travel_in_the_interchange_format(linked):
    data = export_evidence()
    table6, fixture = data["sources"]
    workload = next(t for c in table6["categories"] for t in c["themes"] if t["name"] == "Workload")
    assert workload["related"] == [{"source": "example-framework", "theme": "Protected time for reflection"}]

    # Into a database that has both sources but no links: the release links them.
    linked[0].related.clear()
    table6["version"] = 2
    report = import_evidence({"format": "peerplan-evidence/2", "sources": [table6]})
    assert list(Theme.objects.get(name="Workload").related.values_list("name", flat=True)) == [
        "Protected time for reflection"
    ]
    assert report.sources[0].related_skipped == 0


def test_a_link_to_a_source_that_is_not_here_is_skipped_and_counted(linked):
    data = json.loads(json.dumps(export_evidence(Source.objects.filter(slug="cooper-2024-table-6"))))
    [table6] = data["sources"]
    table6["version"] = 2
    workload = next(t for c in table6["categories"] for t in c["themes"] if t["name"] == "Workload")
    workload["related"].append({"source": "not-loaded", "theme": "Anything"})
    report = import_evidence(data, dry_run=True)
    assert report.sources[0].related_skipped == 1
    assert "  1 related-evidence links skipped (their theme is not here)" in report.lines()


def test_curators_link_themes_in_the_admin_among_published_themes(client, linked, curator):
    client.force_login(curator)
    workload = linked[0]
    text = client.get(f"/admin/evidence/theme/{workload.pk}/change/").content.decode()
    assert 'name="related"' in text
    assert "Protected time for reflection" in text
