"""Every signed-in page of an organisation runs as many queries in the benchmark's large organisation (50
checklists, 1,250 items, 5,000 actions, 100 members: bench/large_organisation.py) as in a small one built the
same way, right after a write (a cache miss, what its people meet most of the day)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.large_organisation import SIZE, build_large_organisation
from peerplan.models import Membership, Role
from peerplan.models.organisation_generations import organisation_changed
from peerplan.notify.context import unread_count

# 120 actions: enough for every status and every due date the builder gives (a month ago to three months
# ahead), so the dashboard's overdue, due-soon and blocked lists all have rows here too.
SMALL = {"checklists": 2, "items": 50, "actions": 120, "members": 20}

PAGES = [
    "/app/",
    "/app/orgs/{slug}/",
    "/app/orgs/{slug}/dashboard/",
    "/app/checklists/{checklist}/",
    "/app/my-actions/",
    "/app/orgs/{slug}/actions/",
    "/app/items/{item}/",
    "/app/checklists/{checklist}/export.csv",
]


def queries_of_each_page(client, organisation):
    owner = Membership.objects.filter(organisation=organisation, role=Role.OWNER).order_by("pk").first().user
    checklist = organisation.checklists.order_by("pk").first()
    item = checklist.items.filter(mitigations__isnull=False).order_by("pk").first()
    client.force_login(owner)
    unread_count(owner)  # counted once, as after any sign-in
    counts = {}
    for template in PAGES:
        url = template.format(slug=organisation.slug, checklist=checklist.pk, item=item.pk)
        assert client.get(url).status_code == 200, url
        organisation_changed(organisation)  # a write: the next read is a miss
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts[template] = len(queries)
    return counts


def test_every_page_runs_as_many_queries_in_the_large_organisation_as_in_a_small_one(client, db):
    small = build_large_organisation(slug="small-trust", name="Small Trust", size=SMALL)
    large = build_large_organisation(slug="large-trust", size=SIZE)
    assert large.checklists.count() == 50 and large.memberships.count() == 100

    assert queries_of_each_page(client, large) == queries_of_each_page(client, small)
