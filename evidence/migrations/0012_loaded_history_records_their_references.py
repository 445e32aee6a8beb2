"""The first version of each finding and perspective in the history, recorded when Table 6 was loaded
(0002_load_table6), lacks its references: that migration wrote the history rows by hand and left out their
many-to-many rows. The history then showed the first edit of every finding as a change of its references
("[] → [23], [34]") that nobody made.

This records, on those first versions only, the references they had: Table 6's as loaded, read from the same
file 0002 loaded (so a reference a curator changed since is not taken for the original). Nothing already
saved is changed or removed; reversing it takes those first versions' references away again."""

import json
from pathlib import Path

from django.db import migrations

TABLE6 = Path(__file__).resolve().parent.parent / "fixtures" / "table6.json"
LOADED = "Loaded from the published table"


def _published_references():
    """{(theme name, valence): numbers} and {(theme name, valence, sample position): numbers} as loaded."""
    table6 = json.loads(TABLE6.read_text(encoding="utf-8"))
    findings, samples = {}, {}
    for category in table6["categories"]:
        for theme in category["themes"]:
            for finding in theme["findings"]:
                key = (theme["name"], finding.get("valence") or "")
                findings[key] = sorted(set(finding["references"]))
                for position, sample in enumerate(finding["samples"], start=1):
                    samples[(*key, position)] = sorted(set(sample["references"]))
    return findings, samples


def record_references(apps, schema_editor):
    history = {name: apps.get_model("evidence", f"Historical{name}") for name in ("Theme", "Finding", "Perspective")}
    loaded = {name: model.objects.filter(history_change_reason=LOADED) for name, model in history.items()}
    theme_names = dict(loaded["Theme"].values_list("id", "name"))
    if not theme_names:
        return
    reference_ids = dict(
        apps.get_model("evidence", "HistoricalReference")
        .objects.filter(history_change_reason=LOADED)
        .values_list("number", "id")
    )
    finding_keys = {
        pk: (theme_names.get(theme_id), valence)
        for pk, theme_id, valence in loaded["Finding"].values_list("id", "theme_id", "valence")
    }
    findings, samples = _published_references()

    def add(model_name, owner, key_of, numbers_of):
        live_model = apps.get_model("evidence", model_name)
        through = live_model._meta.get_field("references").remote_field.through
        live_links = {
            (getattr(row, f"{owner}_id"), row.reference_id): row.pk for row in through.objects.all()
        }
        rows_model = apps.get_model("evidence", f"Historical{model_name}_references")
        has_rows = set(rows_model.objects.values_list("history_id", flat=True))
        rows = []
        for record in loaded[model_name]:
            numbers = numbers_of.get(key_of(record))
            if record.history_id in has_rows or not numbers:
                continue
            for number in numbers:
                reference_id = reference_ids.get(number)
                if reference_id is None:
                    continue
                rows.append(
                    rows_model(
                        history_id=record.history_id,
                        reference_id=reference_id,
                        id=live_links.get((record.id, reference_id), 0),  # the link's own id, 0 if it is gone
                        **{f"{owner}_id": record.id},
                    )
                )
        rows_model.objects.bulk_create(rows, batch_size=500)

    add("Finding", "finding", lambda record: finding_keys.get(record.id), findings)
    add(
        "Perspective",
        "perspective",
        lambda record: (*finding_keys.get(record.finding_id, (None, None)), record.position),
        samples,
    )


def remove_recorded(apps, schema_editor):
    for name in ("Finding", "Perspective"):
        history = apps.get_model("evidence", f"Historical{name}")
        loaded = history.objects.filter(history_change_reason=LOADED).values("history_id")
        apps.get_model("evidence", f"Historical{name}_references").objects.filter(history_id__in=loaded).delete()


class Migration(migrations.Migration):
    dependencies = [("evidence", "0011_finding_changes_and_release_notes")]

    operations = [migrations.RunPython(record_references, remove_recorded)]
