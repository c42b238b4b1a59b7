"""The API's permission classes (REST_FRAMEWORK's default is OperatorPermission): the same rule
as the console's gate (accounts.console). What each operator sees is narrowed by the views'
get_queryset through the apps' selectors; an object outside the scope is a 404 there."""
from __future__ import annotations

from django.db.models import Model, QuerySet
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .console import ADMINISTRATORS_ONLY, BEYOND_SCOPE, NO_CONSOLE, READ_ONLY
from .scope import Scope
from .selectors import request_scope, scope_for


class OperatorPermission(BasePermission):
    """Any operator reads; writing needs a role that writes. A view that only reads through
    POST (the face search) sets `reads_by_post = True`."""

    message = NO_CONSOLE

    def has_permission(self, request, view) -> bool:
        scope = scope_for(request.user)
        if scope is None:
            return False
        reads = request.method in SAFE_METHODS or (request.method == "POST" and getattr(view, "reads_by_post", False))
        if reads or scope.can_write:
            return True
        self.message = READ_ONLY
        return False


class AdministratorPermission(BasePermission):
    message = ADMINISTRATORS_ONLY

    def has_permission(self, request, view) -> bool:
        scope = scope_for(request.user)
        return scope is not None and scope.is_administrator


class ScopedViewMixin:
    """An API view's `scope`: the request's operator's (NOTHING when there is none, as when the
    schema is generated). get_queryset starts from the apps' `visible_*` selectors, so an object
    outside the scope is a 404."""

    @property
    def scope(self) -> Scope:
        return request_scope(self.request)

    def require_writable(self, obj: Model, writable: QuerySet, why: str = BEYOND_SCOPE) -> None:
        """403 for an object the operator sees but may not change (it reaches beyond their sites)."""
        if not writable.filter(pk=obj.pk).exists():
            raise PermissionDenied(why)
