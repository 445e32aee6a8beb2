"""An item's page: the evidence in place, the decision, its mitigations and the suggestions for its theme."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from evidence.models import Perspective, Source
from peerplan.models import organisation_generations
from peerplan.operations import checklists, mitigations
from tests.factories import bulk_mitigations


@pytest.fixture
def role_ambiguity(draft_checklist):
    return draft_checklist.items.challenges().get(finding__theme__name="Role ambiguity")


def test_the_item_page_shows_each_perspective_exactly_as_published_with_references(client, viewer, role_ambiguity):
    client.force_login(viewer)
    page = client.get(f"/app/items/{role_ambiguity.pk}/").content.decode()
    assert page.count("<h1>") == 1
    perspectives = Perspective.objects.filter(finding=role_ambiguity.finding)
    assert perspectives.count() >= 2
    for perspective in perspectives:
        assert f'<p class="published-text mb-0">{escape(perspective.summary)}</p>' in page
        for number in perspective.reference_numbers():
            assert f"[{number}]" in page


def test_the_mixed_footnote_is_shown_where_mixed_appears(client, viewer, role_ambiguity):
    client.force_login(viewer)
    page = client.get(f"/app/items/{role_ambiguity.pk}/").content.decode()
    footnote = Source.objects.get().footnote("a")
    assert footnote.startswith("For ‘mixed’ samples")
    assert escape(footnote) in page
    assert "Mixed<sup>" in page


def test_a_challenge_that_does_not_apply_needs_a_reason_beside_the_field(client, planner, role_ambiguity):
    client.force_login(planner)
    response = client.post(f"/app/items/{role_ambiguity.pk}/", {"applies": "no", "priority": "low", "note": "my note"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error_1_id_not_applicable_reason"' in page
    assert "Say why this does not apply to your service." in page
    assert "my note" in page
    role_ambiguity.refresh_from_db()
    assert role_ambiguity.applies and role_ambiguity.priority == "medium"


def test_does_not_apply_is_looked_at_again_in_a_year_unless_a_date_is_given(client, planner, role_ambiguity):
    client.force_login(planner)
    client.post(
        f"/app/items/{role_ambiguity.pk}/",
        {
            "applies": "no",
            "not_applicable_reason": "Our PSWs have a clear role already",
            "priority": "low",
            "note": "",
        },
    )
    role_ambiguity.refresh_from_db()
    assert not role_ambiguity.applies
    assert role_ambiguity.not_applicable_reason == "Our PSWs have a clear role already"
    assert role_ambiguity.rereview_on == timezone.localdate() + timedelta(days=365)
    client.post(
        f"/app/items/{role_ambiguity.pk}/",
        {
            "applies": "no",
            "not_applicable_reason": "Still clear",
            "rereview_on": "2027-03-01",
            "priority": "low",
        },
    )
    role_ambiguity.refresh_from_db()
    assert role_ambiguity.rereview_on == date(2027, 3, 1)


def test_applying_again_clears_the_reason(client, planner, role_ambiguity):
    checklists.decide_item(item=role_ambiguity, applies=False, reason="Not here")
    client.force_login(planner)
    client.post(f"/app/items/{role_ambiguity.pk}/", {"applies": "yes", "priority": "high", "note": ""})
    role_ambiguity.refresh_from_db()
    assert role_ambiguity.applies and role_ambiguity.not_applicable_reason == "" and role_ambiguity.rereview_on is None
    assert role_ambiguity.priority == "high"


def test_a_viewer_sees_the_decision_but_no_form(client, viewer, role_ambiguity):
    client.force_login(viewer)
    page = client.get(f"/app/items/{role_ambiguity.pk}/").content.decode()
    assert "Save decision" not in page and "Adopt" not in page
    assert "Applies" in page


def test_a_dropped_mitigation_stays_visible_struck_through(client, viewer, owner, role_ambiguity):
    mitigations.create_mitigation(
        item=role_ambiguity, changes={"action": "An idea we dropped", "status": "dropped"}, by=owner
    )
    client.force_login(viewer)
    page = client.get(f"/app/items/{role_ambiguity.pk}/").content.decode()
    assert "<del>An idea we dropped</del>" in page
    assert "Dropped" in page


@pytest.mark.parametrize("count", [2, 20])
def test_the_item_page_runs_a_fixed_number_of_queries(client, owner, role_ambiguity, count, django_assert_num_queries):
    bulk_mitigations((role_ambiguity, {"action": f"A{n}", "owner": owner}) for n in range(count))
    from peerplan.operations.comments import post_comment

    for n in range(count):
        post_comment(
            body=f"Comment {n}", by=owner, organisation=role_ambiguity.checklist.organisation, item=role_ambiguity
        )
    client.force_login(owner)
    url = f"/app/items/{role_ambiguity.pk}/"
    client.get(url)  # the generations (peerplan/pages/page_cache.py)
    organisation_generations.organisation_changed(role_ambiguity.checklist.organisation)
    # A cache miss right after a write to the organisation: session, person with the bell's count (two cache
    # reads), item (with finding, theme, category, source, checklist, organisation, membership), the body and
    # its generations (one cache read), mitigations, the item's history for the timeline (its users come with
    # it), the challenges each action addresses, the members (read once: an action can be given to them in the
    # in-place edits, where the person's role is the membership above, and they can be mentioned); comments
    # with authors, their mentions, attachments, removed attachments; the checklist's check-in (none here: tests/test_check_ins.py
    # pins the page with one); storing the body (database cache: count, then the upsert in a savepoint: 4).
    # The evidence alone decides the rest (the finding's references, perspectives and theirs, suggestions
    # with their sources and citations' references, related themes, "what services like yours did": nine
    # queries), kept by this process for the evidence generation the first read above was built in.
    with django_assert_num_queries(17):
        response = client.get(url)
    assert response.status_code == 200
    # Read again with nothing changed: session, person with the bell's count (two cache reads), item with the
    # person's membership, the body.
    with django_assert_num_queries(4):
        again = client.get(url)
    assert (
        again.content.decode().count('class="comment ') == response.content.decode().count('class="comment ') == count
    )


def test_the_item_page_gives_one_reference_list_and_no_version_decided_against_before_a_decision(
    client, viewer, owner, role_ambiguity
):
    client.force_login(viewer)
    page = client.get(f"/app/items/{role_ambiguity.pk}/").content.decode()
    # One list of the challenge's references, as published (each perspective still names its own).
    assert page.count("References for this challenge as published:") == 1
    assert "References cited:" not in page
    # Not reviewed yet: nothing was decided against any version.
    assert "decided against" not in page.lower()
    checklists.decide_item(item=role_ambiguity, applies=True, by=owner)
    page = client.get(f"/app/items/{role_ambiguity.pk}/").content.decode()
    assert "this item was decided against version 1" in page
