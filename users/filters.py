"""The people list's filters as django-filter FilterSets: the API's (/api/persons/: search,
person_type, group by name) and the console page's (q, type, group by id). The API refuses a value
that does not parse (400 naming it); the console page leaves such a filter out. A group the
operator does not see finds nobody, like one that does not exist: else a site manager would learn
which of their people another site's group holds."""
from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from accounts.selectors import request_scope
from cloudplatform.filters import PERSON_TYPE_HELP, IntegerFilter, possible_id

from .models import Person
from .selectors import visible_groups


def search_people(people: QuerySet[Person], name: str, text: str) -> QuerySet[Person]:
    """Part of a name or identity_id."""
    return people.filter(Q(name__icontains=text) | Q(identity_id__icontains=text))


def in_visible_group(people: QuerySet[Person], request, **group) -> QuerySet[Person]:
    """The members of the group `group` names, if the request's operator sees it."""
    return people.filter(permission_groups__in=visible_groups(request_scope(request)).filter(**group))


class PersonFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method=search_people, help_text="Part of a name or identity_id.")
    person_type = IntegerFilter(min_value=0, max_value=32767, help_text=PERSON_TYPE_HELP)
    group = django_filters.CharFilter(method="in_group", help_text="Permission group name.")

    class Meta:
        model = Person
        fields: list[str] = []

    def in_group(self, people: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        return in_visible_group(people, self.request, name=value)


class PersonPageFilterSet(django_filters.FilterSet):
    """The console's people page: the same filters under its own names, the group by id."""

    q = django_filters.CharFilter(method=search_people)
    type = IntegerFilter(field_name="person_type", min_value=0, max_value=32767)
    group = django_filters.CharFilter(method="in_group")

    class Meta:
        model = Person
        fields: list[str] = []

    def in_group(self, people: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        """By id, as the page's menu sends it; an id that cannot exist finds nobody."""
        pk = possible_id(value)
        if pk is None:
            return people.none()
        return in_visible_group(people, self.request, pk=pk)
