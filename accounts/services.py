"""Writes of operator roles (the console pages and the API call these)."""
from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Operator, Role


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
