"""The commands list's filters as django-filter FilterSets: the API's (/api/commands/: box by
dev_sno, state, method) and the console page's (the box by id)."""
from __future__ import annotations

import django_filters

from cloudplatform.filters import pk_filter

from .models import Command


def _choices_help(choices) -> str:
    return ", ".join(value for value, _ in choices)


class CommandFilterSet(django_filters.FilterSet):
    box = django_filters.CharFilter(field_name="box__dev_sno", help_text="dev_sno")
    state = django_filters.CharFilter(help_text=_choices_help(Command.State.choices))
    method = django_filters.CharFilter(help_text=_choices_help(Command.Method.choices))

    class Meta:
        model = Command
        fields: list[str] = []


class CommandPageFilterSet(CommandFilterSet):
    """The console's commands page: the box by id."""

    box = pk_filter("box__id")
