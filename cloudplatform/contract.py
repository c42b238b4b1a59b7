"""The AIBOX wire contract's status codes and error shape (upstream §3).

Every box-facing failure answers `{"error": {"code", "message", "status"}}` with a
code from upstream's table and, as `status`, that code's name.
"""
import logging

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

logger = logging.getLogger(__name__)

STATUS_NAMES: dict[int, str] = {
    0: "SUCCESS",
    40071: "PARAM_ERROR",
    50072: "SERVER_PROCESS_FAILED",
    50073: "REMOTE_SERVER_FAILED",
    50074: "REMOTE_DATA_FAILED",
    40091: "PARAM_ERROR",
    40491: "NOT_FOUND",
    41591: "CONTENT_TYPE_ERROR",
    40000: "BAD_REQUEST",
    40001: "UNSUPPORT_CONTENT_TYPE",
    40002: "EMPTY_REQUEST_JSON",
    40003: "IMAGE_ERROR",
    40004: "NO_FACE",
    40005: "BOOLEAN_ARGUMENT_ERROR",
    40006: "LOW_QUALITY_ERROR",
    40007: "IMAGE_SIZE_TOO_LARGE_ERROR",
    40008: "EMPTY_GROUP_ERROR",
    40009: "ENROLL_FACE_SIZE_NOT_ENOUGH_ERROR",
    40010: "BAD_FEATURE_ERROR",
    40011: "IDENTITY_EXSIT_ERROR",
    40012: "GROUP_NAME_ERROR",
    40013: "GROUP_NOT_LOAD",
    40014: "STRANGER_NOT_DELETE",
    40015: "GROUP_LEN_ERROR",
    40400: "NOT_FOUND",
    40401: "ID_NOT_FOUND",
    41300: "PAYLOAD_TOO_LARGE",
    50100: "NOT_IMPLEMENTED",
}

PARAM_ERROR = 40091
BAD_REQUEST = 40000
ID_NOT_FOUND = 40401
SERVER_PROCESS_FAILED = 50072


class ContractError(Exception):
    """A refusal that reaches the box as the contract's error body."""

    def __init__(self, code: int, message: str, http_status: int = 400, headers: dict | None = None) -> None:
        if code not in STATUS_NAMES:
            raise ValueError(f"{code} is not an upstream status code")
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "status": STATUS_NAMES[self.code]}}

    def response(self) -> Response:
        return Response(self.body(), status=self.http_status, headers=self.headers)


def as_contract_error(exc: Exception) -> ContractError:
    """Map DRF's and unexpected exceptions onto the contract's codes."""
    if isinstance(exc, ContractError):
        return exc
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return ContractError(BAD_REQUEST, f"Too many requests; retry in {wait} s.", 429, {"Retry-After": str(wait)})
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return ContractError(BAD_REQUEST, str(exc.detail), 401)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return ContractError(41591, str(exc.detail), exc.status_code)
    if isinstance(exc, exceptions.APIException):
        code = PARAM_ERROR if exc.status_code == 400 else BAD_REQUEST
        return ContractError(code, str(exc.detail), exc.status_code)
    logger.exception("unexpected error on a box endpoint")
    return ContractError(SERVER_PROCESS_FAILED, "Internal error; the request was not applied.", 500)


class ContractAPIView(APIView):
    """Base of the box-facing endpoints: contract error bodies, no session or CSRF."""

    authentication_classes: list = []
    permission_classes: list = []

    def handle_exception(self, exc: Exception) -> Response:
        return as_contract_error(exc).response()
