"""Statements made before the write transaction, so that the transaction only runs them.

On SQLite a write transaction holds the one writers' turn (cloudplatform/db/sqlite3), and with
grouped writes (cloudplatform/grouped_writes.py) one thread per process runs every request's
writes: what that thread spends in Python, every writer of every process waits for. Timed at
1 000 boxes (bench/fleet.py), each web process's writing thread was busy 70 % of the time, half
of it waiting for the other's turn and most of the rest in the ORM building statements (bulk
inserts and the look-up before them: about 2 ms of CPU a request). Here a statement and its
parameters are made where the request runs; the writing thread only executes them. Values that
come back are as the database gives them (no ORM converters): ids, text and numbers.

An insert's rows that conflict with a unique constraint are skipped (ON CONFLICT DO NOTHING, on SQLite and
PostgreSQL alike), and RETURNING names the rows inserted: no look-up is needed first to leave
out what is stored already, nor after to learn which rows went in.
"""
from __future__ import annotations

from collections.abc import Sequence

from django.db import NotSupportedError, connection
from django.db.models import AutoField, Model, QuerySet
from django.db.models.sql import UpdateQuery


class PreparedInsert:
    """`objs` (instances of one model, without primary keys) as INSERT statements, their values
    taken now as `Model.save()` would store them (defaults, auto_now_add, related ids)."""

    def __init__(self, objs: Sequence[Model], returning: Sequence[str] = ()) -> None:
        self.returning = tuple(returning)
        self.statements: list[tuple[str, list]] = []
        if not objs:
            return
        if self.returning and not connection.features.can_return_rows_from_bulk_insert:
            raise NotSupportedError("INSERT ... RETURNING needs PostgreSQL, or SQLite 3.35 or later")
        opts = type(objs[0])._meta
        fields = [field for field in opts.concrete_fields if not field.generated and not isinstance(field, AutoField)]
        rows = [self._row(obj, fields) for obj in objs]
        quote = connection.ops.quote_name
        head = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(field.column) for field in fields)}) VALUES "
        tail = " ON CONFLICT DO NOTHING"
        if self.returning:
            tail += " RETURNING " + ", ".join(quote(opts.get_field(name).column) for name in self.returning)
        placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per_statement = max(1, connection.ops.bulk_batch_size(fields, objs))  # as bulk_create's batches
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            params = [value for row in chunk for value in row]
            self.statements.append((head + ", ".join([placeholders] * len(chunk)) + tail, params))

    @staticmethod
    def _row(obj: Model, fields: list) -> list:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # as bulk_create does
        values = [field.pre_save(obj, True) for field in fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            raise ValueError("a prepared insert takes plain values, not expressions")
        return [field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True)]

    def run(self) -> list[tuple]:
        """Insert the rows (in the caller's transaction); the `returning` values of those
        inserted, as the database gives them, in no promised order."""
        returned: list[tuple] = []
        with connection.cursor() as cursor:
            for sql, params in self.statements:
                cursor.execute(sql, params)
                if self.returning:
                    returned.extend(cursor.fetchall())
        return returned


class PreparedUpdate:
    """`queryset.update(**values)`, compiled now: columns of the queryset's own table only (no
    parent model's, as multi-table inheritance would need)."""

    def __init__(self, queryset: QuerySet, **values) -> None:
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(values)
        if query.related_updates:
            raise ValueError("a prepared update sets columns of one table")
        self.sql, self.params = query.get_compiler(connection=connection).as_sql()

    def run(self) -> int:
        """The number of rows updated."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return cursor.rowcount


class PreparedRows:
    """The rows of `queryset` (a values_list() of plain columns), compiled now."""

    def __init__(self, queryset: QuerySet) -> None:
        self.sql, self.params = queryset.query.get_compiler(connection=connection).as_sql()

    def run(self) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return cursor.fetchall()
