"""Face photos: checked with Pillow on upload, stored once per content hash, with a thumbnail."""
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image

from aibox_contract.codes import IMAGE_ERROR, ContractCodeError
from edge_agent.face.decode import decode_image

THUMBNAIL_SIZE = (160, 160)
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "BMP": "bmp", "GIF": "gif", "TIFF": "tif"}


@dataclass(frozen=True)
class StoredPhoto:
    path: str  # relative to MEDIA_ROOT
    sha256: str
    thumbnail: str


def check_photo(data: bytes) -> Image.Image:
    """Raise ContractCodeError (40003 unreadable/truncated/too small, 40007 too large) unless usable."""
    decoded = decode_image(data, max_bytes=settings.PHOTO_MAX_BYTES, max_pixels=settings.PHOTO_MAX_PIXELS)
    height, width = decoded.rgb.shape[:2]
    if min(width, height) < settings.PHOTO_MIN_SIDE:
        raise ContractCodeError(
            IMAGE_ERROR, f"Photo of {width}x{height} pixels is too small (at least {settings.PHOTO_MIN_SIDE})."
        )
    return Image.fromarray(decoded.rgb)


def store_photo(data: bytes) -> StoredPhoto:
    image = check_photo(data)
    digest = hashlib.sha256(data).hexdigest()
    extension = EXTENSIONS.get(Image.open(io.BytesIO(data)).format, "img")
    relative = f"photos/{digest[:2]}/{digest}.{extension}"
    thumbnail = f"thumbs/{digest[:2]}/{digest}.jpg"
    root = Path(settings.MEDIA_ROOT)
    target = root / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(target)  # atomic: a crash never leaves half a photo under its hash
    thumb_path = root / thumbnail
    if not thumb_path.exists():
        thumb_path.parent.mkdir(parents=True, exist_ok=True)
        image.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=85)
        temporary = thumb_path.with_suffix(".part")
        temporary.write_bytes(buffer.getvalue())
        temporary.replace(thumb_path)
    return StoredPhoto(path=relative, sha256=digest, thumbnail=thumbnail)


def photo_file(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative
