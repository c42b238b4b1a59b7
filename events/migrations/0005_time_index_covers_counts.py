"""The per-box counts and the chart read the last day's events by time, with their box and type:
one index on the time that includes both answers them from the index alone on PostgreSQL (the
include is left out elsewhere). It replaces occurred_at's plain index; built CONCURRENTLY."""
from django.db import migrations, models

from cloudplatform.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("events", "0004_indexes_for_millions"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="event",
            index=models.Index(fields=["occurred_at"], include=["box", "person_type"], name="event_time_box_type"),
        ),
        migrations.AlterField(
            model_name="event",
            name="occurred_at",
            field=models.DateTimeField(),
        ),
    ]
