"""Create the database cache table (settings.CACHES) that the public evidence pages are cached in.

`manage.py createcachetable` would do it, but then a fresh `migrate` alone would leave the evidence
pages failing; the command skips tables that already exist, so running it here is harmless.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0004_curators_group")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
