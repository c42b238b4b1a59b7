"""Reads of operator accounts: who the request's account is to the console (its scope, or None for
no console at all), and operators' API tokens."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from .models import ApiToken, Role
from .scope import ADMINISTRATOR, Scope

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


def fresh_scope(user_id: int) -> Scope | None:
    """The account's scope read again now (a long-lived connection, such as the live feed,
    follows changes of role, sites or a disabled account)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    return scope_for(user)


def _read_scope(user) -> Scope | None:
    if user.is_superuser:
        return ADMINISTRATOR
    try:
        operator = user.operator
    except ObjectDoesNotExist:
        return ADMINISTRATOR if user.is_staff else None
    if operator.role == Role.SITE_MANAGER:
        return Scope(Role.SITE_MANAGER, frozenset(operator.sites.values_list("pk", flat=True)))
    return Scope(operator.role, None)


def api_tokens_of(operator: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The operator's API tokens, newest first."""
    return ApiToken.objects.filter(user=operator).order_by("-created")
