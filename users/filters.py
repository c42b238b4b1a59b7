"""The people list's filters as django-filter FilterSets: the API's (/api/persons/: search,
person_type, group by name) and the console page's (q, type, group by id). The API refuses a value
that does not parse (400 naming it); the console page leaves such a filter out."""
from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from cloudplatform.filters import PERSON_TYPE_HELP, IntegerFilter, pk_filter

from .models import Person


def search_people(people: QuerySet[Person], name: str, text: str) -> QuerySet[Person]:
    """Part of a name or identity_id."""
    return people.filter(Q(name__icontains=text) | Q(identity_id__icontains=text))


class PersonFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method=search_people, help_text="Part of a name or identity_id.")
    person_type = IntegerFilter(min_value=0, max_value=32767, help_text=PERSON_TYPE_HELP)
    group = django_filters.CharFilter(field_name="permission_groups__name", help_text="Permission group name.")

    class Meta:
        model = Person
        fields: list[str] = []


class PersonPageFilterSet(django_filters.FilterSet):
    """The console's people page: the same filters under its own names, the group by id."""

    q = django_filters.CharFilter(method=search_people)
    type = IntegerFilter(field_name="person_type", min_value=0, max_value=32767)
    group = pk_filter("permission_groups__id")

    class Meta:
        model = Person
        fields: list[str] = []
