"""Writes of operator accounts: roles and API tokens (the console pages and the API call these;
the audit trail records what passes through here)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import ApiToken, Operator, Role


@transaction.atomic
def set_role(user, role: str, sites: Iterable = ()) -> Operator:
    """Give `user` a role; a site manager's `sites` (sites are root areas) are required, other
    roles keep none. Raises ValidationError naming the field at fault."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    sites = list(sites) if role == Role.SITE_MANAGER else []
    if role == Role.SITE_MANAGER and not sites:
        raise ValidationError({"sites": _("A site manager needs at least one site.")})
    if any(site.parent_id is not None for site in sites):
        raise ValidationError({"sites": _("Only sites (areas at the top of the tree) can be given.")})
    operator, _created = Operator.objects.update_or_create(user=user, defaults={"role": role})
    operator.sites.set(sites)
    user.__dict__.pop("_aibox_scope", None)
    return operator


def create_api_token(operator, *, name: str, valid_for: timedelta | None) -> tuple[ApiToken, str]:
    """A new API token of `operator`; returns it and its key, which is not stored and cannot be shown again."""
    return ApiToken.objects.create(user=operator, expiry=valid_for, name=name)


def revoke_api_token(token: ApiToken) -> None:
    """The token stops working at once."""
    token.delete()


def revoke_all_api_tokens(operator) -> int:
    """Every API token of `operator` stops working; returns how many there were."""
    deleted, _by_model = ApiToken.objects.filter(user=operator).delete()
    return deleted
