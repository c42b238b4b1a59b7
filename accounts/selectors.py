"""Reads of operator accounts: who the request's account is to the console (its scope, or None for
no console at all), and operators' API tokens."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q, QuerySet
from django.utils.crypto import constant_time_compare

from .models import ApiToken, Operator, Role
from .scope import ADMINISTRATOR, NOTHING, Scope

_CACHE = "_aibox_scope"


def scope_for(user) -> Scope | None:
    """The account's scope (accounts.models says how accounts without a profile count); None when
    it may not use the console or the API (anonymous, disabled, or a plain account). Kept on the
    user object: a request asks many times."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not hasattr(user, _CACHE):
        setattr(user, _CACHE, _read_scope(user))
    return getattr(user, _CACHE)


def request_scope(request) -> Scope:
    """The request's operator's scope; NOTHING for a request without one (none at all, as when
    the API's schema is generated, or an account with no console role)."""
    return scope_for(getattr(request, "user", None)) or NOTHING


def fresh_scope(user_id: int, session_hash: str | None = None) -> Scope | None:
    """The account's scope read again now (a long-lived connection, such as the live feed,
    follows changes of role, sites or a disabled account). With `session_hash`, the one its
    session was opened with: None once the password changed (a reset ends the session, as
    Django's check of every request does)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None and session_hash is not None and \
            not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    return scope_for(user)


def _read_scope(user) -> Scope | None:
    role = role_of(user)
    if role is None:
        return None
    if role == Role.ADMINISTRATOR:
        return ADMINISTRATOR
    if role == Role.SITE_MANAGER:
        return Scope(Role.SITE_MANAGER, frozenset(user.operator.sites.values_list("pk", flat=True)))
    return Scope(role, None)


def api_tokens_of(operator: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The operator's API tokens, newest first."""
    return ApiToken.objects.filter(user=operator).order_by("-created")


def role_of(user) -> str | None:
    """The account's role whether it is enabled or not (None: no console at all). accounts.models
    says how accounts without a profile count."""
    if user.is_superuser:
        return Role.ADMINISTRATOR
    try:
        return user.operator.role
    except ObjectDoesNotExist:
        return Role.ADMINISTRATOR if user.is_staff else None


def operators() -> QuerySet:
    """Every account, with its profile, sites and API token count, by username."""
    return (get_user_model().objects.select_related("operator").prefetch_related("operator__sites")
            .annotate(token_count=Count("auth_token_set")).order_by("username"))


def active_administrators() -> QuerySet:
    """The enabled accounts whose role is administrator (role_of's rule, as a query)."""
    return get_user_model().objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(operator__role=Role.ADMINISTRATOR) | Q(is_staff=True, operator__isnull=True))


def sites() -> QuerySet:
    """The sites (root areas) an operator can be given; devices.Area named through the relation,
    as accounts sits below devices."""
    return Operator.sites.field.related_model.objects.filter(parent__isnull=True).order_by("name")
