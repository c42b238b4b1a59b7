"""Filters the apps' FilterSets share (django-filter)."""
from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet

from aibox_contract.people import PERSON_TYPES

PERSON_TYPE_HELP = "Person type: " + ", ".join(f"{code} {kind.label}" for code, kind in PERSON_TYPES.items())
LARGEST_ID = 10**18 - 1  # beyond any row, and within every database's integer


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (NumberFilter's field takes decimals); the schema's type is the model
    field's (name a foreign key's target, `box__id`, for it to be an integer)."""

    field_class = forms.IntegerField


def possible_id(value: str) -> int | None:
    """The id a console menu sent, or None for one no row can have (isascii: "²" is a digit to
    isdigit, not to int)."""
    return int(value) if value.isascii() and value.isdigit() and int(value) <= LARGEST_ID else None


def pk_filter(field_name: str) -> django_filters.CharFilter:
    """An object by id, as the console's menus send it; an id that cannot exist finds nothing
    (rather than filtering nothing)."""

    def by_pk(queryset: QuerySet, name: str, value: str) -> QuerySet:
        pk = possible_id(value)
        return queryset.none() if pk is None else queryset.filter(**{field_name: pk})

    return django_filters.CharFilter(method=by_pk)
