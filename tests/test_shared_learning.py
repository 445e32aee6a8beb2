"""What services like yours did: anonymous figures from the organisations that share, shown only when at
least five contribute, rounded, changing only once five services have changed, computed by a command into
tables that pages read instead of other organisations' rows."""

import random
import re
from collections import deque
from datetime import timedelta
from io import StringIO

import pytest
from django.core import serializers
from django.core.management import call_command
from django.utils import timezone

from peerplan.models import (
    ChallengeFigure,
    Mitigation,
    MitigationStatus,
    Organisation,
    SharedLearningRun,
    SuggestedMitigation,
    SuggestionFigure,
    organisation_generations,
)
from peerplan.models.shared_learning import shown_count
from peerplan.operations import checklists, mitigations
from peerplan.operations.comments import post_comment
from tests.factories import item_for, make_checklist, make_member

SECRETS = ["Zanzibar escalation protocol for Quentin", "Ophelia Brightwater", "ophelia@secret-trust.example"]


def suggestion_for(theme_name):
    return SuggestedMitigation.objects.filter(themes__name=theme_name, is_published=True).order_by("position").first()


def sharing_service(number, *, applies=True, adopt_days=None, share=True):
    """An organisation that shares anonymously, with an active checklist whose "Role ambiguity" challenge
    is decided (applies or not); with adopt_days, it adopted the theme's first suggestion that many days
    ago and got it done today. Its own words and people are distinctive, so a test can look for them."""
    organisation = Organisation.objects.create(
        name=f"Sharing service {number}", slug=f"sharing-{number}", share_anonymously=share
    )
    owner = make_member(organisation, f"sharer{number}", "owner", "Ophelia Brightwater")
    checklist = make_checklist(organisation, f"Secret plan {number} Zanzibar", by=owner)
    item = item_for(checklist, "Role ambiguity")
    checklists.decide_item(item=item, applies=applies, reason="" if applies else "Zanzibar reasons", by=owner)
    if adopt_days is not None:
        action = mitigations.adopt_suggestion(suggestion=suggestion_for("Role ambiguity"), item=item, by=owner)
        Mitigation.objects.filter(pk=action.pk).update(
            created_at=timezone.now() - timedelta(days=adopt_days), notes=SECRETS[0]
        )
        action.refresh_from_db()
        mitigations.update_mitigation(
            mitigation_id=action.pk, changes={"status": MitigationStatus.DONE}, version=action.version, by=owner
        )
        post_comment(body=SECRETS[0], by=owner, organisation=organisation, mitigation=action)
    return organisation


@pytest.fixture
def own_item(org_a, planner):
    checklist = make_checklist(org_a, "Northside plan", by=planner)
    return item_for(checklist, "Role ambiguity")


def compute():
    out = StringIO()
    call_command("compute_shared_learning", stdout=out)
    return out.getvalue()


def item_page(client, planner, item):
    client.force_login(planner)
    return client.get(f"/app/items/{item.pk}/").content.decode()


def figures_read(page):
    """Everything a reader sees of the anonymous figures on an item page or a checklist page: the section
    "What services like yours did", each suggestion's "Services like yours" line, and the ranked suggestions
    with their "adopted and done by many services" (less the time of the computation and the forms' tokens,
    which change whatever the figures)."""
    parts = re.findall(r'<section aria-labelledby="peers-heading".*?</section>', page, re.S)
    parts += re.findall(r'<p class="small mb-1 shared-figure">.*?</p>', page, re.S)
    parts += re.findall(r'<section aria-labelledby="leverage-heading".*?</section>', page, re.S)
    text = "\n".join(parts)
    text = re.sub(r"last computed on \d+ \w+ \d{4} at \d\d:\d\d", "last computed on (time)", text)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)


def test_counts_are_rounded_to_the_nearest_five_and_small_ones_are_not_given():
    # 0 too is "fewer than 5": an exact "none" is an exact count.
    assert [shown_count(n) for n in (0, 1, 4, 5, 6, 8, 10, 12, 13, 100)] == [
        "fewer than 5",
        "fewer than 5",
        "fewer than 5",
        "about 5",
        "about 5",
        "about 10",
        "about 10",
        "about 10",
        "about 15",
        "about 100",
    ]


def test_before_the_first_computation_the_page_says_so(client, planner, own_item):
    page = item_page(client, planner, own_item)
    assert "What services like yours did" in page
    assert "These figures have not been computed yet" in page


def test_with_four_services_nothing_is_shown(client, planner, own_item):
    for n in range(4):
        sharing_service(n, adopt_days=10)
    compute()
    page = item_page(client, planner, own_item)
    assert "How many services found it applies: not enough services yet." in page
    assert "Which suggested actions they adopted: not enough services yet." in page
    assert "Services like yours: not enough services yet." in page
    assert "found it applies to them" not in page


def test_with_five_services_the_figures_are_right(client, planner, own_item):
    # Five find it applies and adopt the suggestion, each done 10 to 50 days after adopting it; a sixth
    # decided it does not apply.
    for n, days in enumerate([10, 20, 30, 40, 50]):
        sharing_service(n, adopt_days=days)
    sharing_service(9, applies=False)
    output = compute()
    challenge = ChallengeFigure.objects.get(finding=own_item.finding)
    assert (challenge.deciding, challenge.applying) == (6, 5)
    suggestion = suggestion_for("Role ambiguity")
    figure = SuggestionFigure.objects.get(finding=own_item.finding, suggestion=suggestion)
    assert (figure.adopted, figure.done, figure.median_days) == (5, 5, 30)
    overall = SuggestionFigure.objects.get(finding=None, suggestion=suggestion)
    assert (overall.adopted, overall.done) == (5, 5)
    assert "Figures computed from 6 organisations" in output
    page = item_page(client, planner, own_item)
    assert (
        "<strong>About 5</strong> of the <strong>about 5</strong> services that decided “Role ambiguity” found" in page
    )
    assert f"{suggestion.title}: adopted by about 5 services, done by about 5; 30 days from adoption to done" in page
    assert "Services like yours: adopted by about 5 for this challenge, done by about 5; 30 days from adoption" in page
    assert "From about 5 services that share their figures anonymously" in page
    assert "last computed on" in page


def test_organisations_that_do_not_share_are_not_counted(planner, own_item):
    for n in range(5):
        sharing_service(n, adopt_days=5, share=n != 0)
    compute()
    assert ChallengeFigure.objects.get(finding=own_item.finding).deciding == 4
    assert SharedLearningRun.objects.latest().organisations == 4


def test_turning_sharing_off_removes_the_contribution_at_the_next_computation(client, planner, own_item):
    services = [sharing_service(n, adopt_days=7) for n in range(5)]
    compute()
    before = figures_read(item_page(client, planner, own_item))
    assert "found it applies to them" in before
    # The owner of one of them switches sharing off on the sharing page.
    owner = services[0].memberships.get().user
    client.force_login(owner)
    response = client.post(f"/app/orgs/{services[0].slug}/sharing/", {})
    assert response.status_code == 302
    services[0].refresh_from_db()
    assert services[0].share_anonymously is False
    assert "found it applies to them" in item_page(client, planner, own_item)  # until the next computation
    compute()
    # Its decision and action are no longer counted...
    assert ChallengeFigure.objects.get(finding=own_item.finding).deciding == 4
    assert (
        SuggestionFigure.objects.get(finding=own_item.finding, suggestion=suggestion_for("Role ambiguity")).adopted == 4
    )
    # ...and the page reads as it did: one service leaving is not shown (shared_learning.hold).
    assert figures_read(item_page(client, planner, own_item)) == before
    # Once four more have left (five services changed), the figures go.
    for service in services[1:]:
        Organisation.objects.filter(pk=service.pk).update(share_anonymously=False)
    compute()
    page = item_page(client, planner, own_item)
    assert "found it applies to them" not in page
    assert "How many services found it applies: not enough services yet." in page
    assert not ChallengeFigure.objects.filter(finding=own_item.finding).exists()


def test_no_free_text_or_person_reaches_the_figures_or_the_page(client, planner, own_item):
    for n in range(6):
        sharing_service(n, adopt_days=3)
    compute()
    stored = serializers.serialize(
        "json", [*ChallengeFigure.objects.all(), *SuggestionFigure.objects.all(), *SharedLearningRun.objects.all()]
    )
    page = item_page(client, planner, own_item)
    for secret in [*SECRETS, "Zanzibar", "Sharing service", "sharer"]:
        assert secret not in stored
        assert secret not in page


@pytest.mark.parametrize("services", [5, 15])
def test_the_item_page_reads_only_the_figures_in_a_fixed_number_of_queries(
    client, planner, own_item, services, django_assert_num_queries
):
    for n in range(services):
        sharing_service(n, adopt_days=3)
    compute()
    client.force_login(planner)
    client.get(f"/app/items/{own_item.pk}/")  # the generations (peerplan/pages/page_cache.py)
    organisation_generations.organisation_changed(own_item.checklist.organisation)
    # The item page's queries on a cache miss (tests/test_items.py lists them; with no action or comment
    # here, their prefetches do not run): among them the latest computation, the challenge's figure and
    # its suggestions' figures, whatever the number of services behind them.
    with django_assert_num_queries(24):
        assert client.get(f"/app/items/{own_item.pk}/").status_code == 200


def test_the_sharing_setting_is_off_by_default_explained_and_owner_only(client, org_a, owner, manager):
    assert Organisation.objects.get(pk=org_a.pk).share_anonymously is False
    client.force_login(manager)
    page = client.get("/app/orgs/northside/sharing/").content.decode()
    assert "does not share its figures anonymously" in page
    assert "never reads your actions’ own words" in page
    assert "Only an owner can change this." in page
    assert client.post("/app/orgs/northside/sharing/", {"share_anonymously": "on"}).status_code == 403
    client.force_login(owner)
    assert client.post("/app/orgs/northside/sharing/", {"share_anonymously": "on"}).status_code == 302
    assert Organisation.objects.get(pk=org_a.pk).share_anonymously is True
    assert (
        "Northside Mental Health Service shares its figures anonymously"
        in client.get("/app/orgs/northside/sharing/").content.decode()
    )


def test_the_command_says_what_it_does_as_it_goes(db):
    sharing_service(1, adopt_days=2)
    output = compute()
    assert "Decisions: 1 challenges from 1 organisations." in output
    assert "Adoptions:" in output
    assert "Figures computed from 1 organisation that share anonymously" in output


def _figures(suggestions, done):
    """Anonymous figures as the command writes them, for these suggestions over all challenges."""
    SharedLearningRun.objects.create(
        started_at=timezone.now(), finished_at=timezone.now(), organisations=done, held_organisations=done, seconds=0.1
    )
    for suggestion in suggestions:
        SuggestionFigure.objects.create(
            suggestion=suggestion,
            finding=None,
            adopted=done,
            done=done,
            median_days=9,
            held_adopted=done,
            held_done=done,
            held_median_days=9,
        )


def _tied_pair(checklist):
    """Two ranked suggestions that cover as many challenges, the first ahead of the second."""
    from peerplan.figures import insights

    ranked = insights.rank_suggestions(checklist)
    for first, second in zip(ranked, ranked[1:], strict=False):
        if len(first.items) == len(second.items):
            return first.suggestion, second.suggestion
    pytest.fail("no two suggestions cover as many challenges")


@pytest.mark.parametrize("done", [4, 5])
def test_suggestions_done_by_many_services_rank_higher_among_those_covering_as_much(client, planner, own_item, done):
    from peerplan.figures import insights

    checklist = own_item.checklist
    first, second = _tied_pair(checklist)
    _figures([second], done)
    ranked = [entry.suggestion for entry in insights.rank_suggestions(checklist)]
    client.force_login(planner)
    page = client.get(f"/app/checklists/{checklist.pk}/").content.decode()
    if done >= 5:
        assert ranked.index(second) < ranked.index(first)
        assert "<strong>Adopted and done by many services</strong>: done by about 5 of the services" in page
    else:  # four services are not enough to say anything, nor to change the order
        assert ranked.index(first) < ranked.index(second)
        assert "<strong>Adopted and done by many services</strong>" not in page


@pytest.mark.parametrize("figures", [1, 10])
def test_the_checklist_page_reads_the_figures_in_one_query(
    client, planner, own_item, figures, django_assert_num_queries
):
    _figures(SuggestedMitigation.objects.filter(is_published=True).order_by("pk")[:figures], 5)
    client.force_login(planner)
    url = f"/app/checklists/{own_item.checklist.pk}/"
    client.get(url)  # the evidence facts are cached once for every checklist
    # The body cached by that view is out of date.
    organisation_generations.organisation_changed(own_item.checklist.organisation)
    # The checklist page's 13 after a change (tests/test_checklists.py, a draft with nothing to rank), the
    # findings on offer to an active checklist (tests/test_evidence_releases.py); the ranking reads the
    # suggestions adopted on the checklist with the page (one read for it and the merge offer). The figures written in this test's transaction are curated
    # for everyone and never committed, so what is kept for the evidence generation is read again on this
    # connection after any later write (page_cache.evidence_generation): the evidence facts (a cache read),
    # the phases, and the suggestions' themes, all their figures (one query however many), the suggestions
    # with the references of their citations.
    with django_assert_num_queries(19):
        assert client.get(url).status_code == 200


def test_no_api_response_carries_another_services_words_or_people(client, org_a, owner, own_item):
    """Sharing services in the same network as organisation A, with distinctive text and people: nothing of
    them reaches A's API responses, figures computed or not."""
    from peerplan.models import Network
    from peerplan.operations import networks
    from tests.api_helpers import call, token_for

    network = Network.objects.create(name="Shared network", slug="shared-network")
    network.coordinators.add(owner)
    for n in range(5):
        service = sharing_service(n, adopt_days=4)
        membership = networks.invite_organisation(network=network, organisation=service, by=owner)
        networks.answer_invitation(membership=membership, accept=True, by=service.memberships.get().user)
    compute()
    secret = token_for(owner, org_a)
    urls = [
        "/api/organisations/",
        "/api/organisations/northside/",
        "/api/organisations/northside/members/",
        "/api/organisations/northside/dashboard/",
        "/api/organisations/northside/checklists/",
        "/api/organisations/northside/mitigations/",
        f"/api/checklists/{own_item.checklist_id}/",
        f"/api/checklists/{own_item.checklist_id}/items/",
        f"/api/items/{own_item.pk}/",
        "/api/evidence/",
    ]
    for url in urls:
        response = call(client, "GET", url, secret)
        assert response.status_code == 200, url
        body = response.content.decode()
        for text in [*SECRETS, "Zanzibar", "Sharing service", "sharer", "sharing-"]:
            assert text not in body, (url, text)


def test_benefits_have_no_anonymous_figures(client, planner, own_item):
    from evidence.models import Valence

    for n in range(5):
        sharing_service(n, adopt_days=3)
    compute()
    benefit = own_item.checklist.items.filter(finding__valence=Valence.BENEFIT).first()
    page = item_page(client, planner, benefit)
    assert "What services like yours did" not in page


# One service's change never shows ------------------------------------------------------------------------


def their_item(service):
    return item_for(service.checklists.get(), "Role ambiguity")


def decide_it_does_not_apply(service):
    checklists.decide_item(
        item=their_item(service), applies=False, reason="Zanzibar", by=service.memberships.get().user
    )


def take_it_back_to_in_progress(service):
    action = Mitigation.objects.get(checklist__organisation=service)
    mitigations.update_mitigation(
        mitigation_id=action.pk,
        changes={"status": MitigationStatus.IN_PROGRESS},
        version=action.version,
        by=service.memberships.get().user,
    )


def stop_sharing(service):
    Organisation.objects.filter(pk=service.pk).update(share_anonymously=False)


CHANGES = {
    "its decision": decide_it_does_not_apply,
    "its action's status": take_it_back_to_in_progress,
    "whether it shares": stop_sharing,
    "a new service sharing": lambda service: sharing_service(99, adopt_days=1),
}


@pytest.mark.parametrize("change", CHANGES)
def test_one_service_changing_does_not_change_what_a_reader_sees(client, planner, own_item, change):
    """The probe's case: five sharing services all find "Role ambiguity" applies (and adopted the same
    suggestion and got it done, 10 to 50 days after adopting it). One of them changes one thing between two
    computations: the item page and the checklist page read exactly as before, though the counts moved."""
    services = [sharing_service(n, adopt_days=days) for n, days in enumerate([10, 20, 30, 40, 50])]
    compute()
    item_before = figures_read(item_page(client, planner, own_item))
    checklist_before = figures_read(client.get(f"/app/checklists/{own_item.checklist_id}/").content.decode())
    assert "<strong>About 5</strong> of the <strong>about 5</strong> services" in item_before
    assert "done by about 5; 30 days from adoption to done (median)" in item_before
    assert "From about 5 services that share" in item_before
    suggestion = suggestion_for("Role ambiguity")
    counts = lambda: (  # noqa: E731
        tuple(ChallengeFigure.objects.filter(finding=own_item.finding).values_list("deciding", "applying")),
        tuple(SuggestionFigure.objects.filter(suggestion=suggestion).values_list("adopted", "done", "median_days")),
        SharedLearningRun.objects.latest().organisations,
    )
    counted_before = counts()

    CHANGES[change](services[2])
    compute()

    assert counts() != counted_before  # the change was counted...
    assert figures_read(item_page(client, planner, own_item)) == item_before  # ...and does not show
    assert figures_read(client.get(f"/app/checklists/{own_item.checklist_id}/").content.decode()) == checklist_before


def test_the_figures_change_once_five_services_have_changed(client, planner, own_item):
    """Ten services find it applies; one a night decides it does not. The page reads the same for four
    nights and changes on the fifth, when five services have changed since it last changed."""
    services = [sharing_service(n) for n in range(10)]
    compute()
    first = figures_read(item_page(client, planner, own_item))
    assert "<strong>About 10</strong> of the <strong>about 10</strong> services" in first
    for night, service in enumerate(services[:5], 1):
        decide_it_does_not_apply(service)
        compute()
        page = figures_read(item_page(client, planner, own_item))
        if night < 5:
            assert page == first, night
    assert page != first
    assert "<strong>About 5</strong> of the <strong>about 10</strong> services" in page


# The rule, over every small world ------------------------------------------------------------------------

# What one service can do to a challenge's counts (deciding, applying): start sharing having decided it
# applies, or not; stop; change its decision either way.
ONE_SERVICE = [(1, 1), (1, 0), (-1, -1), (-1, 0), (0, 1), (0, -1)]


def services_apart(most):
    """{((deciding, applying), (deciding', applying')): the fewest services that must change to go from one
    to the other}, found by trying every sequence of one-service changes (breadth first), up to `most`
    services, for counts from 0 to `most`."""
    states = [(n, k) for n in range(most + 1) for k in range(n + 1)]
    apart = {}
    for start in states:
        seen = {start: 0}
        queue = deque([start])
        while queue:
            n, k = queue.popleft()
            for dn, dk in ONE_SERVICE:
                step = (n + dn, k + dk)
                if 0 <= step[1] <= step[0] <= most and step not in seen:
                    seen[step] = seen[(n, k)] + 1
                    queue.append(step)
        apart.update({(start, end): steps for end, steps in seen.items()})
    return apart


def test_a_challenges_words_change_only_when_five_services_changed_for_every_world_up_to_40_services():
    """Every figure a challenge can be shown from (deciding and applying up to 40), every count a later
    computation can find: the words change only when at least five services must have changed since the
    figure last changed (counted by trying every sequence of one-service changes, not by the rule's own
    arithmetic), and otherwise they are never more than four services behind."""
    from peerplan.models.shared_learning import HOLD, ChallengeCounts, challenge_text, next_challenge_counts

    apart = services_apart(40)
    for ((n0, k0), (n, k)), steps in apart.items():
        held = ChallengeCounts(n0, k0)
        after = next_challenge_counts(held, n, k)
        assert after in (held, (n, k))
        if challenge_text(after) != challenge_text(held):
            assert steps >= HOLD, (held, (n, k))
        elif challenge_text(held) != challenge_text(ChallengeCounts(n, k)):
            assert steps < HOLD, (held, (n, k))  # held back only while fewer than five changed
    # And in particular the probe's case: 5 of 5 to 4 of 5, 5 of 5 to 4 of 4 (one leaves), 6 of 6.
    for n, k in [(5, 4), (4, 4), (6, 6), (6, 5), (5, 5)]:
        assert challenge_text(next_challenge_counts(ChallengeCounts(5, 5), n, k)) == challenge_text(
            ChallengeCounts(5, 5)
        )


def test_how_many_services_share_changes_only_when_five_joined_or_left():
    from peerplan.models.shared_learning import HOLD, next_services_count, services_text

    for held in range(60):
        for now in range(60):
            after = next_services_count(held, now)
            if services_text(after) != services_text(held):
                assert abs(now - held) >= HOLD
            elif services_text(now) != services_text(held):
                assert abs(now - held) < HOLD


def _suggestion_counts(world):
    """(adopted, done, days) for a world: each service None (not adopted), "adopted", or days it took."""
    adopted = [state for state in world if state is not None]
    days = [state for state in adopted if state != "adopted"]
    return len(adopted), len(days), days


@pytest.mark.parametrize("seed", range(20))
def test_a_suggestions_words_and_median_change_only_when_five_services_changed(seed):
    """Worlds of up to 30 services that adopt a suggestion, get it done in 1 to 40 days, take it back or
    stop, one service at a time, night after night: the words (adopted, done, the median days) change only
    on a night when at least five services are in a different state from the night they last changed."""
    from peerplan.models.shared_learning import HOLD, SuggestionCounts, next_suggestion_counts, suggestion_text

    rng = random.Random(seed)
    size = rng.choice([8, 12, 20, 30])
    world = [None] * size
    held, last_change, changes = SuggestionCounts(), list(world), 0
    for _night in range(1500):
        who = rng.randrange(size)
        world[who] = rng.choice([None, "adopted", rng.randint(1, 40), world[who]])
        after = next_suggestion_counts(held, *_suggestion_counts(world))
        if suggestion_text(after) != suggestion_text(held):
            changed = sum(1 for then, now in zip(last_change, world, strict=True) if then != now)
            assert changed >= HOLD, (held, after, changed)
            last_change, changes = list(world), changes + 1
        held = after
    assert changes >= 5  # the figures do follow the services, five at a time
