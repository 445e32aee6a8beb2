"""On PostgreSQL, a query run again on a connection is kept prepared there (settings: DB_PREPARED_STATEMENTS),
so the server plans it once per connection: the item page's loader joins nine tables, and planning them
took several times as long as running them."""

import pytest
from django.db import connection

from tests.factories import make_checklist

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs DATABASE_URL=postgres:// (prepared statements)"
)


def _prepared(sql_start):
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall() if row[0].startswith(sql_start)]


def test_a_page_read_again_keeps_its_loader_prepared_and_reads_the_same(client, org_a, owner):
    checklist = make_checklist(org_a, "Community team", owner)
    item = checklist.items.challenges().first()
    client.force_login(owner)
    pages = [client.get(f"/app/items/{item.pk}/") for _ in range(5)]
    assert {page.status_code for page in pages} == {200}
    assert item.finding.theme.name in pages[-1].content.decode()
    # The loader's query (the item with the person's membership), run again, is prepared on the server.
    assert _prepared('SELECT "peerplan_item"."id"')
