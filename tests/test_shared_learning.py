"""What services like yours did: anonymous figures from the organisations that share, shown only when at
least five contribute, rounded, computed by a command into tables that pages read instead of other
organisations' rows."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import serializers
from django.core.management import call_command
from django.utils import timezone

from peerplan import page_cache, planning
from peerplan.comments import post_comment
from peerplan.models import Mitigation, MitigationStatus, Organisation, SuggestedMitigation
from peerplan.shared_learning import ChallengeFigure, SharedLearningRun, SuggestionFigure, shown_count
from tests.conftest import _member
from tests.factories import item_for, make_checklist

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
    owner = _member(organisation, f"sharer{number}", "owner", "Ophelia Brightwater")
    checklist = make_checklist(organisation, f"Secret plan {number} Zanzibar", by=owner)
    item = item_for(checklist, "Role ambiguity")
    planning.decide_item(item=item, applies=applies, reason="" if applies else "Zanzibar reasons", by=owner)
    if adopt_days is not None:
        action = planning.adopt_suggestion(suggestion=suggestion_for("Role ambiguity"), item=item, by=owner)
        Mitigation.objects.filter(pk=action.pk).update(
            created_at=timezone.now() - timedelta(days=adopt_days), notes=SECRETS[0]
        )
        action.refresh_from_db()
        planning.update_mitigation(
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


def test_counts_are_rounded_to_the_nearest_five_and_small_ones_are_not_given():
    assert [shown_count(n) for n in (0, 1, 4, 5, 6, 8, 10, 12, 13, 100)] == [
        "none",
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
    assert "From the 6 services that share their figures anonymously" in page
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
    assert "found it applies to them" in item_page(client, planner, own_item)
    # The owner of one of them switches sharing off on the sharing page.
    owner = services[0].memberships.get().user
    client.force_login(owner)
    response = client.post(f"/app/orgs/{services[0].slug}/sharing/", {})
    assert response.status_code == 302
    services[0].refresh_from_db()
    assert services[0].share_anonymously is False
    assert "found it applies to them" in item_page(client, planner, own_item)  # until the next computation
    compute()
    page = item_page(client, planner, own_item)
    assert "found it applies to them" not in page
    assert "not enough services yet" in page
    assert ChallengeFigure.objects.get(finding=own_item.finding).deciding == 4


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
    client.get(f"/app/items/{own_item.pk}/")  # the generations (peerplan/page_cache.py)
    page_cache.organisation_changed(own_item.checklist.organisation)
    # The item page's queries on a cache miss (tests/test_items.py lists them; with no action or comment
    # here, their prefetches do not run): among them the latest computation, the challenge's figure and
    # its suggestions' figures, whatever the number of services behind them.
    with django_assert_num_queries(25):
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
        started_at=timezone.now(), finished_at=timezone.now(), organisations=done, seconds=0.1
    )
    for suggestion in suggestions:
        SuggestionFigure.objects.create(suggestion=suggestion, finding=None, adopted=done, done=done, median_days=9)


def _tied_pair(checklist):
    """Two ranked suggestions that cover as many challenges, the first ahead of the second."""
    from peerplan import insights

    ranked = insights.rank_suggestions(checklist)
    for first, second in zip(ranked, ranked[1:], strict=False):
        if len(first.items) == len(second.items):
            return first.suggestion, second.suggestion
    pytest.fail("no two suggestions cover as many challenges")


@pytest.mark.parametrize("done", [4, 5])
def test_suggestions_done_by_many_services_rank_higher_among_those_covering_as_much(client, planner, own_item, done):
    from peerplan import insights

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
    page_cache.organisation_changed(own_item.checklist.organisation)  # the body cached by that view is out of date
    # The checklist page's 22 after a change (tests/test_checklists.py, a draft), the findings on offer to an
    # active checklist (tests/test_evidence_releases.py), and the ranked suggestions' anonymous figures.
    with django_assert_num_queries(24):
        assert client.get(url).status_code == 200


def test_no_api_response_carries_another_services_words_or_people(client, org_a, owner, own_item):
    """Sharing services in the same network as organisation A, with distinctive text and people: nothing of
    them reaches A's API responses, figures computed or not."""
    from peerplan import networks
    from peerplan.networks import Network
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
