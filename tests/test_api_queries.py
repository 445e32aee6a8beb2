"""Each API list and the dashboard run a fixed number of queries whatever the data size (pinned at one and
ten times the data, like the pages)."""

from datetime import date, timedelta

import pytest

from peerplan.models import MitigationStatus, organisation_generations
from tests.api_helpers import call, token_for
from tests.factories import make_checklist, make_mitigation


def _grow(org, by, copies):
    checklists = []
    for n in range(copies):
        checklist = make_checklist(org, f"Plan {n}", by, review_date=date.today() - timedelta(days=2))
        for item in checklist.items.challenges()[:5]:
            make_mitigation(item, "Late", MitigationStatus.BLOCKED, due_date=date.today() - timedelta(days=n + 1))
            make_mitigation(item, "Soon", MitigationStatus.PLANNED, due_date=date.today() + timedelta(days=2))
        checklists.append(checklist)
    return checklists


@pytest.fixture(params=[1, 10], ids=["small", "ten-times"])
def grown(request, org_a, owner, planner):
    checklists = _grow(org_a, owner, request.param)
    from peerplan.models import ImplementationPhase, Mitigation

    Mitigation.objects.update(phase=ImplementationPhase.objects.first(), owner=planner)
    return {"checklist": checklists[0], "secret": token_for(planner, org_a)}


# Every token request: the token with its person and organisation (1); the rate limit's count in the shared
# cache read (1) and written (4: the cache's size check, then the row's upsert in a savepoint and its release).
# The token's "last used" time is written at most once a minute, so each test warms the token up first.
TOKEN = 6


def warm(client, url, secret):
    """One request first: records the token's use and puts the evidence facts in the cache."""
    assert call(client, "GET", url, secret).status_code == 200


def test_the_action_list_runs_the_same_queries_whatever_the_size(client, grown, django_assert_num_queries):
    url = "/api/organisations/northside/mitigations/?page_size=200"
    warm(client, url, grown["secret"])
    # token and rate limit; organisation and membership (one query); count; the page of actions with owner and phase; the
    # challenges they address
    with django_assert_num_queries(TOKEN + 4):
        response = call(client, "GET", url, grown["secret"])
    assert response.status_code == 200 and len(response.json()["results"]) == response.json()["count"]


def test_the_items_list_runs_the_same_queries_whatever_the_size(client, grown, django_assert_num_queries):
    url = f"/api/checklists/{grown['checklist'].pk}/items/"
    warm(client, url, grown["secret"])
    # token and rate limit; checklist with the person's membership; count; the page of items with counts;
    # evidence facts (cache)
    with django_assert_num_queries(TOKEN + 4):
        response = call(client, "GET", url, grown["secret"])
    assert response.status_code == 200 and response.json()["count"] == 25


def test_the_checklists_list_runs_the_same_queries_whatever_the_size(client, grown, django_assert_num_queries):
    url = "/api/organisations/northside/checklists/"
    warm(client, url, grown["secret"])
    # token and rate limit; organisation and membership (one query); count; the page of checklists; their coverage
    with django_assert_num_queries(TOKEN + 4):
        response = call(client, "GET", url, grown["secret"])
    assert response.status_code == 200


def test_the_dashboard_runs_the_same_queries_whatever_the_size(client, grown, django_assert_num_queries):
    url = "/api/organisations/northside/dashboard/"
    warm(client, url, grown["secret"])
    # token and rate limit; organisation and membership (one query); the dashboard's own six (active checklists,
    # three lists, the names of the themes the lists' actions address, re-review due); the generations its
    # checklists' counts are kept by (one cache read: progress and the grid were counted by the first read and
    # are kept, pages/checklist_counts.py); the lists' phases and the challenges their actions address; the
    # evidence generation (the grid's themes are the findings this process keeps for it)
    with django_assert_num_queries(TOKEN + 11):
        response = call(client, "GET", url, grown["secret"])
    assert response.status_code == 200
    # Once the organisation's data changed, each checklist's counts are read again: progress with the counts and
    # the grid (a checklist's coverage is its rows added up), one query each.
    organisation_generations.organisation_changed(grown["checklist"].organisation_id)
    with django_assert_num_queries(TOKEN + 13):
        response = call(client, "GET", url, grown["secret"])
    assert response.status_code == 200
    assert response.json()["blocked"]["count"] == 5 * len(response.json()["checklists"])
