"""The "Curators" group: exactly the permissions to curate the evidence and the suggested mitigation
library, so a site admin only has to add people to it (and tick "staff status")."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CURATED = {
    "evidence": ["source", "reference", "category", "theme", "finding", "perspective"],
    "peerplan": ["suggestedmitigation", "implementationphase"],
}
ACTIONS = ["add", "change", "delete", "view"]


def create_curators(apps, schema_editor):
    # Permissions are normally created after `migrate` finishes; create them now so the group can hold them.
    for label in CURATED:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Curators")
    wanted = []
    for label, models in CURATED.items():
        for model in models:
            for action in ACTIONS:
                wanted.append(
                    Permission.objects.get(content_type__app_label=label, codename=f"{action}_{model}")
                )
    group.permissions.set(wanted)


def remove_curators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Curators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0003_source_caveat"),
        ("peerplan", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_curators, remove_curators)]
