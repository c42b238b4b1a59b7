"""From a camera image to contract events: recognise, record, act, and tell who listens.

Every face found becomes one event (part 2 §4.4.6 / §4.4.9): a match closer than the
engine's threshold among the people in a comparison group (edge_agent/local_data.py)
carries the person and the groups they were found in; any other face is a stranger
(person_type 4).
`score` is the similarity 1 - distance, clamped to [0, 1]: with dlib's euclidean
threshold of 0.6 a match scores above 0.4, and a higher score means a closer face, as
upstream's examples read.

The event is committed to the event store before anything is sent, so the history
uploader carries it even if every realtime listener is down; the realtime sender and the
relay run on their own threads and never hold up recognition.
"""
from __future__ import annotations

import io
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from PIL import Image

from aibox_contract import embedding
from aibox_contract.people import BLACKLIST, STRANGER

from .config import Settings
from .events import EventStore
from .face.decode import DecodedImage, decode_image
from .face.engine import Face, FaceEngine
from .face.gallery import Gallery, Match
from .local_data import DEFAULT_GROUP, comparison_tags, face_groups
from .photos import PhotoStore

logger = logging.getLogger("edge_agent.recognition")

SPOT_PIC_SIDE = 320  # the face crop sent as spot_pic; "frame" sends the whole picture
REG_PIC_SIDE = 320


@dataclass(frozen=True)
class Device:
    """A front-end device (camera, door pad) feeding this box; ep_id = <dev_sno>__<ip>."""

    ip: str
    name: str = ""
    ep_type: int = 1  # 0 gate, 1 snapshot camera, 2 IPC static, 3 IPC dynamic, 4 door access
    location: str = ""
    stream_url: str = ""  # rtsp://… or a video file: read by the video source
    folder: str = ""  # a folder a camera uploads pictures into (FTP): read by the folder watcher
    fps: float = 2.0  # frames analysed per second of video
    direction: int = 0  # upstream §7.2: 0 in, 1 out

    def ep_id(self, dev_sno: str) -> str:
        return f"{dev_sno}__{self.ip}"


@dataclass
class Recognition:
    face: Face
    match: Match | None
    score: float
    event: dict = field(default_factory=dict)
    event_id: int | None = None

    def to_dict(self) -> dict:
        person = self.match.person if self.match else None
        return {
            **self.face.to_dict(),
            "matched": person is not None,
            "identity_id": person.identity_id if person else self.event.get("identity_id", ""),
            "identity_name": person.name if person else "stranger",
            "person_type": person.person_type if person else STRANGER,
            "similarity": self.score,
            "event_id": self.event_id,
        }


def similarity(distance: float) -> float:
    return round(min(1.0, max(0.0, 1.0 - distance)), 4)


def jpeg(rgb: np.ndarray, max_side: int | None = None, quality: int = 85) -> bytes:
    image = Image.fromarray(rgb)
    if max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def face_crop(rgb: np.ndarray, box: list[float], margin: float = 0.4) -> np.ndarray:
    """The face with some of its surroundings, as a gate's snapshot shows it."""
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    height, width = rgb.shape[:2]
    left, top = max(int(x1 - dx), 0), max(int(y1 - dy), 0)
    right, bottom = min(int(x2 + dx), width), min(int(y2 + dy), height)
    return rgb[top:bottom, left:right]


class RealtimeSink(Protocol):
    def offer(self, event: dict, spot_pic: bytes | None, reg_pic: bytes | None, matched: bool) -> None: ...


class DoorControl(Protocol):
    def open_for(self, ip: str) -> None: ...


class Recognizer:
    """Shared by every input (recognize endpoint, folders, video); thread-safe for reads.

    What it needs, and no more: the engine and gallery to match, the event store to record,
    the realtime sender to tell, the door to open, the photos for reg_pic, the settings for
    spot_pic_mode and the box's dev_sno (which the installer may change while it runs)."""

    def __init__(self, engine: FaceEngine, gallery: Gallery, events: EventStore, photos: PhotoStore,
                 settings: Settings, dev_sno: Callable[[], str], realtime: RealtimeSink, door: DoorControl) -> None:
        self.engine = engine
        self.gallery = gallery
        self.events = events
        self.photos = photos
        self.settings = settings
        self.dev_sno = dev_sno
        self.realtime = realtime
        self.door = door
        self._reg_pics: OrderedDict[str, bytes] = OrderedDict()

    def recognise(self, image: bytes | DecodedImage, device: Device | None = None, tracker=None,
                  when_ms: int | None = None) -> list[Recognition]:
        """Every face in the image; an event for each face the tracker (if any) has not reported yet."""
        decoded = image if isinstance(image, DecodedImage) else decode_image(image)
        when_ms = when_ms or int(time.time() * 1000)
        recognitions = []
        compared = comparison_tags(self.gallery)  # only people in a comparison group (part 2 §4.2)
        for face in self.engine.analyse(decoded).faces:
            best = self.gallery.search(face.embedding, k=1, groups=compared)
            match = best[0] if best and best[0].distance < self.engine.threshold else None
            score = similarity(best[0].distance) if best else 0.0
            recognitions.append(Recognition(face, match, score))
        for recognition in recognitions:
            if tracker is not None and not tracker.is_new(recognition, when_ms / 1000):
                continue
            self._record(recognition, decoded, device, when_ms)
        return recognitions

    def _record(self, recognition: Recognition, decoded: DecodedImage, device: Device | None, when_ms: int) -> None:
        dev_sno = self.dev_sno()
        person = recognition.match.person if recognition.match else None
        event = {
            "identity_id": person.identity_id if person else f"stranger_{uuid.uuid4().hex[:12]}",
            "identity_name": person.name if person else "stranger",
            # The groups the match was found in; a stranger was compared with the default group too.
            "group_name": ",".join(face_groups(person.groups)) if person else DEFAULT_GROUP,
            "timestamp": when_ms,
            "score": recognition.score,
            "ext_data": {
                "device_ip": device.ip if device else "",
                "ep_id": device.ep_id(dev_sno) if device else "",
                "person_type": person.person_type if person else STRANGER,
                "device_type": str(device.ep_type) if device else "1",
                "grab_fiqa_info": {},
                "box_fiqa_info": recognition.face.fiqa("high"),
                "dev_sno": dev_sno,
                # Our extension (docs/contract-extensions.md): the probe's embedding, which the
                # platform stores as sent instead of computing it again from spot_pic.
                embedding.FIELD: embedding.encode(recognition.face.embedding, embedding.model_id(self.engine.manifest)),
            },
        }
        mode = self.settings.get("spot_pic_mode", "face")
        spot = None
        if mode == "frame":
            spot = jpeg(decoded.rgb)
        elif mode == "face":
            spot = jpeg(face_crop(decoded.rgb, recognition.face.detection.box), SPOT_PIC_SIDE)
        reg = self._reg_pic(person.identity_id) if person else None
        recognition.event = event
        recognition.event_id = self.events.add(event, spot, reg)
        self.realtime.offer(event, spot, reg, matched=person is not None)
        if person is not None and person.person_type != BLACKLIST and device is not None:
            self.door.open_for(device.ip)

    def _reg_pic(self, identity_id: str) -> bytes | None:
        """The registration photo, reduced (a few hundred recent ones kept ready)."""
        if identity_id in self._reg_pics:
            self._reg_pics.move_to_end(identity_id)
            return self._reg_pics[identity_id]
        photo = self.photos.load(identity_id)
        if photo is None:
            return None
        try:
            reduced = jpeg(decode_image(photo).rgb, REG_PIC_SIDE)
        except Exception:  # a photo that enrolled once decodes; be safe anyway
            logger.exception("registration photo of %s not readable", identity_id)
            return None
        self._reg_pics[identity_id] = reduced
        if len(self._reg_pics) > 500:
            self._reg_pics.popitem(last=False)
        return reduced


def _iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Track:
    box: list[float]
    embedding: np.ndarray
    identity: str | None
    last_seen: float


class FaceTracker:
    """One event per person in front of a camera, not one per frame.

    A face continues a track when it is the same known person, or overlaps the track's
    last box (IoU ≥ 0.3) with an embedding within the match threshold, or anywhere with
    an embedding within half of it (the same face, moved). A track not seen for `ttl`
    seconds ends; a person who comes back later makes a new event. A track that turns
    from stranger into a known person (a better frame) reports once more, with the person.
    """

    def __init__(self, threshold: float, ttl: float = 3.0) -> None:
        self.threshold = threshold
        self.ttl = ttl
        self.tracks: list[Track] = []

    def is_new(self, recognition: Recognition, now: float) -> bool:
        self.tracks = [t for t in self.tracks if now - t.last_seen <= self.ttl]
        face = recognition.face
        identity = recognition.match.person.identity_id if recognition.match else None
        box = face.detection.box
        best, best_distance = None, float("inf")
        for track in self.tracks:
            distance = float(np.linalg.norm(track.embedding - face.embedding))
            same_person = identity is not None and track.identity == identity
            overlapping_alike = _iou(track.box, box) >= 0.3 and distance < self.threshold
            if same_person or overlapping_alike or distance < self.threshold / 2:
                if distance < best_distance:
                    best, best_distance = track, distance
        if best is None:
            self.tracks.append(Track(box, face.embedding, identity, now))
            return True
        upgraded = best.identity is None and identity is not None
        best.box, best.embedding, best.last_seen = box, face.embedding, now
        best.identity = best.identity or identity
        return upgraded
