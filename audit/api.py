"""/api/audit/: the audit trail, read-only (no method writes to it: POST, PUT, PATCH and DELETE
answer 405)."""
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets

from accounts.permissions import AdministratorPermission

from .filters import AuditFilterSet
from .selectors import entries
from .serializers import AuditEntrySerializer


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """Every change an operator made through the console or the API: who, when, from which
    address, what, before and after. Newest first."""

    permission_classes = [AdministratorPermission]
    serializer_class = AuditEntrySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditFilterSet

    def get_queryset(self):
        return entries()
