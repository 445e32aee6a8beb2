# The free-text "source" of a suggested action becomes the curators' note beside the source and references
# now picked from lists (next migration); its text is kept whole.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("peerplan", "0012_shared_figures_held"),
    ]

    operations = [
        migrations.RenameField(model_name="suggestedmitigation", old_name="source", new_name="source_note"),
        migrations.RenameField(model_name="historicalsuggestedmitigation", old_name="source", new_name="source_note"),
    ]
