"""Give the source its curated caveat: the review's own rating of the reviews it includes.

Stored on the Source row (curators can edit it in the admin) and shown wherever evidence is presented.
Only fills an empty caveat, so it never overwrites a curator's wording.
"""

from django.db import migrations

CAVEAT = (
    "Cooper et al. report that, assessed with AMSTAR 2, most of the reviews included in this umbrella "
    "review (97%) were rated low or critically low quality."
)


def add_caveat(apps, schema_editor):
    Source = apps.get_model("evidence", "Source")
    Source.objects.filter(caveat="").update(caveat=CAVEAT)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0002_load_table6")]

    operations = [migrations.RunPython(add_caveat, migrations.RunPython.noop)]
