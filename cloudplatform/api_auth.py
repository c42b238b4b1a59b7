"""The REST API's token authentication: an operator's named API token (accounts.ApiToken, knox).

`Authorization: Token <key>` or `Authorization: Bearer <key>` on /api/ (and the console files the
API links to); the box endpoints under /box/ have their own authentication. The token acts as
its operator: request.user is that operator, so the operator's role applies, and a disabled
operator's tokens stop working at once (knox refuses an inactive user).
"""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

# A token's "last used" is written at most this often: no database write on every API call.
LAST_USED_RESOLUTION = timedelta(minutes=1)
KEYWORDS = (b"token", b"bearer")


class ApiTokenAuthentication(TokenAuthentication):
    """Knox's token authentication, taking `Token` or `Bearer`, and recording when a token was last used."""

    def authenticate(self, request) -> tuple | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Invalid Authorization header: give the word Token and the key, "
                                         "separated by one space."))
        try:
            parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Invalid token.")) from None
        return self.authenticate_credentials(parts[1])

    def validate_user(self, auth_token) -> tuple:
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token

    def authenticate_header(self, request) -> str:
        return "Token"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI description of ApiTokenAuthentication."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema) -> dict:
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
        return {**scheme, "description": "An operator's API token (console: your name, then API tokens): "
                                         "`Token <key>` or `Bearer <key>`."}
