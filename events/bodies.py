"""What a box POSTs to the event endpoints, read as a stream, one event at a time.

A history batch of 100 events with large pictures is hundreds of MiB of JSON; parsed whole it
would sit in memory several times over. Here the body is read through `ijson` (JSON) or a
part-by-part form reader (parts spooled to temporary files), so the web process holds about
one event at a time whatever the batch size.

Accepted bodies (part 2 §4.4.6, §4.4.7, §4.4.9; the box chooses `json` or `form-data`):
- JSON (`application/json`): an array of events, or one event object.
- `multipart/form-data` or `application/x-www-form-urlencoded`, either
  - fields per event: the §4.4.9 names (`identity_id`, `identity_name`, `group_name`, `reg_pic`,
    `timestamp`, `score`, `ext_data` as JSON text); `ext_data`'s own names may also come as fields
    of their own (`spot_pic` or `ext_data.spot_pic` or `ext_data[spot_pic]`, ...); pictures as
    base64 text or as file parts; fields repeated N times make N events, in order; or
  - a field holding JSON (any name, e.g. `events`): an array of events or one event.
"""
from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import Any, BinaryIO
from urllib.parse import unquote_to_bytes

import ijson
from django.conf import settings
from django.http.multipartparser import (
    FIELD,
    FILE,
    ChunkIter,
    LazyStream,
    MultiPartParser,
    MultiPartParserError,
    Parser,
    exhaust,
)
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext

from cloudplatform.contract import PARAM_ERROR, PAYLOAD_TOO_LARGE, ContractError

from .box_serializers import ExtDataSerializer, PassageRecordSerializer
from .pictures import Base64File, BinaryFile

READ_SIZE = 256 * 1024
SPOOL_IN_MEMORY = 1024 * 1024  # form parts larger than this go to a temporary file
MAX_FORM_FIELDS = 5000  # 100 events of ~10 fields each, with room
MAX_FIELD_NAME = 200
SMALL_FIELD = 1024 * 1024  # text fields other than pictures and JSON are read up to this

# The names a form's fields may have: the passage record's and its ext_data's (upstream's).
EVENT_FIELDS = tuple(PassageRecordSerializer._declared_fields)
EXT_FIELDS = tuple(ExtDataSerializer._declared_fields)
PICTURE_FIELDS = ("reg_pic", "spot_pic")
JSON_FIELDS = ("ext_data", "grab_fiqa_info", "box_fiqa_info")
UNSUPPORTED_MEDIA_TYPE = 41591  # the platform's code for a 415 (cloudplatform.contract)


def request_max_bytes() -> int:
    """Largest event request body: 100 events with pictures of several MiB each, but bounded."""
    return settings.EVENT_REQUEST_MAX_BYTES


class LimitedReader:
    """The request body, refusing (413) past `limit` bytes whatever Content-Length claimed."""

    def __init__(self, stream, limit: int) -> None:
        self.stream, self.limit, self.count = stream, limit, 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.limit + 1 - self.count
        data = self.stream.read(max(0, min(size, self.limit + 1 - self.count)))
        self.count += len(data)
        if self.count > self.limit:
            raise too_large(self.limit)
        return data


def too_large(limit: int) -> ContractError:
    return ContractError(PAYLOAD_TOO_LARGE, gettext("Request body over %(limit)d bytes; send smaller batches.") % {
        "limit": limit}, 413)


class _Replay:
    """A reader giving `head` first, then the rest of `stream` (after peeking at the first byte)."""

    def __init__(self, head: bytes, stream) -> None:
        self.head, self.stream = head, stream

    def read(self, size: int = -1) -> bytes:
        if self.head and size != 0:  # ijson reads 0 bytes first to learn bytes from text
            data, self.head = self.head, b""
            return data
        return self.stream.read(size)


def iter_json(stream) -> Iterator[Any]:
    """The events of a JSON body: the items of an array, or the one object."""
    head = b""
    while not (stripped := head.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()):
        chunk = stream.read(READ_SIZE)
        if not chunk:
            raise ContractError(PARAM_ERROR, gettext("Empty body: send a JSON array of events or one event object."))
        head += chunk
    if stripped[:1] not in (b"[", b"{"):
        raise ContractError(PARAM_ERROR, gettext("The body must be a JSON array of events or one event object."))
    prefix = "item" if stripped[:1] == b"[" else ""
    try:
        yield from ijson.items(_Replay(stripped, stream), prefix, use_float=True)
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise ContractError(PARAM_ERROR,
                            gettext("The body is not valid JSON: %(error)s") % {"error": str(exc)[:200]}) from exc


@dataclass
class FormPart:
    name: str
    file: BinaryIO  # decoded content, rewound
    size: int
    filename: str | None = None  # set for a multipart file part
    base64: bool = False  # a file part sent with Content-Transfer-Encoding: base64


def _spool() -> SpooledTemporaryFile:
    return SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b")


def read_form(stream, content_type: str) -> list[FormPart]:
    """The parts of a form body, each spooled (memory up to 1 MiB, then a temporary file)."""
    if content_type.startswith("multipart/"):
        return _multipart_parts(stream, content_type)
    return _urlencoded_parts(stream)


def _multipart_parts(stream, content_type: str) -> list[FormPart]:
    _, options = parse_header_parameters(content_type)
    boundary = options.get("boundary", "")
    if not boundary or not MultiPartParser.boundary_re.fullmatch(boundary):
        raise ContractError(PARAM_ERROR, gettext("multipart/form-data without a valid boundary."))
    parts: list[FormPart] = []
    try:
        for item_type, meta, field_stream in Parser(LazyStream(ChunkIter(stream, READ_SIZE)), boundary.encode()):
            if item_type not in (FIELD, FILE):
                exhaust(field_stream)
                continue
            disposition = meta.get("content-disposition", ("", {}))[1]
            name = disposition.get("name", b"").decode("utf-8", "replace").strip()
            filename = disposition.get("filename")
            encoding = meta.get("content-transfer-encoding", ("", {}))[0].strip().lower()
            spool, size = _spool(), 0
            for chunk in field_stream:
                spool.write(chunk)
                size += len(chunk)
            spool.seek(0)
            _count(parts)
            parts.append(FormPart(name, spool, size, filename.decode("utf-8", "replace") if filename else None,
                                  base64=encoding == "base64"))
    except MultiPartParserError as exc:
        raise ContractError(PARAM_ERROR, gettext("Malformed multipart body: %(error)s") % {"error": exc}) from exc
    return parts


def _count(parts: list[FormPart]) -> None:
    if len(parts) >= MAX_FORM_FIELDS:
        raise ContractError(PARAM_ERROR, gettext("More than %(count)d form fields.") % {"count": MAX_FORM_FIELDS})


class _Unquoting:
    """One url-encoded field value, percent-decoded into a spool as raw bytes arrive."""

    def __init__(self) -> None:
        self.spool, self.tail, self.size = _spool(), b"", 0

    def write(self, raw: bytes) -> None:
        data = self.tail + raw
        escape = data.rfind(b"%", max(0, len(data) - 2))  # an escape cut by the chunk boundary waits
        cut = escape if escape >= 0 else len(data)
        self.tail = data[cut:]
        self._put(data[:cut])

    def _put(self, raw: bytes) -> None:
        decoded = unquote_to_bytes(raw.replace(b"+", b" "))
        self.spool.write(decoded)
        self.size += len(decoded)

    def finish(self) -> tuple[BinaryIO, int]:
        self._put(self.tail)
        self.spool.seek(0)
        return self.spool, self.size


def _urlencoded_parts(stream) -> list[FormPart]:
    parts: list[FormPart] = []
    name, value = bytearray(), None  # value is None while reading the name

    def close_field() -> None:
        nonlocal name, value
        if name or value is not None:
            _count(parts)
            spool, size = (value or _Unquoting()).finish()
            parts.append(FormPart(unquote_to_bytes(bytes(name).replace(b"+", b" ")).decode("utf-8", "replace"),
                                  spool, size))
        name, value = bytearray(), None

    while chunk := stream.read(READ_SIZE):
        start = 0
        for separator in re.finditer(rb"[&=]", chunk):
            piece, start = chunk[start:separator.start()], separator.end()
            _append(name, value, piece)
            if separator.group() == b"&":
                close_field()
            elif value is None:
                value = _Unquoting()
            else:
                value.write(b"=")  # a literal "=" in a value (unescaped base64 padding)
        _append(name, value, chunk[start:])
    close_field()
    return parts


def _append(name: bytearray, value: _Unquoting | None, piece: bytes) -> None:
    if value is None:
        name += piece
        if len(name) > MAX_FIELD_NAME:
            raise ContractError(PARAM_ERROR, gettext("A form field name is too long."))
    else:
        value.write(piece)


_EXT_NAME = re.compile(r"^ext_data(?:\.(\w+)|\[(\w+)\])$")


def _field_key(name: str) -> str | None:
    """Where a form field goes: an event field, `ext_data.<name>`, or nowhere (None)."""
    if name in EVENT_FIELDS:
        return name
    if name in EXT_FIELDS:
        return f"ext_data.{name}"
    if match := _EXT_NAME.match(name):
        return f"ext_data.{match.group(1) or match.group(2)}"
    return None


def form_events(parts: list[FormPart]) -> Iterator[Any]:
    """The events a form carries (see the module's docstring)."""
    fields: dict[str, list[FormPart]] = {}
    for part in parts:
        if key := _field_key(part.name):
            fields.setdefault(key, []).append(part)
    if fields:
        yield from _events_from_fields(fields)
        return
    carried = False
    for part in parts:
        if _starts_json(part):
            carried = True
            yield from iter_json(part.file)
    if not carried:
        raise ContractError(PARAM_ERROR, gettext("The form has neither event fields (identity_id, timestamp, ...) "
                                                 "nor a field holding the events as JSON."))


def _starts_json(part: FormPart) -> bool:
    head = part.file.read(64)
    part.file.seek(0)
    return head.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"[", b"{")


def _events_from_fields(fields: dict[str, list[FormPart]]) -> Iterator[Any]:
    count = max(len(values) for values in fields.values())
    uneven = sorted(key for key, values in fields.items() if len(values) != count)
    if uneven:
        # Which value belongs to which event cannot be told: the form is kept whole, as one.
        yield FormEvent({key: [_value(key, part) for part in values] for key, values in fields.items()},
                        f"form fields repeated unevenly ({', '.join(uneven)}) for {count} events")
        return
    for index in range(count):
        event: dict[str, Any] = {}
        ext: dict[str, Any] = {}
        for key, values in fields.items():
            value = _value(key, values[index])
            if key.startswith("ext_data."):
                ext[key.removeprefix("ext_data.")] = value
            else:
                event[key] = value
        if ext:
            # Fields of their own complete (and override) an ext_data sent as JSON text.
            event["ext_data"] = {**event["ext_data"], **ext} if isinstance(event.get("ext_data"), dict) else ext
        yield event


class FormEvent(dict):
    """A form's event that cannot be built; `problem` says why (it goes to the quarantine)."""

    def __init__(self, fields: dict, problem: str) -> None:
        super().__init__(fields)
        self.problem = problem


def _value(key: str, part: FormPart) -> Any:
    field = key.removeprefix("ext_data.")
    if field in PICTURE_FIELDS:
        if part.size == 0:
            return ""  # an empty field: no picture
        if part.base64 or part.filename is None:
            return Base64File(part.file)
        return BinaryFile(part.file, part.size)
    text = part.file.read(SMALL_FIELD if field not in JSON_FIELDS else None).decode("utf-8", "replace")
    part.file.seek(0)
    if field in JSON_FIELDS:
        try:
            return json.loads(text)
        except ValueError:
            return text  # judged with the event: ext_data must be an object
    return text


PREVIEW_TEXT = 120  # characters of a long string (a picture) shown in a quarantine preview


def preview(raw: Any) -> Any:
    """The event with long strings (pictures) shortened: what a list of quarantined events shows."""
    if isinstance(raw, str):
        raw = raw.replace("\x00", "")  # PostgreSQL's JSON cannot hold NUL
        return f"{raw[:PREVIEW_TEXT]}… ({len(raw)} characters)" if len(raw) > PREVIEW_TEXT else raw
    if isinstance(raw, Base64File | BinaryFile):
        return "(picture sent as a form field)"
    if isinstance(raw, dict):
        return {str(key).replace("\x00", ""): preview(value) for key, value in raw.items()}
    if isinstance(raw, list):
        return [preview(value) for value in raw]
    if isinstance(raw, float) and not math.isfinite(raw):
        return repr(raw)
    if raw is None or isinstance(raw, bool | int | float):
        return raw
    return repr(raw)


def raw_json(raw: Any) -> str:
    """The event as received, as JSON text; pictures in files become their base64 text again."""
    def default(value: Any) -> Any:
        if isinstance(value, Base64File):
            value.file.seek(0)
            return value.file.read().decode("ascii", "replace")
        if isinstance(value, BinaryFile):
            value.file.seek(0)
            return base64.b64encode(value.file.read()).decode()
        return repr(value)

    return json.dumps(raw, ensure_ascii=False, default=default)
