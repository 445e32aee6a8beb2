"""Rows kept across a change to an action (peerplan/pages/page_cache.py, PreparedQuery(without_actions=True)):
a query that says it reads no action never names the tables of actions; a write to anything else those
queries read replaces the generation they are kept by; and the pages show every change at once."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peerplan.figures import tracking
from peerplan.lib import freshness, prepared
from peerplan.models import Membership, MitigationStatus, Role
from peerplan.operations.mitigations import update_mitigation
from tests.factories import make_checklist, make_mitigation, make_user
from tests.kept_rows import sql_of, tables, tables_of_actions
from tests.worlds import committed

DASHBOARD = "/app/orgs/northside/dashboard/"


def test_only_the_actions_are_declared_actions():
    declared = [
        model._meta.label
        for model in apps.get_models()
        if isinstance(freshness.declared(model), freshness.OrganisationData) and freshness.declared(model).actions
    ]
    assert declared == ["peerplan.Mitigation"]
    # Its path starts at its checklist, whose id a write records for the counts kept per checklist.
    mitigation = apps.get_model("peerplan.Mitigation")
    first = freshness.declared(mitigation).path.split("__")[0]
    assert mitigation._meta.get_field(first).related_model is apps.get_model("peerplan.Checklist")
    assert {"peerplan_mitigation", "peerplan_mitigation_items", "peerplan_historicalmitigation"} <= tables_of_actions()


@pytest.mark.django_db
def test_no_query_that_says_it_reads_no_action_names_a_table_of_actions():
    assert len(prepared.WITHOUT_ACTIONS) >= 10  # the dashboard's, the item's and the action list's at least
    for query in prepared.WITHOUT_ACTIONS:
        sql = sql_of(query)
        assert tables(sql), sql  # the pattern finds tables at all
        assert not tables(sql) & tables_of_actions(), f"{query.build.__qualname__} reads actions: {sql}"


def _dashboard_queries(client):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(DASHBOARD).content.decode()
    return page, [query["sql"] for query in queries.captured_queries]


# What tells the dashboard's own queries apart: the active checklists' (with whether each has a check-in) and the
# members' (with the organisation of the membership each was read by).
SHOWN_CHECKLISTS, MEMBERS = '"has_check_in"', '"memberships__organisation_id"'


def _ran(sqls, marker):
    return any(marker in sql for sql in sqls)


def test_after_a_change_to_an_action_the_dashboard_keeps_the_rest_and_shows_the_change(client, org_a, owner, planner):
    checklist = make_checklist(org_a, "Community team", owner)
    item = checklist.items.challenges().first()
    action = make_mitigation(item, "Write the role description", MitigationStatus.BLOCKED, owner=planner)
    client.force_login(owner)
    committed()
    page, sqls = _dashboard_queries(client)
    # The active checklists and the members the blocked action can be given to, read from the database.
    assert _ran(sqls, SHOWN_CHECKLISTS) and _ran(sqls, MEMBERS)
    assert 'id="due-soon-count">0<' in page
    tomorrow = tracking.today() + timedelta(days=1)
    update_mitigation(mitigation_id=action.pk, changes={"due_date": tomorrow}, version=action.version, by=owner)
    committed()
    page, sqls = _dashboard_queries(client)
    assert 'id="due-soon-count">1<' in page  # rebuilt, with the change
    assert not _ran(sqls, SHOWN_CHECKLISTS) and not _ran(sqls, MEMBERS)  # kept
    assert f'<option value="{planner.pk}">Pat</option>' in page
    assert "Community team" in page


def test_a_change_to_anything_else_they_read_is_shown_at_once(client, org_a, owner, planner):
    checklist = make_checklist(org_a, "Community team", owner)
    action = make_mitigation(checklist.items.challenges().first(), "Write the role description", owner=planner)
    update_mitigation(mitigation_id=action.pk, changes={"status": "blocked"}, version=action.version, by=owner)
    client.force_login(owner)
    committed()
    client.get(DASHBOARD)
    checklist.title = "Community mental health team"
    checklist.save()
    planner.first_name = "Patricia"
    planner.save()
    newcomer = make_user("nia", first_name="Nia")
    Membership.objects.create(organisation=org_a, user=newcomer, role=Role.PLANNER)
    committed()
    page = client.get(DASHBOARD).content.decode()
    assert "Community mental health team" in page
    assert f'<option value="{planner.pk}">Patricia</option>' in page
    assert f'<option value="{newcomer.pk}">Nia</option>' in page


def test_an_uncommitted_write_is_shown_to_its_own_connection(client, org_a, owner):
    # Inside the writing transaction (as a test runs), the page is built with the transaction's own token.
    checklist = make_checklist(org_a, "Community team", owner)
    make_mitigation(checklist.items.challenges().first(), "Write the role description")
    client.force_login(owner)
    committed()
    client.get(DASHBOARD)
    checklist.title = "Renamed, not committed"
    checklist.save()
    assert "Renamed, not committed" in client.get(DASHBOARD).content.decode()


def test_an_items_discussion_is_kept_across_a_change_to_an_action_and_a_new_comment_shows_at_once(
    client, org_a, owner, planner
):
    from peerplan.operations.comments import post_comment

    checklist = make_checklist(org_a, "Community team", owner)
    item = checklist.items.challenges().first()
    action = make_mitigation(item, "Write the role description", owner=planner)
    post_comment(body="Over to @Pat", by=owner, organisation=org_a, item=item)
    client.force_login(owner)
    committed()
    url = f"/app/items/{item.pk}/"

    def read():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        return page, [query["sql"] for query in queries.captured_queries]

    page, sqls = read()
    assert "Over to" in page and _ran(sqls, '"peerplan_comment"')
    mention = '<strong class="mention">@Pat</strong>'
    for status in ("blocked", "in_progress"):
        action.refresh_from_db()
        update_mitigation(mitigation_id=action.pk, changes={"status": status}, version=action.version, by=owner)
        committed()
        page, sqls = read()
        assert not _ran(sqls, '"peerplan_comment"')  # kept
        assert mention in page  # with its mention, each time
    post_comment(body="Done on Friday", by=planner, organisation=org_a, item=item)
    committed()
    page, _ = read()
    assert "Done on Friday" in page and mention in page
