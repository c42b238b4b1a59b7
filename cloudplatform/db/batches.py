"""Deleting many rows without one long transaction."""
from __future__ import annotations

from django.db.models import QuerySet


def delete_in_batches(ids: QuerySet, batch: int) -> int:
    """Delete the rows `ids` lists (a values_list("id", flat=True) query of their model, read
    again for each batch), `batch` at a time, each batch one short statement by primary key, so
    no lock is held for long; the number of rows deleted."""
    model = ids.model
    deleted = 0
    while chunk := list(ids[:batch]):
        deleted += model.objects.filter(id__in=chunk).delete()[0]
    return deleted
