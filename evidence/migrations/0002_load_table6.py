"""Load the published evidence (Table 6) so a fresh `migrate` has it.

evidence/fixtures/table6.json is what `evidence.parser` makes of the seed text; tests check that the
two agree, so the shipped file cannot drift from the source.
"""

import json
from pathlib import Path

from django.db import migrations

TABLE6 = Path(__file__).resolve().parent.parent / "fixtures" / "table6.json"


def load_table6(apps, schema_editor):
    from evidence.interchange import import_evidence

    Theme = apps.get_model("evidence", "Theme")
    if Theme.objects.exists():
        return
    import_evidence(json.loads(TABLE6.read_text(encoding="utf-8")), apps=apps)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]

    operations = [migrations.RunPython(load_table6, migrations.RunPython.noop)]
