"""An action (Mitigation) can address many items of its checklist: the `item` foreign key becomes the
many-to-many `items`.

Nothing is lost: every action keeps exactly the item it had (copied before the old column goes). Its
history records drop their item column, which never changed in an action's life (items could not be
moved), so the item of every past version is the one the action still addresses. Duplicates adopted from
the same suggestion on the same checklist are left as they are, for people to merge from the checklist.
"""

from django.db import migrations, models

BATCH = 2000


def copy_item_into_items(apps, schema_editor):
    Mitigation = apps.get_model("peerplan", "Mitigation")
    Link = Mitigation.items.through
    links = []
    for mitigation_id, item_id in Mitigation.objects.order_by("pk").values_list("pk", "item_id").iterator(BATCH):
        links.append(Link(mitigation_id=mitigation_id, item_id=item_id))
        if len(links) >= BATCH:
            Link.objects.bulk_create(links)
            links = []
    Link.objects.bulk_create(links)


def copy_first_item_back(apps, schema_editor):
    """Going back keeps each action on its first item (published order is not known here: lowest id)."""
    Mitigation = apps.get_model("peerplan", "Mitigation")
    for mitigation in Mitigation.objects.prefetch_related("items").iterator(BATCH):
        first = min((item.pk for item in mitigation.items.all()), default=None)
        if first is not None:
            Mitigation.objects.filter(pk=mitigation.pk).update(item_id=first)


class Migration(migrations.Migration):
    dependencies = [
        ("peerplan", "0003_item_review_state"),
    ]

    operations = [
        # The old key gives up its reverse name first, so the new field can take "mitigations".
        migrations.AlterField(
            model_name="mitigation",
            name="item",
            field=models.ForeignKey(
                null=True, on_delete=models.deletion.CASCADE, related_name="+", to="peerplan.item"
            ),
        ),
        migrations.AddField(
            model_name="mitigation",
            name="items",
            field=models.ManyToManyField(
                help_text="The challenges (or outcomes) this action addresses, all of the same checklist.",
                related_name="mitigations",
                to="peerplan.item",
            ),
        ),
        migrations.RunPython(copy_item_into_items, copy_first_item_back),
        migrations.RemoveField(
            model_name="historicalmitigation",
            name="item",
        ),
        migrations.RemoveField(
            model_name="mitigation",
            name="item",
        ),
    ]
