"""The starter library of suggested mitigations: loaded with honest provenance, covering every challenge
theme, and adopted onto an item with one click."""

from pathlib import Path

import pytest

from evidence.models import Perspective, Theme
from peerplan.models import ImplementationPhase, Mitigation, SuggestedMitigation
from peerplan.operations import checklists

ROOT = Path(__file__).resolve().parent.parent


def research_notes():
    """The research notes' transcription of Table 5, which the Table 5 quotations were taken from."""
    return (ROOT / "evidence" / "data" / "table5-transcribed.txt").read_text(encoding="utf-8")


def test_the_four_implementation_phases_are_loaded_in_order(db):
    assert list(ImplementationPhase.objects.values_list("name", flat=True)) == [
        "Preparation",
        "Recruitment",
        "Employment",
        "Ongoing development",
    ]
    assert all(ImplementationPhase.objects.values_list("description", flat=True))


def test_every_challenge_theme_has_a_published_suggestion(db):
    challenge_themes = Theme.objects.filter(findings__valence="challenge").distinct()
    assert challenge_themes.count() == 16
    for theme in challenge_themes:
        assert theme.suggested_mitigations.filter(is_published=True).exists(), theme.name


def test_the_library_is_loaded_in_file_order_with_phases(db):
    suggestions = list(SuggestedMitigation.objects.order_by("position"))
    assert len(suggestions) == 40
    assert suggestions[0].title == "Train PSWs and non-peer staff together on what peer support adds"
    assert all(s.phase is not None for s in suggestions)
    assert all(s.source_note for s in suggestions)


def test_nothing_is_labelled_evidence_unless_its_quote_is_the_sources_own_words(db):
    summaries = list(Perspective.objects.values_list("summary", flat=True))
    notes = research_notes()
    for suggestion in SuggestedMitigation.objects.filter(provenance="evidence"):
        assert suggestion.quote, suggestion.title
        if "Table 6" in suggestion.source_note:
            assert any(suggestion.quote in summary for summary in summaries), suggestion.title
        else:
            # Only Table 5 is quoted from elsewhere in the review; its label says it was transcribed.
            assert "Table 5" in suggestion.source_note and "not re-checked" in suggestion.source_note, suggestion.title
            assert suggestion.quote in notes, suggestion.title


def test_a_curators_suggestion_says_so(db):
    suggestion = SuggestedMitigation.objects.filter(provenance="curator").first()
    assert suggestion.get_provenance_display() == "Curator's suggestion"
    assert suggestion.source_note.startswith("Curator's suggestion")


@pytest.fixture
def role_ambiguity(org_a, owner):
    checklist = checklists.create_checklist_from_evidence(organisation=org_a, title="Plan", by=owner)
    return checklist.items.challenges().get(finding__theme__name="Role ambiguity")


def test_the_item_page_offers_the_themes_suggestions_with_their_provenance(client, planner, role_ambiguity):
    client.force_login(planner)
    page = client.get(f"/app/items/{role_ambiguity.pk}/").content.decode()
    theme = role_ambiguity.finding.theme
    for suggestion in theme.suggested_mitigations.all():
        assert suggestion.title in page
    assert "From the evidence" in page and "(Cooper et al. 2024)" not in page
    assert "Source: Cooper et al. 2024, Table 6 [" in page  # built from the source picked
    assert "Curator&#x27;s suggestion" in page
    other = SuggestedMitigation.objects.exclude(themes=theme).first()
    assert other.title not in page


def test_adopting_copies_the_suggestion_and_takes_the_planner_to_edit_it(client, planner, role_ambiguity):
    suggestion = SuggestedMitigation.objects.get(
        title="Train PSWs and non-peer staff together on what peer support adds"
    )
    client.force_login(planner)
    response = client.post(f"/app/items/{role_ambiguity.pk}/adopt/{suggestion.pk}/")
    mitigation = Mitigation.objects.get()
    item_page = f"/app/items/{role_ambiguity.pk}/"
    assert (
        response["Location"] == f"/app/mitigations/{mitigation.pk}/edit/?next=%2Fapp%2Fitems%2F{role_ambiguity.pk}%2F"
    )
    # The suggestion's title is the action's title; its description, the details.
    assert (mitigation.action, mitigation.details) == (suggestion.title, suggestion.description)
    assert (mitigation.suggestion, mitigation.phase, list(mitigation.items.all())) == (
        suggestion,
        suggestion.phase,
        [role_ambiguity],
    )
    edit_page = client.get(response["Location"]).content.decode()
    assert "Adopted from suggestion: “Train PSWs and non-peer staff together" in edit_page
    assert "From the evidence. Source: Cooper et al. 2024, Table 6 [23, 60, 64]" in edit_page
    # The planner then edits it freely; it still remembers where it came from.
    saved = client.post(
        response["Location"],
        {
            "action": "Our own version",
            "status": "planned",
            "owner": planner.pk,
            "due_date": "2026-10-01",
            "version": "1",
            "challenges": [role_ambiguity.pk],
            "next": item_page,
        },
    )
    # Back where the suggestion was adopted, not on the first challenge's page by chance.
    assert saved["Location"] == item_page
    mitigation.refresh_from_db()
    assert mitigation.action == "Our own version" and mitigation.suggestion == suggestion
    item_page = client.get(item_page).content.decode()
    assert "Adopted from suggestion: “Train PSWs and non-peer staff together" in item_page


def test_an_unpublished_suggestion_or_one_for_another_theme_cannot_be_adopted(client, planner, role_ambiguity):
    client.force_login(planner)
    other = SuggestedMitigation.objects.exclude(themes=role_ambiguity.finding.theme).first()
    assert client.post(f"/app/items/{role_ambiguity.pk}/adopt/{other.pk}/").status_code == 404
    hidden = role_ambiguity.finding.theme.suggested_mitigations.first()
    SuggestedMitigation.objects.filter(pk=hidden.pk).update(is_published=False)
    assert client.post(f"/app/items/{role_ambiguity.pk}/adopt/{hidden.pk}/").status_code == 404
    assert not Mitigation.objects.exists()


def test_curators_see_provenance_in_the_admin(client, curator):
    client.force_login(curator)
    page = client.get("/admin/peerplan/suggestedmitigation/").content.decode()
    assert "From the evidence" in page and "Curator&#x27;s suggestion" in page
    suggestion = SuggestedMitigation.objects.first()
    assert client.get(f"/admin/peerplan/suggestedmitigation/{suggestion.pk}/change/").status_code == 200
    assert client.get("/admin/peerplan/implementationphase/").status_code == 200
