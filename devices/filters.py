"""The console's box list filter (django-filter)."""
from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from .models import Box


class BoxFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", help_text="Part of the name or dev_sno.")

    class Meta:
        model = Box
        fields: list[str] = []

    def search(self, boxes: QuerySet[Box], name: str, text: str) -> QuerySet[Box]:
        return boxes.filter(Q(name__icontains=text) | Q(dev_sno__icontains=text))
