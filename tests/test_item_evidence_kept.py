"""The item page's evidence-only part (the finding's references, its perspectives and theirs, the suggested
actions for its theme with their citations and figures, related themes of other sources) is kept by each
process for the evidence generation (pages/checklists.py: EvidenceOnly). Each test reads the page once, so
the part is kept, changes one thing the page shows, and reads it again: the change shows at once.

Writes commit here, as in production (a test's own transaction never commits, and its uncommitted token
would rebuild the part on any write): the generations move when a write commits."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence.interchange import import_evidence
from evidence.models import Perspective, Reference, Source, Theme
from peerplan.models import ImplementationPhase, SuggestedMitigation
from peerplan.operations import mitigations
from peerplan.operations.checklists import create_checklist_from_evidence
from tests.factories import item_for, make_checklist, make_own_source
from tests.worlds import framework, item_on, version_2

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture
def role_ambiguity(org_a, planner):
    return item_for(make_checklist(org_a, "Northside plan", by=planner), "Role ambiguity")


def read(client, item):
    return client.get(f"/app/items/{item.pk}/").content.decode()


def first_suggestion(item):
    return SuggestedMitigation.objects.filter(themes=item.finding.theme_id, is_published=True).order_by("position")[0]


def test_after_a_write_to_the_organisation_the_evidence_is_not_read_again(client, planner, role_ambiguity):
    client.force_login(planner)
    read(client, role_ambiguity)
    mitigations.create_mitigation(item=role_ambiguity, changes={"action": "Weekly huddle"}, by=planner)
    with CaptureQueriesContext(connection) as queries:
        page = read(client, role_ambiguity)
    assert "Weekly huddle" in page  # the body was built again...
    read_tables = " ".join(query["sql"] for query in queries.captured_queries)
    # ...without the evidence, the suggestions or their figures.
    for table in ("evidence_perspective", "peerplan_suggestedmitigation", "peerplan_sharedlearningrun"):
        assert f'FROM "{table}"' not in read_tables
    perspective = role_ambiguity.finding.perspectives.order_by("position")[0]
    assert perspective.summary in page


def test_an_edit_to_a_perspective_shows_at_once(client, planner, role_ambiguity):
    client.force_login(planner)
    read(client, role_ambiguity)
    perspective = Perspective.objects.filter(finding=role_ambiguity.finding).order_by("position")[0]
    perspective.summary = "Fixture text: curators reworded this perspective."
    perspective.save()
    assert "Fixture text: curators reworded this perspective." in read(client, role_ambiguity)


def test_a_reference_added_to_the_finding_or_a_perspective_shows_at_once(client, planner, role_ambiguity):
    client.force_login(planner)
    read(client, role_ambiguity)
    source = role_ambiguity.finding.theme.category.source
    added = Reference.objects.create(source=source, number=999, citation="Fixture reference added by curators")
    role_ambiguity.finding.references.add(added)
    assert "[999] Fixture reference added by curators" in read(client, role_ambiguity)
    perspective = Perspective.objects.filter(finding=role_ambiguity.finding).order_by("position")[0]
    perspective.references.set([added])
    page = read(client, role_ambiguity)
    assert "References [999]</span>" in page
    assert "Cites" in page or "reviews" in page  # the strength is counted from the same references


def test_a_release_shows_at_once(client, org_a, owner, planner):
    import_evidence(framework())
    checklist = create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=owner, status="active")
    supervision, reflection = (
        item_on(checklist, "Supervision by a peer lead"),
        item_on(checklist, "Protected time for reflection"),
    )
    client.force_login(planner)
    assert "Revised." not in read(client, supervision)
    assert "No longer in the current evidence" not in read(client, reflection)
    import_evidence(version_2())
    assert "Fixture text: no peer lead was available to supervise. Revised." in read(client, supervision)
    assert "No longer in the current evidence (removed in version 2)" in read(client, reflection)


def test_a_suggested_actions_edit_phase_and_citation_show_at_once(client, planner, role_ambiguity):
    client.force_login(planner)
    read(client, role_ambiguity)
    suggestion = first_suggestion(role_ambiguity)
    suggestion.title = "Fixture title: a reworded suggestion"
    suggestion.save()
    assert "Fixture title: a reworded suggestion" in read(client, role_ambiguity)

    phase = ImplementationPhase.objects.order_by("position")[0]
    suggestion.phase = phase
    suggestion.save()
    phase.name = "Fixture phase renamed"
    phase.save()
    assert "· Fixture phase renamed</span>" in read(client, role_ambiguity)

    source = Source.objects.filter(organisation__isnull=True).order_by("pk")[0]
    suggestion.source = source
    suggestion.provenance, suggestion.source_note = "published", ""
    suggestion.save()
    suggestion.references.set([Reference.objects.create(source=source, number=998)])
    assert f"Source: {source.name} [998]" in read(client, role_ambiguity)


def test_a_suggested_action_published_or_withdrawn_shows_at_once(client, planner, role_ambiguity):
    client.force_login(planner)
    suggestion = first_suggestion(role_ambiguity)
    assert suggestion.title in read(client, role_ambiguity)
    suggestion.is_published = False
    suggestion.save()
    assert suggestion.title not in read(client, role_ambiguity)
    new = SuggestedMitigation.objects.create(
        title="Fixture: a new curated suggestion", provenance="curator", is_published=True
    )
    new.themes.add(role_ambiguity.finding.theme)
    assert "Fixture: a new curated suggestion" in read(client, role_ambiguity)


def test_a_related_theme_linked_shows_at_once(client, planner, role_ambiguity):
    import_evidence(framework())
    client.force_login(planner)
    assert "Related evidence from other sources" not in read(client, role_ambiguity)
    role_ambiguity.finding.theme.related.add(Theme.objects.get(name="Protected time for reflection"))
    assert '<a href="/evidence/themes/protected-time-for-reflection/">Protected time for reflection</a>' in read(
        client, role_ambiguity
    )


def test_a_computation_of_the_figures_shows_at_once(client, planner, role_ambiguity):
    client.force_login(planner)
    assert "These figures have not been computed yet." in read(client, role_ambiguity)
    call_command("compute_shared_learning", stdout=open("/dev/null", "w"))
    page = read(client, role_ambiguity)
    assert "These figures have not been computed yet." not in page
    assert "yours does not" in page  # the organisation's own setting is read with the page


def test_what_the_organisation_decides_is_outside_the_kept_part(client, org_a, owner, planner, role_ambiguity):
    client.force_login(planner)
    call_command("compute_shared_learning", stdout=open("/dev/null", "w"))
    assert "Already adopted on this item." not in read(client, role_ambiguity)
    mitigations.adopt_suggestion(suggestion=first_suggestion(role_ambiguity), item=role_ambiguity, by=planner)
    assert "Already adopted on this item." in read(client, role_ambiguity)
    org_a.share_anonymously = True
    org_a.save()
    assert "yours is one" in read(client, role_ambiguity)


def test_an_organisations_own_source_shows_its_own_name_and_version_at_once(client, org_a, owner, planner):
    survey = make_own_source(org_a, summary="Fixture text: nobody to debrief with.")
    checklist = create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=owner)
    item = checklist.items.get(finding__theme__category__source=survey)
    client.force_login(planner)
    assert "From Staff survey 2026, version 1" in read(client, item)
    survey.name = "Staff survey, spring 2026"
    survey.save()  # the organisation's data, not the evidence: its pages are rebuilt, the kept part is not
    page = read(client, item)
    assert "From Staff survey, spring 2026, version 1" in page
    assert "Fixture text: nobody to debrief with." in page


# The checklist page keeps the evidence facts, the phases and the suggestions it ranks the same way.


def ranked_first(page):
    ranking = page[page.index('id="leverage-heading"') :]
    return ranking[ranking.index('<h3 class="h6 mb-1">') + len('<h3 class="h6 mb-1">') : ranking.index("</h3>")]


def test_the_checklists_suggestions_phases_and_evidence_show_a_change_at_once(client, org_a, owner, planner):
    checklist = make_checklist(org_a, "Northside plan", by=owner)
    client.force_login(planner)
    url = f"/app/checklists/{checklist.pk}/"
    page = client.get(url).content.decode()
    title = ranked_first(page)
    suggestion = SuggestedMitigation.objects.get(title=title, is_published=True)

    suggestion.title = "Fixture title: the first suggestion reworded"
    suggestion.save()
    page = client.get(url).content.decode()
    assert ranked_first(page) == "Fixture title: the first suggestion reworded"

    phase = ImplementationPhase.objects.order_by("position")[0]
    phase.name = "Fixture phase renamed"
    phase.save()
    assert "<li>Fixture phase renamed: " in client.get(url).content.decode()

    # The organisation's own part: a suggestion adopted on the checklist leaves the ranking.
    item = checklist.items.filter(finding__theme__in=suggestion.themes.all(), applies=True).first()
    mitigations.adopt_suggestion(suggestion=suggestion, item=item, by=planner)
    assert ranked_first(client.get(url).content.decode()) != "Fixture title: the first suggestion reworded"


def test_the_checklists_evidence_shows_a_release_and_an_edit_at_once(client, org_a, owner, planner):
    import_evidence(framework())
    checklist = create_checklist_from_evidence(organisation=org_a, title="Ward 4", by=owner, status="active")
    client.force_login(planner)
    url = f"/app/checklists/{checklist.pk}/"
    assert "No longer in the current evidence (removed in version 2)" not in client.get(url).content.decode()
    import_evidence(version_2())
    assert "No longer in the current evidence (removed in version 2)" in client.get(url).content.decode()

    item = item_on(checklist, "Supervision by a peer lead")
    finding = item.finding

    def strength():
        page = client.get(url).content.decode()
        row = page[page.index(f'id="item-{item.pk}"') :]
        return row[: row.index("</p>")]

    cited = len(finding.cited_reference_numbers())
    assert f"{cited + 1} references" not in strength()
    added = Reference.objects.create(source=finding.theme.category.source, number=997, citation="Fixture added")
    finding.references.add(added)
    assert f"{cited + 1} references" in strength()  # counted from the evidence facts, kept no longer


def test_the_checklists_themes_and_categories_show_a_rename_at_once(client, org_a, owner, planner):
    checklist = make_checklist(org_a, "Northside plan", by=owner)
    client.force_login(planner)
    url = f"/app/checklists/{checklist.pk}/"
    item = item_for(checklist, "Role ambiguity")
    theme = item.finding.theme
    row = f'<a href="/app/items/{item.pk}/">'
    assert f"{row}Role ambiguity</a>" in client.get(url).content.decode()  # its findings are kept from here

    theme.name = "Fixture theme renamed"
    theme.save()
    category = theme.category
    category.name = "Fixture category renamed"
    category.save()
    page = client.get(url).content.decode()
    assert f"{row}Fixture theme renamed</a>" in page and '<h3 class="h4 mt-3">Fixture category renamed</h3>' in page


def test_the_themes_an_items_actions_address_show_a_rename_at_once(client, planner, role_ambiguity):
    workload = item_for(role_ambiguity.checklist, "Workload")
    mitigations.create_mitigation(items=[role_ambiguity, workload], changes={"action": "Weekly huddle"}, by=planner)
    client.force_login(planner)
    assert "Addresses 2 challenges: Role ambiguity; Workload" in read(client, role_ambiguity)
    theme = workload.finding.theme
    theme.name = "Fixture theme renamed"
    theme.save()
    assert "Addresses 2 challenges: Role ambiguity; Fixture theme renamed" in read(client, role_ambiguity)
