"""Ids are never handed out twice: after a bulk load (`restore`, `loaddata`) every table's id sequence
is moved past every id that any history record names.

History records outlive the rows they describe. A sequence reset to the highest id still in use (what
`loaddata` does) would give a new checklist, item, action or person the id of a deleted one, and the
deleted one's history would then seem to be the new one's (issue 12)."""

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Max


def history_models():
    """Every model simple-history keeps a history for, with its historical model."""
    for model in apps.get_models():
        manager = getattr(model, "_meta", None) and getattr(model._meta, "simple_history_manager_attribute", None)
        if manager:
            yield model, getattr(model, manager).model


def highest_ids(using=DEFAULT_DB_ALIAS):
    """{model: the highest id that its table or any history record names} for every model a history
    record points at: the recorded object itself and whatever its foreign keys name (people, phases...)."""
    highest = {}

    def note(model, value):
        if value is not None and isinstance(model._meta.pk, models.AutoField):
            highest[model] = max(highest.get(model, 0), value)

    for model, historical in history_models():
        columns = {"id": model}
        for field in historical.tracked_fields:
            if isinstance(field, models.ForeignKey):
                columns[field.attname] = field.related_model
        columns["history_user_id"] = historical._meta.get_field("history_user").related_model
        maxima = historical._default_manager.using(using).aggregate(**{name: Max(name) for name in columns})
        for name, target in columns.items():
            note(target, maxima[name])
    for model in list(highest):
        note(model, model._default_manager.using(using).aggregate(top=Max("pk"))["top"])
    return highest


def advance_sequences(using=DEFAULT_DB_ALIAS):
    """Move each sequence past the highest id its table or any history record names; never backwards."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for model, top in highest_ids(using).items():
            table, column = model._meta.db_table, model._meta.pk.column
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [connection.ops.quote_name(table), column])
                sequence = cursor.fetchone()[0]
                if sequence:
                    cursor.execute(
                        "SELECT setval(%s, GREATEST(%s, (SELECT last_value FROM " + sequence + ")))",
                        [sequence, top],
                    )
            elif connection.vendor == "sqlite":
                # AUTOINCREMENT tables: SQLite hands out max(seq, highest rowid) + 1.
                cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [top, table])
                if cursor.rowcount == 0:
                    cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, top])
