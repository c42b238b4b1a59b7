"""What the console's pages need to know of the request's role (templates/base.html's menus, and
the buttons a page hides from a role that cannot use them)."""
from __future__ import annotations

from django.http import HttpRequest

from .selectors import scope_for


def role(request: HttpRequest) -> dict:
    """`operator_scope`: the account's scope (None: no console); `can_write`: it may change
    something (a viewer may not); `is_administrator`: it may open the administrators' pages
    (operators, audit trail)."""
    scope = scope_for(getattr(request, "user", None))
    return {"operator_scope": scope, "can_write": bool(scope and scope.can_write),
            "is_administrator": bool(scope and scope.is_administrator)}
