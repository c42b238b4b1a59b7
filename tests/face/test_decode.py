"""Untrusted image bytes: formats, orientation, colour modes, damage and size limits."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from aibox_contract.codes import IMAGE_ERROR, IMAGE_TOO_LARGE, ContractCodeError
from edge_agent.face.decode import decode_image


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def code_of(data: bytes) -> int:
    with pytest.raises(ContractCodeError) as refused:
        decode_image(data)
    return refused.value.code


@pytest.fixture(scope="module")
def photo(faces_dir) -> Image.Image:
    return Image.open(faces_dir / "probe/obama/4.jpg").convert("RGB")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "BMP", "WEBP", "TIFF"])
def test_common_formats_decode_to_rgb(photo, fmt):
    decoded = decode_image(encode(photo, fmt))
    assert decoded.rgb.shape == (photo.height, photo.width, 3) and decoded.rgb.dtype == np.uint8


@pytest.mark.parametrize("mode", ["L", "CMYK", "RGBA", "P", "LA"])
def test_colour_modes_become_rgb(photo, mode):
    fmt = {"CMYK": "JPEG", "L": "JPEG"}.get(mode, "PNG")
    decoded = decode_image(encode(photo.convert(mode), fmt))
    assert decoded.rgb.shape[2] == 3


def test_sixteen_bit_grayscale_is_scaled_not_clipped(photo):
    grey16 = Image.fromarray(np.asarray(photo.convert("L"), dtype=np.uint16) * 257)
    decoded = decode_image(encode(grey16, "PNG"))
    assert decoded.rgb.max() > 200 and decoded.rgb.min() < 60


def test_exif_orientation_is_applied(photo):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    decoded = decode_image(encode(photo, "JPEG", exif=exif))
    assert decoded.rgb.shape[:2] == (photo.width, photo.height)


def test_bad_bytes_empty_and_truncated_are_image_errors(photo):
    assert code_of(b"") == IMAGE_ERROR
    assert code_of(b"definitely not an image") == IMAGE_ERROR
    jpeg = encode(photo, "JPEG")
    assert code_of(jpeg[: len(jpeg) // 2]) == IMAGE_ERROR
    png = encode(photo, "PNG")
    assert code_of(png[: len(png) // 3]) == IMAGE_ERROR


def test_one_pixel_image_is_refused():
    assert code_of(encode(Image.new("RGB", (1, 1)), "PNG")) == IMAGE_ERROR


def test_too_many_bytes_is_too_large():
    with pytest.raises(ContractCodeError) as refused:
        decode_image(b"\xff" * 1000, max_bytes=999)
    assert refused.value.code == IMAGE_TOO_LARGE


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height: refused from the header, before any decoding."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def test_huge_png_is_refused_from_its_header():
    assert code_of(png_header_only(20_000, 20_000)) == IMAGE_TOO_LARGE


def test_huge_jpeg_is_decoded_reduced_within_the_pixel_budget(tmp_path):
    # 20000 x 20000, encoded from a grey strip so the test itself stays small in memory.
    huge = Image.new("L", (20_000, 20_000), 128)
    data = encode(huge, "JPEG", quality=50)
    del huge
    decoded = decode_image(data, max_pixels=4_000_000)
    height, width = decoded.rgb.shape[:2]
    assert width * height <= 4_000_000
    assert decoded.original_size == (20_000, 20_000) and decoded.scale == pytest.approx(width / 20_000)
