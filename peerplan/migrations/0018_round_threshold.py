from django.db import migrations, models

import peerplan.models.check_ins


class Migration(migrations.Migration):
    dependencies = [("peerplan", "0017_check_ins")]

    operations = [
        migrations.AddField(
            model_name="round",
            name="threshold",
            field=models.PositiveSmallIntegerField(
                default=peerplan.models.check_ins.default_threshold,
                validators=[peerplan.models.check_ins.validate_threshold],
            ),
        ),
    ]
