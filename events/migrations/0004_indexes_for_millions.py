"""Indexes for tables of millions of events (issue 17 item 5): each filter of the events list by
time, the pictures for retention. On PostgreSQL they are built CONCURRENTLY: a plain CREATE INDEX
on ten million rows blocks the boxes' event intake for minutes."""
from django.db import migrations, models


class AddIndexWithoutLocking(migrations.AddIndex):
    """AddIndex, built concurrently on PostgreSQL (writes go on meanwhile); as usual elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)


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
