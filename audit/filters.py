"""The audit trail's filters (django-filter): one definition for the console page, its CSV
export and /api/audit/ (whose OpenAPI schema documents them from here). Days are the site's
(TIME_ZONE)."""
from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import ACTION_NAMES, AuditEntry
from .selectors import actions, kinds


class AuditFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", max_length=200, label=_("Search"),
                                  help_text="Text in the object's name or in the changes")
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", max_length=150,
                                      label=_("Operator"), help_text="The operator's username")
    kind = django_filters.ChoiceFilter(choices=kinds, method="of_kind", label=_("Kind"),
                                       help_text="The kind of object changed, as app_label.model (users.person)")
    object = django_filters.CharFilter(field_name="object_pk", max_length=255, label=_("Object id"),
                                       help_text="The changed object's id (with `kind`: that one object)")
    action = django_filters.ChoiceFilter(choices=actions, method="did", label=_("Action"),
                                         help_text="create, update, delete, or an operation (a wipe sent, "
                                                   "credentials reset...)")
    address = django_filters.CharFilter(field_name="remote_addr", lookup_expr="startswith", max_length=45,
                                        label=_("Address"), help_text="The operator's address, or its start "
                                                                      "(10.0.0.)")
    since = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte", label=_("From"),
                                      help_text="From the start of this day (YYYY-MM-DD, the site's time zone)")
    until = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__lte", label=_("Until"),
                                      help_text="Until the end of this day (YYYY-MM-DD, the site's time zone)")

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def search(self, entries: QuerySet, name: str, text: str) -> QuerySet:
        return entries.filter(Q(object_repr__icontains=text) | Q(changes__icontains=text)
                              | Q(actor_name__icontains=text))

    def of_kind(self, entries: QuerySet, name: str, kind: str) -> QuerySet:
        app_label, model = kind.split(".", 1)
        return entries.filter(content_type__app_label=app_label, content_type__model=model)

    def did(self, entries: QuerySet, name: str, what: str) -> QuerySet:
        codes = {label: code for code, label in ACTION_NAMES.items()}
        if what in codes:
            return entries.filter(action=codes[what], operation="")
        return entries.filter(operation=what)
