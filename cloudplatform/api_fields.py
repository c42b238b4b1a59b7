"""DRF fields shared by the console's REST API."""
from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers


class TextSlugRelatedField(serializers.SlugRelatedField):
    """A relation named by a text column. A name holding a NUL character is refused as "does not
    exist" before the lookup: PostgreSQL cannot compare text with NUL (a 500 the API fuzzer found),
    and no stored name can hold one (DRF's CharField refuses NUL on the way in)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


def narrow_choices(serializer: serializers.Serializer, **querysets: QuerySet) -> serializers.Serializer:
    """Limit relation fields to the objects the request may name (an operator's scope): a name
    or id outside them is refused as not existing, like one that does not. (A list's serializer
    reads only: nothing to narrow.)"""
    if isinstance(serializer, serializers.ListSerializer):
        return serializer
    for name, queryset in querysets.items():
        field = serializer.fields.get(name)
        if field is None or field.read_only:
            continue
        getattr(field, "child_relation", field).queryset = queryset
    return serializer
