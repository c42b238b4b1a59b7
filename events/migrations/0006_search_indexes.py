"""The free-text search (events.filters.EventFilterSet.search) by trigram indexes on PostgreSQL,
and the box foreign key's own index dropped: (box, time) and the (box, dedup_key) constraint
both start with the box and serve its lookups (the cascade from a box, intake's dedup).

The search is `icontains`, which PostgreSQL runs as UPPER(column) LIKE UPPER('%term%'): each
searched column gets a GIN index of the trigrams of UPPER(column), which that LIKE can use. They
are PostgreSQL's alone (pg_trgm) and built CONCURRENTLY; on SQLite this migration only drops the
foreign key's index. They are not in Event.Meta.indexes (see OnPostgreSQLOnly)."""
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
from django.db.models.functions import Upper

from cloudplatform.migration_operations import AddIndexWithoutLocking, OnPostgreSQLOnly

SEARCHED = {"identity_name": "event_name_trgm", "identity_id": "event_identity_trgm", "ep_id": "event_ep_id_trgm",
            "device_ip": "event_device_ip_trgm"}


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("events", "0005_time_index_covers_counts"),
    ]

    operations = [
        # CREATE EXTENSION IF NOT EXISTS pg_trgm. Wrapped: Django's own check of the database
        # is in its forwards only, and SQLite has no pg_extension to look in backwards.
        OnPostgreSQLOnly(TrigramExtension()),
        *(OnPostgreSQLOnly(AddIndexWithoutLocking(
            model_name="event", index=GinIndex(OpClass(Upper(column), name="gin_trgm_ops"), name=name)))
          for column, name in SEARCHED.items()),
        migrations.AlterField(
            model_name="event",
            name="box",
            field=models.ForeignKey(db_index=False, on_delete=models.deletion.CASCADE, related_name="events",
                                    to="devices.box"),
        ),
    ]
