"""Turn untrusted image bytes into an RGB array, or a contract error.

Accepts whatever Pillow decodes (JPEG, PNG, BMP, WebP, ...), applies EXIF
orientation, and converts grayscale, palette, RGBA (on white), CMYK and 16-bit
images to 8-bit RGB. Work is bounded: the byte size and the pixel count are
checked from the header before decoding; a JPEG larger than the pixel budget is
decoded at a reduced scale by libjpeg itself (memory stays bounded), any other
oversized format is refused.
"""
from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from aibox_contract.codes import IMAGE_ERROR, IMAGE_TOO_LARGE, ContractCodeError

MAX_BYTES = 20 * 1024 * 1024
# What is decoded at the most: a 4096x4096 picture (48 MiB as RGB) holds any face photo and a
# 4K camera frame; a larger JPEG is reduced to fit while decoding, anything else is refused
# from its header. (A 6300x6300 blank PNG of 5 KB used to be decoded whole: 400 MB.)
MAX_PIXELS = 4096 * 4096
MIN_SIDE = 8

# Pillow's bomb guard, for the whole process (the platform imports this module too): headers
# up to 20000x20000 may be opened, so that such a JPEG can be reduced; Pillow refuses twice that.
Image.MAX_IMAGE_PIXELS = 20000 * 20000


@dataclass(frozen=True)
class DecodedImage:
    rgb: np.ndarray  # H x W x 3, uint8
    original_size: tuple[int, int]  # (width, height) as stored, before any reduction
    scale: float  # rgb pixels per original pixel (1.0 unless a huge JPEG was reduced)


def decode_image(data: bytes, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> DecodedImage:
    if not data:
        raise ContractCodeError(IMAGE_ERROR, "Empty image.")
    if len(data) > max_bytes:
        raise ContractCodeError(IMAGE_TOO_LARGE, f"Image of {len(data)} bytes exceeds {max_bytes} bytes.")
    try:
        image = Image.open(io.BytesIO(data))
        original_size = image.size
        image = _within_budget(image, max_pixels)
        scale = image.size[0] / original_size[0]  # uniform, so EXIF turns do not change it
        rgb = _to_rgb(ImageOps.exif_transpose(image))
    except ContractCodeError:
        raise
    except Image.DecompressionBombError as exc:
        raise ContractCodeError(IMAGE_TOO_LARGE, f"Image too large: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise ContractCodeError(IMAGE_ERROR, f"Not a readable image: {exc}") from exc
    except (OSError, ValueError, SyntaxError, struct.error) as exc:
        raise ContractCodeError(IMAGE_ERROR, f"Damaged or truncated image: {exc}") from exc
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise ContractCodeError(IMAGE_ERROR, f"Image of {rgb.shape[1]}x{rgb.shape[0]} pixels is too small.")
    return DecodedImage(rgb=rgb, original_size=original_size, scale=scale)


def _within_budget(image: Image.Image, max_pixels: int) -> Image.Image:
    """The loaded image, reduced to `max_pixels` when it is a larger JPEG; other large images are refused."""
    width, height = image.size
    if width * height <= max_pixels:
        image.load()
        return image
    if image.format != "JPEG":
        raise ContractCodeError(IMAGE_TOO_LARGE, f"Image of {width}x{height} pixels exceeds {max_pixels} pixels.")
    # libjpeg decodes at 1/2, 1/4 or 1/8 scale directly, so memory stays bounded.
    factor = (max_pixels / (width * height)) ** 0.5
    image.draft("RGB", (int(width * factor), int(height * factor)))
    if image.width * image.height > 4 * max_pixels:
        raise ContractCodeError(IMAGE_TOO_LARGE, f"Image of {width}x{height} pixels is too large even reduced.")
    image.load()
    if image.width * image.height > max_pixels:
        fit = (max_pixels / (image.width * image.height)) ** 0.5
        image = image.resize((max(1, int(image.width * fit)), max(1, int(image.height * fit))), Image.BILINEAR)
    return image


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit or float grayscale: stretch the stored range onto 8 bits.
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        gray = np.clip(values / top * 255.0, 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)
