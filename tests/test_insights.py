"""Evidence-aware planning: strength, phases, co-production, changed evidence, leverage."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from evidence.interchange import export_evidence, import_evidence
from evidence.models import Finding, Perspective, Theme
from peerplan.figures import insights
from peerplan.models import (
    ImplementationPhase,
    Item,
    Provenance,
    SuggestedMitigation,
)
from tests.factories import item_for, make_mitigation


def challenge(theme_name):
    return Finding.objects.get(theme__name=theme_name, valence="challenge")


def add_mitigation(checklist, theme_name, **fields):
    item = item_for(checklist, theme_name)
    return make_mitigation(item, fields.pop("action", "Act"), **fields)


@pytest.mark.django_db
class TestEvidenceStrength:
    def test_workload_and_treatment_models_rest_on_a_single_review(self):
        workload = insights.evidence_strength(challenge("Workload"))
        treatment = insights.evidence_strength(challenge("Treatment models"))
        assert (workload.reviews, workload.reference_numbers) == (1, [64])
        assert (treatment.reviews, treatment.reference_numbers) == (1, [23])
        assert workload.hint() == "Rests on a single review [64]: treat it as a signal, not a finding."

    def test_role_ambiguity_counts_every_distinct_review_its_finding_and_perspectives_cite(self):
        # Finding [32, 38, 42, 43, 53, 54]; perspectives [23, 34], [39, 55], [42, 63, 64].
        strength = insights.evidence_strength(challenge("Role ambiguity"))
        assert strength.reference_numbers == [23, 32, 34, 38, 39, 42, 43, 53, 54, 55, 63, 64]
        assert strength.reviews == 12
        assert not strength.single_review
        assert strength.hint() == "Reported in 12 reviews."

    def test_the_challenges_that_rest_on_one_review_are_exactly_those_published_so(self):
        single = {
            finding.theme.name
            for finding in Finding.objects.filter(valence="challenge").select_related("theme")
            if insights.evidence_strength(finding).single_review
        }
        assert single == {
            "Recovery and role models",  # [61]
            "Experiential knowledge, normalisation and stigma",  # [39]
            "Isolation and validation",  # [49]
            "Pioneer and expectations",  # [64]
            "Complementary role, expertise and becoming part of the team",  # [64]
            "Workload",  # [64]
            "Treatment models",  # [23]
        }


@pytest.mark.django_db
def test_phase_counts_name_the_phases_with_nothing_planned(draft_checklist):
    preparation, recruitment, employment, development = (
        ImplementationPhase.objects.get_or_create(name=name, defaults={"position": n})[0]
        for n, name in enumerate(["Preparation", "Recruitment", "Employment", "Ongoing development"], start=1)
    )
    add_mitigation(draft_checklist, "Role ambiguity", phase=preparation)
    add_mitigation(draft_checklist, "Boundaries", phase=preparation)
    add_mitigation(draft_checklist, "Workload", phase=employment)
    add_mitigation(draft_checklist, "Workload", phase=recruitment, status="dropped")  # dropped does not count

    counts = {count.phase.name: count for count in insights.phase_counts(draft_checklist) if count.phase}

    assert counts["Preparation"].live == 2 and counts["Preparation"].gap_message() == ""
    assert counts["Recruitment"].gap_message() == "No live actions for recruitment yet."
    assert counts["Employment"].gap_message() == "Only 1 live action for employment."
    assert counts["Ongoing development"].is_empty


@pytest.mark.django_db
def test_co_production_share_counts_live_mitigations_only(draft_checklist):
    add_mitigation(draft_checklist, "Role ambiguity", co_produced=True, lived_experience_led=True)
    add_mitigation(draft_checklist, "Boundaries", co_produced=True)
    add_mitigation(draft_checklist, "Workload")
    add_mitigation(draft_checklist, "Workload", co_produced=True, status="dropped")

    share = insights.co_production(draft_checklist)

    assert (share.co_produced, share.lived_experience_led, share.live) == (2, 1, 3)
    assert share.percent == 67  # 66.7, to the nearest


@pytest.mark.django_db
class TestEvidenceChanged:
    def test_a_new_checklist_is_not_flagged(self, draft_checklist):
        assert not insights.evidence_updated(item_for(draft_checklist, "Workload"))

    def test_a_curator_edit_flags_the_item_until_a_planner_reviews_it(self, draft_checklist):
        item = item_for(draft_checklist, "Workload")
        perspective = Perspective.objects.get(finding=item.finding)
        before = perspective.summary
        perspective.summary = before + " Corrected by a curator."
        perspective.save()
        Finding.objects.filter(pk=item.finding_id).update(evidence_changed_at=timezone.now())
        item.refresh_from_db()

        assert insights.evidence_updated(item)
        # A change made before changes were recorded with a note: read from the perspectives' history.
        assert insights.evidence_changes(item) == []
        [change] = insights.unrecorded_changes(item)
        assert (change.group, change.before, change.after) == ("Mixed", before, before + " Corrected by a curator.")
        assert change.diff[-1] == ("added", " Corrected by a curator.")

        item.evidence_reviewed_at = timezone.now()
        item.save()
        assert not insights.evidence_updated(item)
        assert insights.unrecorded_changes(item) == []

    def test_a_new_release_imported_flags_the_items_it_changes_again(self, draft_checklist):
        item = item_for(draft_checklist, "Workload")
        item.evidence_reviewed_at = timezone.now()
        item.save()
        release = json.loads(json.dumps(export_evidence()))
        [source] = release["sources"]
        source["version"] += 1  # a release must be newer than what is loaded
        for category in source["categories"]:
            for theme in category["themes"]:
                if theme["name"] == "Workload":
                    theme["findings"][0]["samples"][0]["summary"] += " (revised)"

        import_evidence(release)
        item.refresh_from_db()

        assert insights.evidence_updated(item)
        assert not insights.evidence_updated(item_for(draft_checklist, "Boundaries"))
        [change] = insights.evidence_changes(item)
        assert change.after["samples"][0]["summary"].endswith(" (revised)")
        [sample] = change.samples_changed()
        assert sample.diff[-1] == ("added", " (revised)")


@pytest.mark.django_db
def test_not_applicable_decisions_come_due_for_re_review(draft_checklist):
    today = date(2026, 11, 25)
    due = item_for(draft_checklist, "Workload")
    due.applies, due.rereview_on = False, today - timedelta(days=1)
    due.save()
    later = item_for(draft_checklist, "Boundaries")
    later.applies, later.rereview_on = False, today + timedelta(days=30)
    later.save()

    assert list(Item.objects.filter(checklist=draft_checklist).rereview_due(today)) == [due]


@pytest.mark.django_db
def test_suggestions_are_ranked_by_the_uncovered_challenges_and_groups_they_reach(draft_checklist):
    SuggestedMitigation.objects.all().delete()

    def suggestion(title, *themes, position=0):
        made = SuggestedMitigation.objects.create(
            title=title,
            provenance=Provenance.CURATOR,
            is_published=True,
            source_note="Curator's suggestion",
            position=position,
        )
        made.themes.set(Theme.objects.filter(name__in=themes))
        return made

    narrow = suggestion("Cap the caseload", "Workload", position=1)
    broad = suggestion("Train the whole team", "Role ambiguity", "Colleagues and stigma", "Workload", position=2)
    covered_only = suggestion("Boundary guidance", "Boundaries", position=3)
    adopted = suggestion("Peer supervision", "Lack of support and training", "Workload", position=4)
    add_mitigation(draft_checklist, "Boundaries")  # Boundaries is covered: nothing left for covered_only
    add_mitigation(draft_checklist, "Lack of support and training", suggestion=adopted)
    not_applicable = item_for(draft_checklist, "Colleagues and stigma")
    not_applicable.applies = False
    not_applicable.save()

    ranked = insights.rank_suggestions(draft_checklist)

    assert [entry.suggestion for entry in ranked] == [broad, narrow]
    assert [item.finding.theme.name for item in ranked[0].items] == ["Role ambiguity", "Workload"]
    assert ranked[0].leverage[0] == 2
    assert covered_only not in [entry.suggestion for entry in ranked]
    assert adopted not in [entry.suggestion for entry in ranked]


@pytest.mark.django_db
def test_ties_in_coverage_go_to_the_suggestion_reaching_more_stakeholder_groups(draft_checklist):
    SuggestedMitigation.objects.all().delete()
    # Treatment models: PSWs only. Workload: Mixed naming non-peer staff, PSWs, service users.
    few = SuggestedMitigation.objects.create(
        title="A", provenance="curator", is_published=True, source_note="c", position=1
    )
    few.themes.set(Theme.objects.filter(name="Treatment models"))
    many = SuggestedMitigation.objects.create(
        title="B", provenance="curator", is_published=True, source_note="c", position=2
    )
    many.themes.set(Theme.objects.filter(name="Workload"))

    ranked = insights.rank_suggestions(draft_checklist)

    assert [entry.suggestion for entry in ranked] == [many, few]
    assert ranked[0].groups == {"Mixed", "Non-peer staff", "PSWs", "Service users"}
    assert ranked[1].groups == {"PSWs"}
