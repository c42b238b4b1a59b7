"""Event pictures: base64 as boxes really send it, decoded a slice at a time straight to a file,
kept only when Pillow reads it as an image within the pixel limit.

Boxes send `spot_pic` / `reg_pic` as base64 text (part 2 §4.4.6, §4.4.9); what arrives varies:
MIME line breaks, a `data:image/...;base64,` prefix, the URL-safe alphabet, missing padding,
and (through a form encoder that left `+` unescaped) spaces for `+`. All of these decode.
A multipart file part carries the picture's bytes as they are.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from users.photos import EXTENSIONS

SLICE = 1024 * 1024  # base64 characters decoded at once: memory per picture stays ~1 MiB above its text
# Whitespace (MIME line breaks) and padding go; a space is a `+` a form encoder left unescaped;
# the URL-safe alphabet maps onto the standard one. Padding is put back at the end.
_NORMALISE = str.maketrans({"\r": None, "\n": None, "\t": None, "=": None, " ": "+", "-": "+", "_": "/"})


class PictureRefused(Exception):
    """The value is not a picture we keep; the message says why (for the event's flag)."""


def max_picture_bytes() -> int:
    return settings.EVENT_PICTURE_MAX_BYTES


def max_picture_pixels() -> int:
    return settings.PHOTO_MAX_PIXELS


@dataclass(frozen=True)
class Base64File:
    """Base64 text held in a (spooled) file: a form field, read a slice at a time."""

    file: BinaryIO


@dataclass(frozen=True)
class BinaryFile:
    """A picture's raw bytes: a multipart file part."""

    file: BinaryIO
    size: int


def _text_slices(value: str | Base64File) -> Iterator[str]:
    if isinstance(value, str):
        for start in range(0, len(value), SLICE):
            yield value[start:start + SLICE]
        return
    value.file.seek(0)
    while chunk := value.file.read(SLICE):
        try:
            yield chunk.decode("ascii")
        except UnicodeDecodeError as exc:
            raise PictureRefused("not base64: non-ASCII characters") from exc


def _strip_data_url(first: str) -> str:
    """`data:image/jpeg;base64,AAAA` → `AAAA` (the prefix sits in the first slice)."""
    head = first.lstrip()
    if not head[:5].lower() == "data:":
        return first
    comma = head.find(",", 0, 256)
    if comma < 0 or ";base64" not in head[:comma].lower():
        raise PictureRefused("not base64: a data: URL without ;base64")
    return head[comma + 1:]


def decode_base64(value: str | Base64File) -> Iterator[bytes]:
    """Decoded bytes, a slice at a time, from lenient base64 text."""
    carry = ""
    for index, piece in enumerate(_text_slices(value)):
        if index == 0:
            piece = _strip_data_url(piece)
        piece = carry + piece.translate(_NORMALISE)
        usable = len(piece) - len(piece) % 4
        carry = piece[usable:]
        if usable:
            try:
                yield base64.b64decode(piece[:usable], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise PictureRefused("not base64: characters outside the alphabet") from exc
    if len(carry) == 1:
        raise PictureRefused("not base64: truncated (one character too many)")
    if carry:
        try:
            yield base64.b64decode(carry + "=" * (4 - len(carry)), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise PictureRefused("not base64: characters outside the alphabet") from exc


def _binary_chunks(value: BinaryFile) -> Iterator[bytes]:
    value.file.seek(0)
    while chunk := value.file.read(SLICE):
        yield chunk


def picture_chunks(value) -> Iterator[bytes]:
    """The bytes of a picture as it arrived (base64 text, or a file part)."""
    if isinstance(value, BinaryFile):
        return _binary_chunks(value)
    if isinstance(value, str | Base64File):
        return decode_base64(value)
    raise PictureRefused(f"not base64 text but a JSON {type(value).__name__}")


def check_image(path: Path) -> str:
    """The image's format when Pillow reads it within the pixel limit; PictureRefused otherwise.

    A JPEG (what boxes send) is decoded at 1/8 scale by libjpeg: cheap and small, and it
    catches truncated or corrupt data that `verify()` would let through. Other formats are
    `verify()`-ed (for PNG, every chunk's checksum to the end). Nothing is decoded at full
    size, so memory stays small whatever the picture."""
    limit = max_picture_pixels()
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > limit:
                raise PictureRefused(f"image of {width}x{height} pixels exceeds {limit} pixels")
            image_format = image.format
            if image_format == "JPEG":
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
            else:
                image.verify()
    except PictureRefused:
        raise
    except UnidentifiedImageError as exc:
        raise PictureRefused("not an image Pillow can read") from exc
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise PictureRefused(f"damaged or truncated image: {exc}") from exc
    return image_format or "JPEG"


def store_picture(value, when: datetime) -> str:
    """Decode `value` to a file named by its content under MEDIA_ROOT; its relative name.

    Raises PictureRefused (nothing kept) when it is not base64, too large, or not an image."""
    root = Path(settings.MEDIA_ROOT)
    incoming = root / "events" / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=incoming, suffix=".part")
    try:
        digest, size = _write_chunks(handle, picture_chunks(value))
        if size == 0:
            raise PictureRefused("empty picture")
        extension = EXTENSIONS.get(check_image(Path(temporary)), "img")
        relative = f"events/{when:%Y/%m/%d}/{digest}.{extension}"
        target = root / relative
        if target.exists():
            return relative  # same content already kept (named by content)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, target)  # atomic: a crash never leaves half a picture under its name
        temporary = None
        return relative
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _write_chunks(handle: int, chunks: Iterable[bytes]) -> tuple[str, int]:
    limit = max_picture_bytes()
    digest, size = hashlib.sha256(), 0
    with io.FileIO(handle, "w") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise PictureRefused(f"picture larger than {limit} bytes")
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest(), size
