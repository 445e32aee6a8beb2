"""Items' and actions' history records say which organisation they belonged to (issue 12). The column only:
0008 fills it, in a transaction of its own (on PostgreSQL the column's index is built at the end of this
migration, which it cannot do on a table with rows updated in the same transaction)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("peerplan", "0006_merge_planning_with_accounts_and_collaboration"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalitem",
            name="organisation",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="peerplan.organisation",
            ),
        ),
        migrations.AddField(
            model_name="historicalmitigation",
            name="organisation",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="peerplan.organisation",
            ),
        ),
    ]
