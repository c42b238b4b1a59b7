"""What the console's frame needs to know of the request's role (templates/base.html's user menu)."""
from __future__ import annotations

from django.http import HttpRequest

from .selectors import scope_for


def role(request: HttpRequest) -> dict:
    """`is_administrator`: the account may open the administrators' pages (operators, audit trail)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_administrator": False}
    scope = scope_for(user)
    return {"is_administrator": scope is not None and scope.is_administrator}
