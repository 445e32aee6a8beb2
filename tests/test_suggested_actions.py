"""Suggested actions with their provenance enforced (issue 28): "From the evidence" needs a quote and names its
source and references picked from lists; planners read a citation built from the source picked; new ones are
drafts until a curator publishes them (a second curator in one step, the author only when they say so); one
word, "suggested actions", in the admin. The second source is the invented test fixture, never real evidence."""

import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils.html import strip_tags

from evidence.models import Reference, Theme
from peerplan.models import Mitigation, SuggestedMitigation
from peerplan.operations import own_evidence
from peerplan.operations.checklists import create_checklist_from_evidence
from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent
ADD = "/admin/peerplan/suggestedmitigation/add/"
TITLE = "Pair each new PSW with a peer mentor"


@pytest.fixture
def second_curator(db):
    user = make_user("cass", "Cass")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Curators"))
    return user


@pytest.fixture
def role_ambiguity_item(org_a, owner):
    checklist = create_checklist_from_evidence(organisation=org_a, title="Plan", by=owner)
    return checklist.items.challenges().get(finding__theme__name="Role ambiguity")


def form_data(source, references=(), **changes):
    theme = Theme.objects.get(name="Role ambiguity")
    data = {
        "title": TITLE,
        "description": "A named peer mentor for the first three months.",
        "themes": [theme.pk],
        "phase": "",
        "position": "0",
        "provenance": "evidence",
        "source": source.pk if source else "",
        "references": [reference.pk for reference in references],
        "quote": "PSWs were unsure where to seek support",
        "source_note": "",
        "rationale": "",
    }
    data.update(changes)
    return data


def refs(source, *numbers):
    return list(Reference.objects.filter(source=source, number__in=numbers).order_by("number"))


# Provenance ------------------------------------------------------------------------------------------------


def test_from_the_evidence_without_a_quote_is_refused_in_plain_words(client, curator, table6):
    client.force_login(curator)
    response = client.post(ADD, form_data(table6, refs(table6, 23), quote="  "))
    assert response.status_code == 200
    assert (
        "“From the evidence” needs a quote: the source&#x27;s own words, copied exactly." in response.content.decode()
    )
    assert not SuggestedMitigation.objects.filter(title=TITLE).exists()


def test_from_the_evidence_without_a_source_is_refused(client, curator):
    client.force_login(curator)
    page = client.post(ADD, form_data(None)).content.decode()
    assert "“From the evidence” needs the source it comes from: pick it from the list." in page
    assert not SuggestedMitigation.objects.filter(title=TITLE).exists()


def test_from_another_published_source_needs_it_picked_or_cited(client, curator):
    client.force_login(curator)
    page = client.post(ADD, form_data(None, provenance="published", quote="")).content.decode()
    assert "“From another published source” needs that source: pick it from the list, or give its citation" in page
    client.post(ADD, form_data(None, provenance="published", quote="", source_note="ImROC Briefing 7 (2013)"))
    assert SuggestedMitigation.objects.get(title=TITLE).citation() == "ImROC Briefing 7 (2013)"


def test_the_source_is_picked_from_the_published_sources_only(client, curator, table6, example, org_a):
    own = own_evidence.create_own_source(organisation=org_a, name="Staff survey 2026", title="Survey", year=2026)
    client.force_login(curator)
    page = client.get(ADD).content.decode()
    assert '<select name="source"' in page
    assert f'<option value="{table6.pk}">Cooper et al. 2024, Table 6</option>' in page
    assert f'<option value="{example.pk}">Example framework (test fixture)</option>' in page
    assert "Staff survey 2026" not in page
    client.post(ADD, form_data(own, quote="x"))
    assert not SuggestedMitigation.objects.filter(title=TITLE).exists()


def test_references_of_another_source_are_refused_naming_them(client, curator, table6, example):
    client.force_login(curator)
    page = client.post(ADD, form_data(table6, refs(table6, 23) + refs(example, 2))).content.decode()
    assert "[2] is not a reference of the source picked (Cooper et al. 2024, Table 6)" in page
    assert not SuggestedMitigation.objects.filter(title=TITLE).exists()


def test_themes_and_references_are_checkboxes_grouped_by_source(client, curator, table6, example):
    client.force_login(curator)
    page = client.get(ADD).content.decode()
    assert "Hold down" not in page and "selectfilter" not in page.lower()
    assert page.count("<legend>Cooper et al. 2024, Table 6</legend>") == 2  # themes, then references
    assert page.count("<legend>Example framework (test fixture)</legend>") == 2
    role = Theme.objects.get(name="Role ambiguity")
    assert f'type="checkbox" name="themes" value="{role.pk}"' in page
    assert '<input type="checkbox" name="themes" value="1" id="id_themes_0_0">' in page
    assert '<label for="id_themes_0_0">' in page  # each box with its own label
    # No add, change or delete icons beside the pickers.
    assert "add-related" not in page and "delete-related" not in page


def test_a_saved_evidence_suggestion_keeps_its_source_and_references(client, curator, table6):
    client.force_login(curator)
    response = client.post(ADD, form_data(table6, refs(table6, 23, 34)))
    assert response.status_code == 302
    suggestion = SuggestedMitigation.objects.get(title=TITLE)
    assert suggestion.source == table6
    assert [r.number for r in suggestion.references.order_by("number")] == [23, 34]
    assert suggestion.citation() == "Cooper et al. 2024, Table 6 [23, 34]"


def test_the_citation_planners_read_is_built_from_the_source_picked(client, planner, example, role_ambiguity_item):
    suggestion = SuggestedMitigation.objects.create(
        title=TITLE, provenance="evidence", source=example, quote="A peer lead", is_published=True
    )
    suggestion.references.set(refs(example, 1, 2))
    suggestion.themes.add(role_ambiguity_item.finding.theme)
    client.force_login(planner)
    page = client.get(f"/app/items/{role_ambiguity_item.pk}/").content.decode()
    article = page[page.index(TITLE) : page.index("</article>", page.index(TITLE))]
    assert "From the evidence</span>" in article
    assert "Source: Example framework (test fixture) [1, 2]" in article
    assert "Cooper" not in article


def test_a_curators_suggestion_is_marked_as_ours_on_the_planners_page(client, planner, role_ambiguity_item):
    client.force_login(planner)
    page = client.get(f"/app/items/{role_ambiguity_item.pk}/").content.decode()
    ours = SuggestedMitigation.objects.filter(provenance="curator", themes__name="Role ambiguity").first()
    article = page[page.index(ours.title) : page.index("</article>", page.index(ours.title))]
    assert "Curator&#x27;s suggestion</span>" in article
    assert f"Source: {ours.source_note}".replace("'", "&#x27;") in article


# The existing library, migrated -----------------------------------------------------------------------------


def test_the_migration_kept_every_free_text_source_whole_as_the_note(db):
    entries = json.loads((ROOT / "peerplan" / "fixtures" / "suggested_mitigations.json").read_text(encoding="utf-8"))
    notes = dict(SuggestedMitigation.objects.values_list("title", "source_note"))
    assert {entry["title"]: entry["source"] for entry in entries} == notes


def test_the_migration_picked_the_source_and_references_a_text_clearly_names(table6):
    train = SuggestedMitigation.objects.get(title="Train PSWs and non-peer staff together on what peer support adds")
    assert train.source == table6
    assert [r.number for r in train.references.order_by("number")] == [23, 60, 64]
    assert train.citation() == "Cooper et al. 2024, Table 6 [23, 60, 64]"
    # Table 5 is not a source PeerPlan holds: nothing is picked, and the note still says where it comes from.
    table5 = SuggestedMitigation.objects.filter(provenance="evidence", source_note__contains="Table 5")
    assert table5.exists() and not table5.filter(source__isnull=False).exists()
    # Every "from the evidence" suggestion of Table 6 now names its source from the list.
    table6_evidence = SuggestedMitigation.objects.filter(provenance="evidence", source_note__contains="Table 6")
    assert table6_evidence.exists() and not table6_evidence.filter(source__isnull=True).exists()


def test_the_list_says_what_a_migrated_row_still_needs(client, curator):
    client.force_login(curator)
    page = client.get("/admin/peerplan/suggestedmitigation/?provenance=evidence").content.decode()
    assert "“From the evidence” needs the source it comes from: pick it from the list." in page


def test_the_migration_leaves_the_library_published_as_it_was(db):
    assert SuggestedMitigation.objects.count() == SuggestedMitigation.objects.published().count() == 40


def test_link_sources_picks_nothing_from_a_text_naming_two_sources(example, table6):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("peerplan.migrations.0014_suggested_actions_provenance_and_drafts")
    both = SuggestedMitigation.objects.create(
        title="Both",
        provenance="curator",
        source_note="Cooper et al. 2024, Table 6 and Example framework (test fixture)",
    )
    migration.link_sources(apps, None)
    both.refresh_from_db()
    assert both.source is None and both.source_note.startswith("Cooper")


# Drafts and publishing --------------------------------------------------------------------------------------


def test_a_new_suggested_action_is_a_draft_and_is_not_offered_to_planners(
    client, curator, planner, table6, role_ambiguity_item
):
    client.force_login(curator)
    page = client.get(ADD).content.decode()
    assert 'name="is_published"' not in page
    client.post(ADD, form_data(table6, refs(table6, 23)), follow=True)
    draft = SuggestedMitigation.objects.get(title=TITLE)
    assert (draft.is_published, draft.created_by) == (False, curator)
    client.force_login(planner)
    item_page = client.get(f"/app/items/{role_ambiguity_item.pk}/").content.decode()
    assert TITLE not in item_page
    checklist_page = client.get(f"/app/checklists/{role_ambiguity_item.checklist_id}/").content.decode()
    assert TITLE not in checklist_page
    assert client.post(f"/app/items/{role_ambiguity_item.pk}/adopt/{draft.pk}/").status_code == 404
    assert not Mitigation.objects.exists()


def test_a_second_curator_publishes_a_draft_in_one_step(
    client, curator, second_curator, planner, table6, role_ambiguity_item
):
    client.force_login(curator)
    client.post(ADD, form_data(table6, refs(table6, 23)))
    draft = SuggestedMitigation.objects.get(title=TITLE)
    client.force_login(second_curator)
    change = client.get(f"/admin/peerplan/suggestedmitigation/{draft.pk}/change/").content.decode()
    assert "Draft: not offered to planners until a curator publishes it." in change
    response = client.post(f"/admin/peerplan/suggestedmitigation/{draft.pk}/publish/", follow=True)
    assert f"Published the suggested action “{TITLE}”: planners are offered it now." in response.content.decode()
    draft.refresh_from_db()
    assert (draft.is_published, draft.published_by) == (True, second_curator)
    assert draft.published_at is not None
    change = client.get(f"/admin/peerplan/suggestedmitigation/{draft.pk}/change/").content.decode()
    assert "Published by Cass on " in change
    client.force_login(planner)
    assert TITLE in client.get(f"/app/items/{role_ambiguity_item.pk}/").content.decode()


def test_publishing_your_own_draft_asks_first_and_publishes_only_when_confirmed(client, curator, table6):
    client.force_login(curator)
    client.post(ADD, form_data(table6, refs(table6, 23)))
    draft = SuggestedMitigation.objects.get(title=TITLE)
    url = f"/admin/peerplan/suggestedmitigation/{draft.pk}/publish/"
    page = client.post(url).content.decode()
    assert "You wrote this one; publish it without a second curator's review?" in page
    assert 'value="Yes, publish it without a second review"' in page
    draft.refresh_from_db()
    assert not draft.is_published
    client.post(url, {"confirm": "own"})
    draft.refresh_from_db()
    assert (draft.is_published, draft.published_by) == (True, curator)


def test_publishing_cannot_be_done_with_a_get_or_by_a_planner(client, curator, planner, table6):
    draft = SuggestedMitigation.objects.create(title=TITLE, provenance="curator", source_note="Ours")
    url = f"/admin/peerplan/suggestedmitigation/{draft.pk}/publish/"
    client.force_login(curator)
    assert client.get(url).status_code == 405
    client.force_login(planner)
    client.post(url)
    draft.refresh_from_db()
    assert not draft.is_published


def test_a_published_suggested_action_can_be_returned_to_draft(client, curator):
    suggestion = SuggestedMitigation.objects.published().first()
    client.force_login(curator)
    response = client.post(f"/admin/peerplan/suggestedmitigation/{suggestion.pk}/withdraw/", follow=True)
    assert "is a draft again: planners are no longer offered it" in response.content.decode()
    suggestion.refresh_from_db()
    assert not suggestion.is_published


# One word -----------------------------------------------------------------------------------------------------


def test_the_delete_page_names_the_suggested_action_not_its_links(client, curator):
    suggestion = SuggestedMitigation.objects.get(
        title="Train PSWs and non-peer staff together on what peer support adds"
    )
    client.force_login(curator)
    page = client.get(f"/admin/peerplan/suggestedmitigation/{suggestion.pk}/delete/").content.decode()
    page = re.sub(r"\s+", " ", strip_tags(page))
    assert "Suggested actions: 1" in page and f"Suggested action: {suggestion.title}" in page
    assert "object (" not in page and "relationship" not in page
    assert client.get(f"/admin/peerplan/suggestedmitigation/{suggestion.pk}/history/").status_code == 200


def test_the_admin_says_suggested_actions_everywhere(client, curator, table6):
    client.force_login(curator)
    index = client.get("/admin/").content.decode()
    assert "Suggested actions" in index
    listing = client.get("/admin/peerplan/suggestedmitigation/").content.decode()
    assert "Select suggested action to change" in listing and "Add suggested action" in listing
    assert "Drafts awaiting review" in listing
    response = client.post(ADD, form_data(table6, refs(table6, 23)), follow=True)
    added = response.content.decode()
    assert "The suggested action “<a href=" in added and f">{TITLE}</a>” was added successfully." in added
    for page in (index, listing, added, client.get(ADD).content.decode()):
        assert "uggested mitigation" not in page and "uggestedmitigation<" not in page
