"""Review state for items: `decided_at` and `decided_by`, empty until a person saves a decision.

Existing checklists keep their decisions. Before this migration an item had no way to say "nobody has
looked at this yet": every challenge started as "applies, medium priority". So an item counts as
decided when someone has visibly acted on it:

1. its history has a change to the decision itself (applies, the reason, the re-review date, the priority
   or the note): decided by the person and at the time of the latest such change. Marking the evidence
   as reviewed alone is not a decision;
2. otherwise, its state differs from what a new checklist starts with (a challenge marked as not
   applying, a benefit chosen as an outcome, another priority, a note) although its history does not
   show who changed it (data loaded in bulk or restored): decided when the item was last saved, by
   nobody recorded;
3. otherwise, it has at least one action: planning what to do about a challenge says it applies, so it
   counts as decided by whoever created the first action, when they created it.

Everything else stays "not reviewed yet". Nothing else changes and no history record is written.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


DECISION_FIELDS = ("applies", "not_applicable_reason", "rereview_on", "priority", "note")
BATCH = 2000


def mark_changed_items_decided(apps, schema_editor):
    Item = apps.get_model("peerplan", "Item")
    HistoricalItem = apps.get_model("peerplan", "HistoricalItem")
    Mitigation = apps.get_model("peerplan", "Mitigation")
    Finding = apps.get_model("evidence", "Finding")

    # 1. The latest change to the decision in each item's history.
    from_history = {}
    previous = {}
    records = HistoricalItem.objects.order_by("id", "history_date", "history_id").values_list(
        "id", "history_type", "history_date", "history_user_id", *DECISION_FIELDS
    )
    for item_id, kind, when, user_id, *decision in records.iterator(chunk_size=BATCH):
        before = previous.get(item_id)
        previous[item_id] = decision
        if kind == "~" and before is not None and before != decision:
            from_history[item_id] = (when, user_id)
    previous.clear()

    # 3. The first action of each item.
    first_action = {}
    actions = Mitigation.objects.order_by("item_id", "created_at", "pk").values_list(
        "item_id", "created_at", "created_by_id"
    )
    for item_id, when, user_id in actions.iterator(chunk_size=BATCH):
        first_action.setdefault(item_id, (when, user_id))

    challenge = dict(Finding.objects.values_list("pk", "valence"))
    last_saved = {}
    saves = HistoricalItem.objects.values("id").order_by().annotate(last=models.Max("history_date"))
    for item_id, when in saves.values_list("id", "last"):
        last_saved[item_id] = when

    changed = []
    items = Item.objects.order_by("pk").values_list(
        "pk", "finding_id", "applies", "priority", "note", "checklist__created_at"
    )
    for pk, finding_id, applies, priority, note, created in items.iterator(chunk_size=BATCH):
        is_challenge = challenge.get(finding_id) == "challenge"
        differs = applies != is_challenge or priority != "medium" or bool(note)
        if pk in from_history:
            decided = from_history[pk]
        elif differs:
            decided = (last_saved.get(pk) or created, None)
        elif pk in first_action:
            decided = first_action[pk]
        else:
            continue
        changed.append(Item(pk=pk, decided_at=decided[0], decided_by_id=decided[1]))
        if len(changed) >= BATCH:
            Item.objects.bulk_update(changed, ["decided_at", "decided_by_id"])
            changed = []
    if changed:
        Item.objects.bulk_update(changed, ["decided_at", "decided_by_id"])


class Migration(migrations.Migration):

    dependencies = [
        ('peerplan', '0002_load_phases_and_suggested_mitigations'),
        ('evidence', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalitem',
            name='decided_at',
            field=models.DateTimeField(blank=True, help_text='When a person last decided this item.', null=True),
        ),
        migrations.AddField(
            model_name='historicalitem',
            name='decided_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='item',
            name='decided_at',
            field=models.DateTimeField(blank=True, help_text='When a person last decided this item.', null=True),
        ),
        migrations.AddField(
            model_name='item',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(mark_changed_items_decided, migrations.RunPython.noop),
    ]
