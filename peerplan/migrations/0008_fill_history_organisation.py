"""Fill the organisation of existing items' and actions' history records (issue 12).

Existing records are filled from the checklist's own history as it stood when the record was written
(a checklist id may since have been reused by another organisation), else from the live checklist."""

from django.db import migrations, models


def fill_organisations(apps, schema_editor):
    HistoricalChecklist = apps.get_model("peerplan", "HistoricalChecklist")
    Checklist = apps.get_model("peerplan", "Checklist")
    for name in ("HistoricalItem", "HistoricalMitigation"):
        model = apps.get_model("peerplan", name)
        as_recorded = (
            HistoricalChecklist.objects.filter(
                id=models.OuterRef("checklist_id"), history_date__lte=models.OuterRef("history_date")
            )
            .order_by("-history_date", "-history_id")
            .values("organisation_id")[:1]
        )
        model.objects.filter(organisation__isnull=True).update(organisation_id=models.Subquery(as_recorded))
        live = Checklist.objects.filter(pk=models.OuterRef("checklist_id")).values("organisation_id")[:1]
        model.objects.filter(organisation__isnull=True).update(organisation_id=models.Subquery(live))


class Migration(migrations.Migration):
    dependencies = [
        ("peerplan", "0007_history_organisation"),
    ]

    operations = [
        migrations.RunPython(fill_organisations, migrations.RunPython.noop),
    ]
