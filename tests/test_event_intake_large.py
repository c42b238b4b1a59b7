"""A stock box's full history batch over real HTTP (the platform's ASGI app under uvicorn):
100 events, each with a 1080p spot picture of several MB and a registration photo, in one
request that the platform reads as a stream without holding the batch in memory."""
import base64
import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import requests
from django.conf import settings
from PIL import Image

from events.models import Event

from .helpers import event
from .paths import FACES

BATCH = 100
MiB = 1024 * 1024


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


@pytest.fixture(scope="module")
def frame() -> bytes:
    """A 1080p camera frame at full JPEG quality (a real photo with sensor-like noise): ~2.3 MB."""
    image = np.asarray(Image.open(FACES / "quality/high_res_1080p.jpg").convert("RGB")).astype(np.int16)
    noisy = np.clip(image + np.random.default_rng(0).normal(0, 2, image.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noisy).save(buffer, "JPEG", quality=100, subsampling=0)
    return buffer.getvalue()


def numbered(jpeg: bytes, number: int) -> bytes:
    """The same picture with a JPEG comment naming `number`: a distinct file per event."""
    comment = f"event {number}".encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + jpeg[2:]


def _login(url: str, box) -> dict:
    login = requests.get(f"{url}/box/login", params={"dev_sno": box.dev_sno, "hex_mac": "0x0000000000f1"}).json()
    return {key: url + login[key] for key in ("recordAddr", "realtimeAddr")}


def test_a_batch_of_100_events_with_multi_mb_pictures_is_accepted_streamed(asgi_server, make_box, frame):
    assert len(frame) > 2 * MiB
    box = make_box("big batch")
    record = _login(asgi_server.url, box)["recordAddr"]
    registered = [(FACES / f"enroll/{name}/1.jpg").read_bytes()
                  for name in ("obama", "biden", "alex_lacamoire", "kit_harington", "rose_leslie")]
    sent = {"bytes": 0}

    def body():
        """The batch as a box's JSON, produced one event at a time (the client holds no batch either)."""
        yield b"["
        for i in range(BATCH):
            one = event(f"p{i}", 1_700_000_000_000 + i, numbered(frame, i))
            one["reg_pic"] = base64.b64encode(registered[i % len(registered)]).decode()
            chunk = (b"," if i else b"") + json.dumps(one).encode()
            sent["bytes"] += len(chunk)
            yield chunk
        yield b"]"

    Path("/proc/self/clear_refs").write_text("5")  # peak resident memory counts from here
    before = _status_kib("VmRSS")
    response = requests.post(record, data=body(), headers={"Content-Type": "application/json"}, timeout=600)
    growth_mib = (_status_kib("VmHWM") - before) / 1024
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"stored": BATCH, "duplicates": 0, "quarantined": [], "flagged": []}}
    assert sent["bytes"] > 300 * MiB
    # Client and server share this process; together they held a few events, not the batch.
    print(f"body {sent['bytes'] / MiB:.0f} MiB, peak memory growth {growth_mib:.0f} MiB")
    assert growth_mib < 150, f"{growth_mib:.0f} MiB for a {sent['bytes'] / MiB:.0f} MiB body"
    stored = Event.objects.filter(box=box)
    assert stored.count() == BATCH and len({e.spot_pic for e in stored}) == BATCH
    media = Path(settings.MEDIA_ROOT)
    for i in (0, 57, 99):
        kept = stored.get(identity_id=f"p{i}")
        assert (media / kept.spot_pic).read_bytes() == numbered(frame, i)
        assert (media / kept.reg_pic).read_bytes() == registered[i % len(registered)]


def test_a_body_over_the_limit_is_refused_even_without_content_length(asgi_server, make_box, settings):
    box = make_box("limit")
    record = _login(asgi_server.url, box)["recordAddr"]
    settings.EVENT_REQUEST_MAX_BYTES = 64 * 1024
    batch = json.dumps([event(f"x{i}", 1_700_000_000_000 + i) for i in range(800)]).encode()
    assert len(batch) > 2 * settings.EVENT_REQUEST_MAX_BYTES

    def chunked():
        for start in range(0, len(batch), 8192):
            yield batch[start:start + 8192]

    for data in (batch, chunked()):  # with Content-Length, then chunked (no length announced)
        response = requests.post(record, data=data, headers={"Content-Type": "application/json"}, timeout=60)
        assert response.status_code == 413 and response.json()["error"]["code"] == 41300
    assert not Event.objects.filter(box=box).exists()
