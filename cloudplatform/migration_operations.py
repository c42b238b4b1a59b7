"""Migration operations for tables that grow to millions of rows."""
from django.db import migrations


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


class OnPostgreSQLOnly(migrations.operations.base.Operation):
    """`operation`'s change to the database on PostgreSQL, nothing elsewhere, and no change to the
    migration state: for what only PostgreSQL can build (a trigram GIN index). What it builds stays
    out of the models' Meta because SQLite, when a migration alters a field, rebuilds the table
    with every index of the model's state, and `USING gin` is not SQLite."""

    reversible = True

    def __init__(self, operation: migrations.operations.base.Operation) -> None:
        self.operation = operation

    def deconstruct(self):
        return self.__class__.__qualname__, [self.operation], {}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"{self.operation.describe()} (PostgreSQL only)"
