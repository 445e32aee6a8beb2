"""Load the published evidence (Table 6) so a fresh `migrate` has it.

evidence/fixtures/table6.json is what `evidence.parser` makes of the seed text; tests check that the
two agree, so the shipped file cannot drift from the source.
"""

import json
from pathlib import Path

from django.db import migrations

TABLE6 = Path(__file__).resolve().parent.parent / "fixtures" / "table6.json"


EVIDENCE_MODELS = ["Source", "Reference", "Category", "Theme", "Finding", "Perspective"]


def load_table6(apps, schema_editor):
    from django.utils import timezone

    from evidence.migrations._interchange_v1 import import_evidence

    Theme = apps.get_model("evidence", "Theme")
    if Theme.objects.exists():
        return
    import_evidence(json.loads(TABLE6.read_text(encoding="utf-8")), apps=apps)

    # Models in migrations do not write history, so record the published state as each row's first
    # version: later edits are then shown against it ("changed from ... to ...").
    now = timezone.now()
    for name in EVIDENCE_MODELS:
        model = apps.get_model("evidence", name)
        historical = apps.get_model("evidence", f"Historical{name}")
        fields = [field.attname for field in model._meta.concrete_fields]
        historical.objects.bulk_create(
            historical(
                **{field: getattr(row, field) for field in fields},
                history_date=now,
                history_type="+",
                history_change_reason="Loaded from the published table",
            )
            for row in model.objects.all()
        )


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]

    operations = [migrations.RunPython(load_table6, migrations.RunPython.noop)]
