"""The console's box list filter (django-filter)."""
from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from .models import Box
from .selectors import within


class BoxFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", help_text="Part of the name or dev_sno.")
    area = django_filters.NumberFilter(method="in_area", help_text="Area id: boxes in it and in the areas below it.")

    class Meta:
        model = Box
        fields: list[str] = []

    def in_area(self, boxes: QuerySet[Box], name: str, area: int) -> QuerySet[Box]:
        return boxes.filter(area_id__in=within([int(area)]))

    def search(self, boxes: QuerySet[Box], name: str, text: str) -> QuerySet[Box]:
        return boxes.filter(Q(name__icontains=text) | Q(dev_sno__icontains=text))
