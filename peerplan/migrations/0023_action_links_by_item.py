"""The actions' links to their challenges indexed by challenge with the action beside it: coverage (is a challenge
covered, is it done) asks of every applicable challenge whether a live or done action links it, and with the
plain index on item_id each answer read the link's row again for its action. Django makes the links' table
itself (Mitigation.items), so the index is made here in SQL, the same on SQLite and PostgreSQL."""

from django.db import migrations

INDEX = "peerplan_mitigation_items_item_mitigation"


class Migration(migrations.Migration):
    dependencies = [
        ("peerplan", "0022_mitigation_lists_index"),
    ]

    operations = [
        migrations.RunSQL(
            f'CREATE INDEX "{INDEX}" ON "peerplan_mitigation_items" ("item_id", "mitigation_id")',
            reverse_sql=f'DROP INDEX "{INDEX}"',
        ),
    ]
