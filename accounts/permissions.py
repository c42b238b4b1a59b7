"""The API's permission classes (REST_FRAMEWORK's default is OperatorPermission): the same rule
as the console's gate (accounts.console). What each operator sees is narrowed by the views'
get_queryset through the apps' selectors; an object outside the scope is a 404 there."""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .console import ADMINISTRATORS_ONLY, NO_CONSOLE, READ_ONLY
from .selectors import scope_for


class OperatorPermission(BasePermission):
    """Any operator reads; writing needs a role that writes. A view that only reads through
    POST (the face search) sets `reads_by_post = True`."""

    message = NO_CONSOLE

    def has_permission(self, request, view) -> bool:
        scope = scope_for(request.user)
        if scope is None:
            return False
        if request.method in SAFE_METHODS or getattr(view, "reads_by_post", False) or scope.can_write:
            return True
        self.message = READ_ONLY
        return False


class AdministratorPermission(BasePermission):
    message = ADMINISTRATORS_ONLY

    def has_permission(self, request, view) -> bool:
        scope = scope_for(request.user)
        return scope is not None and scope.is_administrator
