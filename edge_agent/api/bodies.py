"""Reading the local API's requests, and its error replies (part 2 §4).

Replies are `{"data": ...}` or `{"error": {"code", "message", "status"}}` with the fog
API's codes: 40091 bad parameters, 40002 no JSON body, 41591 a content type the endpoint
does not take (HTTP 415), 40005 not a boolean, 40491 not found, 40401 unknown
identity_id, 40012 group name taken or empty. Bodies are JSON; where part 2 says
"JSON格式，form-data格式" (§4.4.1, §4.4.4, §4.4.7, §4.5.1) form-data too. Convention
(CONTRACT.md §7): '' is a value; only null or absent is empty.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from flask import jsonify, request
from werkzeug.datastructures import MultiDict

from aibox_contract.codes import STATUS_NAMES

PARAM_ERROR, EMPTY_JSON, NOT_BOOLEAN, NOT_FOUND, ID_NOT_FOUND, GROUP_NAME_ERROR, CONTENT_TYPE_ERROR = (
    40091, 40002, 40005, 40491, 40401, 40012, 41591)
UNAUTHORISED = 40000
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def error(code: int, message: str, http_status: int = 400):
    return jsonify({"error": {"code": code, "message": message, "status": STATUS_NAMES[code]}}), http_status


def data(value):
    """The reply `{"data": value}`."""
    return jsonify({"data": value})


class BadRequest(Exception):
    def __init__(self, code: int, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.http_status = code, message, http_status


@dataclass(frozen=True)
class Form:
    """How to read form-data where part 2 accepts it ("JSON格式，form-data格式"): every field
    arrives as text; these name the ones that are lists, booleans or whole numbers."""

    lists: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()

    def read(self, fields: MultiDict) -> dict:
        values = {}
        for key in fields:
            given = fields.getlist(key)
            if key in self.lists:
                values[key] = _form_list(given)
            elif key in self.flags:
                values[key] = {"true": True, "1": True, "false": False, "0": False}.get(given[-1].strip().lower(),
                                                                                     given[-1])
            elif key in self.numbers:
                text_value = given[-1].strip()
                values[key] = int(text_value) if text_value.isdigit() else text_value
            else:
                values[key] = given[-1]
        return values


def _form_list(values: list[str]) -> list[str] | str:
    """A repeated field, one field holding a JSON array, or one comma-separated field."""
    if len(values) > 1:
        return values
    value = values[0].strip()
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value  # refused by the endpoint's own check
        return parsed if isinstance(parsed, list) else value
    return [item.strip() for item in value.split(",") if item.strip()]


def body(form: Form | None = None) -> dict:
    """The request's parameters: a JSON object, or form-data where `form` says how to read it.
    Another content type answers 41591 (CONTENT_TYPE_ERROR, HTTP 415); an empty or non-object
    JSON body 40002 (EMPTY_REQUEST_JSON). A body sent without any Content-Type is read as JSON."""
    mimetype = request.mimetype
    if form is not None and mimetype in FORM_TYPES:
        return form.read(request.form)
    if mimetype == "application/json" or mimetype.endswith("+json") or not mimetype:
        parsed = request.get_json(force=True, silent=True)
        if isinstance(parsed, dict):
            return parsed
        if mimetype or not request.get_data():
            raise BadRequest(EMPTY_JSON, "Send a JSON object as the body.")
    accepted = "application/json" + (", multipart/form-data or application/x-www-form-urlencoded" if form else "")
    raise BadRequest(CONTENT_TYPE_ERROR, f"Content-Type {mimetype or '(none)'} is not accepted here: send {accepted}.",
                     415)


def text(values: dict, key: str) -> str:
    value = values.get(key)
    if value is None:
        raise BadRequest(PARAM_ERROR, f"{key} is required.")
    if not isinstance(value, str):
        raise BadRequest(PARAM_ERROR, f"{key} must be a string.")
    return value


def flag(values: dict, key: str) -> bool:
    value = values.get(key, False)
    if not isinstance(value, bool):
        raise BadRequest(NOT_BOOLEAN, f"{key} must be true or false.")
    return value


def id_list(values: dict) -> list[str]:
    ids = values.get("identity_id")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise BadRequest(PARAM_ERROR, "identity_id must be a non-empty list of strings.")
    return ids


def base64_bytes(value: str, code: int, what: str) -> bytes:
    """Base64 text decoded, or BadRequest(code) naming `what`."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(code, f"{what} is not valid base64.") from exc


def url_list(value, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(u, str) and u.startswith(("http://", "https://"))
                                              for u in value):
        raise BadRequest(PARAM_ERROR, f"{key} must be a list of http(s) URLs.")
    return value


def content_type(values: dict) -> str:
    """The `content-type` field of §4.4/§4.5 settings: how reports are sent."""
    value = text(values, "content-type")
    if value not in ("json", "form-data"):
        raise BadRequest(PARAM_ERROR, "content-type must be json or form-data.")
    return value


def period(values: dict) -> int:
    value = values.get("reported_peroid")  # sic: upstream's spelling
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BadRequest(PARAM_ERROR, "reported_peroid must be a whole number of seconds, at least 1.")
    return value
