"""The AIBOX wire contract's status codes and error shape (upstream §3).

Every box-facing failure answers `{"error": {"code", "message", "status"}}` with a
code from upstream's table and, as `status`, that code's name.
"""
import logging

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, DataError, IntegrityError, ProgrammingError
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from aibox_contract.codes import (
    BAD_REQUEST,
    CONTENT_TYPE_ERROR,
    ID_NOT_FOUND,
    PARAM_ERROR,
    PAYLOAD_TOO_LARGE,
    SERVER_PROCESS_FAILED,
    ContractCodeError,
)

__all__ = [
    "BAD_REQUEST", "ID_NOT_FOUND", "PARAM_ERROR", "PAYLOAD_TOO_LARGE", "SERVER_PROCESS_FAILED", "ContractError",
]

logger = logging.getLogger(__name__)


class ContractError(ContractCodeError):
    """A refusal that reaches the box as the contract's error body."""

    def __init__(self, code: int, message: str, http_status: int = 400, headers: dict | None = None) -> None:
        super().__init__(code, message)
        self.http_status = http_status
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}

    def response(self) -> Response:
        return Response(self.body(), status=self.http_status, headers=self.headers)


def as_contract_error(exc: Exception) -> ContractError:
    """Map DRF's and unexpected exceptions onto the contract's codes."""
    if isinstance(exc, ContractError):
        return exc
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return ContractError(BAD_REQUEST, gettext("Too many requests; retry in %(wait)d s.") % {"wait": wait}, 429,
                             {"Retry-After": str(wait)})
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return ContractError(BAD_REQUEST, str(exc.detail), 401)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return ContractError(CONTENT_TYPE_ERROR, str(exc.detail), exc.status_code)
    if isinstance(exc, exceptions.APIException):
        code = PARAM_ERROR if exc.status_code == 400 else BAD_REQUEST
        return ContractError(code, str(exc.detail), exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return ContractError(PAYLOAD_TOO_LARGE,
                             gettext("Request body too large (REQUEST_MAX_BYTES); send smaller batches."), 413)
    if isinstance(exc, DataError):
        # A value the database cannot store (a NUL character, a number out of range): the sender's to fix.
        return ContractError(PARAM_ERROR, gettext("A value cannot be stored: %(error)s") % {
            "error": str(exc).splitlines()[0][:200]})
    if isinstance(exc, DatabaseError) and not isinstance(exc, IntegrityError | ProgrammingError):
        # The database is unreachable or busy: nothing was applied, and the box retries later.
        logger.warning("database unavailable on a box endpoint: %s", exc)
        return ContractError(SERVER_PROCESS_FAILED, gettext("Database unavailable; nothing was stored. Retry later."),
                             503, {"Retry-After": "5"})
    logger.exception("unexpected error on a box endpoint")
    return ContractError(SERVER_PROCESS_FAILED, gettext("Internal error; the request was not applied."), 500)


class ContractAPIView(APIView):
    """Base of the box-facing endpoints: contract error bodies, no session or CSRF."""

    authentication_classes: list = []
    permission_classes: list = []

    def handle_exception(self, exc: Exception) -> Response:
        return as_contract_error(exc).response()
