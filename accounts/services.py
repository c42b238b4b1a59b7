"""Writes of operator accounts: invitations, roles, disabling, resets and API tokens (the console
pages and the API call these; the audit trail records what passes through here)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import ApiToken, Operator, Role
from .selectors import active_administrators


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


class OperatorError(Exception):
    """A change to an operator account refused; the message says why, for the console and the API."""


@transaction.atomic
def invite_operator(*, username: str, name: str, email: str, role: str, sites: Iterable = ()) -> tuple[Any, str]:
    """A new operator with no password yet; returns them and the one-time link path (to hand over)
    where they choose one. Raises ValidationError naming the field at fault."""
    user = get_user_model().objects.create_user(username=username, email=email, first_name=name)
    set_role(user, role, sites)
    return user, set_password_path(user)


@transaction.atomic
def update_operator(user, *, name: str, email: str, role: str, sites: Iterable = ()) -> None:
    """Change an operator's name, e-mail, role and sites; the last enabled administrator keeps the role."""
    if role != Role.ADMINISTRATOR and not user.is_superuser:
        _keep_an_administrator(user)
    user.first_name, user.email = name, email
    user.save(update_fields=["first_name", "email"])
    set_role(user, role, sites)


@transaction.atomic
def disable_operator(user, *, by) -> None:
    """The operator can no longer log in; their open sessions and API tokens are refused from the
    next request on (Django's and knox's checks of an enabled account). Enabling brings them back."""
    if user.pk == by.pk:
        raise OperatorError(_("You cannot disable your own account."))
    _keep_an_administrator(user)
    user.is_active = False
    user.save(update_fields=["is_active"])


def enable_operator(user) -> None:
    user.is_active = True
    user.save(update_fields=["is_active"])


@transaction.atomic
def reset_operator(user, *, by) -> str:
    """The operator's password stops working, and with it their sessions (Django checks a
    session against the password it was opened with); their API tokens are revoked. Returns the
    new one-time link path where they choose a password."""
    if user.pk == by.pk:
        raise OperatorError(_("Change your own password on your account's page instead."))
    user.set_unusable_password()
    user.save(update_fields=["password"])
    revoke_all_api_tokens(user)
    return set_password_path(user)


def email_set_password_link(user, link: str) -> str | None:
    """Also send the link to the operator's e-mail address when a mail server is configured
    (EMAIL_URL). Returns None when nothing was to be sent, "" when sent, else why it failed."""
    if not settings.EMAIL_URL or not user.email:
        return None
    body = _("Hello %(name)s,\n\nchoose your password for the AIBOX platform console here (the link works "
             "once):\n\n%(link)s\n\nThen log in with your username, %(username)s.") % {
        "name": user.get_full_name() or user.get_username(), "link": link, "username": user.get_username()}
    try:
        send_mail(_("Your AIBOX platform account"), body, None, [user.email])
    except (OSError, SMTPException) as failure:
        return str(failure) or type(failure).__name__
    return ""


def set_password_path(user) -> str:
    """Where `user` chooses a password: works once, until they do (or until a new one is made),
    for PASSWORD_RESET_TIMEOUT (Django's password-reset token)."""
    return reverse("operator-set-password", kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                                                    "token": default_token_generator.make_token(user)})


def _keep_an_administrator(user) -> None:
    """Refuse a change that would leave no enabled administrator (locked rows: two administrators
    disabling each other at once cannot both pass)."""
    administrators = set(active_administrators().select_for_update(of=("self",)).values_list("pk", flat=True))
    if administrators == {user.pk}:
        raise OperatorError(_("%(name)s is the last enabled administrator: give another account the "
                              "administrator role first.") % {"name": user.get_username()})
