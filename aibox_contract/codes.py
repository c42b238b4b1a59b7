"""Status codes of the AIBOX wire contract (upstream §3) and the error that carries one."""

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

SUCCESS = 0
MQ_PARAM_ERROR = 40071
SERVER_PROCESS_FAILED = 50072
REMOTE_SERVER_FAILED = 50073
REMOTE_DATA_FAILED = 50074
PARAM_ERROR = 40091
BAD_REQUEST = 40000
IMAGE_ERROR = 40003
NO_FACE = 40004
LOW_QUALITY = 40006
IMAGE_TOO_LARGE = 40007
FACE_TOO_SMALL = 40009
BAD_FEATURE = 40010
ID_NOT_FOUND = 40401
PAYLOAD_TOO_LARGE = 41300
CONTENT_TYPE_ERROR = 41591


class ContractCodeError(Exception):
    """A failure that carries one of the contract's status codes."""

    def __init__(self, code: int, message: str) -> None:
        if code not in STATUS_NAMES:
            raise ValueError(f"{code} is not an upstream status code")
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> str:
        return STATUS_NAMES[self.code]
