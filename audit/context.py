"""Who is acting, and from where: the operator behind the changes being recorded.

An entry is written only while an operator acts: a logged-in account's request (console,
API by session or token, Django's admin), or work an operator started and a worker carries
on (an import: `acting_as_creator_of`). Boxes' calls, the RabbitMQ consumers and the beat
tasks run with no operator, so the status reports, events and command outcomes they write
are not operator changes and leave no entry.

The address is the one django-axes throttles logins by (`axes.helpers.get_client_ip_address`):
one rule for "which address is the client". It is REMOTE_ADDR unless the deployment tells
axes to trust a proxy (AXES_CLIENT_IP_CALLABLE, or django-ipware's AXES_IPWARE_* settings);
a client's own X-Forwarded-For is never believed on its own word.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from auditlog.context import auditlog_disabled
from axes.helpers import get_client_ip_address
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve


@dataclass(frozen=True)
class Operator:
    user: AbstractBaseUser
    address: str | None


_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_operator: ContextVar[Operator | None] = ContextVar("audit_operator", default=None)
_operation: ContextVar[str] = ContextVar("audit_operation", default="")


def current_operator() -> Operator | None:
    """The operator acting now, or None (then nothing is recorded). For a request the account is
    read when the change happens: DRF authenticates a token only inside the view."""
    explicit = _operator.get()
    if explicit is not None:
        return explicit
    request = _request.get()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return Operator(user=user, address=client_address(request))


def account_owner_acting(instance) -> Operator | None:
    """A password chosen through a one-time link (Django's password-reset confirmation, which
    the operators' invitations and resets use): nobody is logged in, the account's owner acts."""
    request = _request.get()
    if request is None or not getattr(request, "_audit_owner_acts", False):
        return None
    return Operator(user=instance, address=client_address(request)) if isinstance(instance, AbstractBaseUser) else None


def client_address(request: HttpRequest) -> str | None:
    return get_client_ip_address(request) or None


def current_operation() -> str:
    return _operation.get()


@contextmanager
def acting(operator: Operator | None) -> Iterator[None]:
    """Record what happens inside as `operator`'s changes (None: as nobody's, i.e. not at all)."""
    token = _operator.set(operator)
    try:
        yield
    finally:
        _operator.reset(token)


@contextmanager
def operation(name: str) -> Iterator[None]:
    """Label the entries written inside (e.g. "credentials_rotated"): what the operator did,
    beyond which fields changed."""
    token = _operation.set(name)
    try:
        yield
    finally:
        _operation.reset(token)


def _may_be_an_operator(request: HttpRequest) -> bool:
    """Logged in, or carrying an API token (DRF authenticates it later, in the view; a test
    client's forced authentication likewise)."""
    user = getattr(request, "user", None)
    return bool((user is not None and user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META
                or getattr(request, "_force_auth_user", None) is not None)


class AuditMiddleware:
    """Makes the request the source of the operator for everything it changes. A request that
    cannot be an operator's (nobody logged in, no API token, not a one-time password link: a
    box's call) turns django-auditlog off for its duration, sparing each save of an audited
    model the read of its old row (a box's login saves its Box). Everything is set here, around
    the rest of the request: under ASGI each middleware hook may run in a context of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request._audit_owner_acts = _sets_a_password_by_link(request)
        token = _request.set(request)
        off = None if request._audit_owner_acts or _may_be_an_operator(request) else auditlog_disabled.set(True)
        try:
            return self.get_response(request)
        finally:
            if off is not None:
                auditlog_disabled.reset(off)
            _request.reset(token)


def _sets_a_password_by_link(request: HttpRequest) -> bool:
    try:
        view_class = getattr(resolve(request.path_info).func, "view_class", None)
    except Resolver404:
        return False
    return isinstance(view_class, type) and issubclass(view_class, PasswordResetConfirmView)
