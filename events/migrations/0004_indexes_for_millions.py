"""Indexes for tables of millions of events (issue 17 item 5): each filter of the events list by
time, the pictures for retention. On PostgreSQL they are built CONCURRENTLY: a plain CREATE INDEX
on ten million rows blocks the boxes' event intake for minutes."""
from django.db import migrations, models

from cloudplatform.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("events", "0003_relabel"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="event",
            index=models.Index(fields=["identity_id", "-occurred_at"], name="event_identity_time"),
        ),
        # The index above serves identity_id alone too.
        migrations.AlterField(
            model_name="event",
            name="identity_id",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        AddIndexWithoutLocking(
            model_name="event",
            index=models.Index(fields=["person_type", "-occurred_at"], name="event_type_time"),
        ),
        AddIndexWithoutLocking(
            model_name="event",
            index=models.Index(condition=models.Q(("spot_pic", ""), _negated=True), fields=["spot_pic"],
                               name="event_spot_pic_used"),
        ),
        AddIndexWithoutLocking(
            model_name="event",
            index=models.Index(condition=models.Q(("reg_pic", ""), _negated=True), fields=["reg_pic"],
                               name="event_reg_pic_used"),
        ),
    ]
