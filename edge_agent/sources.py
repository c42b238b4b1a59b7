"""Front-end devices and the inputs they feed: pushed pictures, watched folders, video.

The registry keeps each device (part 2's sub-device: ep_id = <dev_sno>__<ip>) in the
agent's store; adding or removing one is reported to the platform's `deviceInfoAddr`
(CONTRACT.md §6) through the results outbox, so the report survives restarts. A device
with a `folder` gets a watcher (cameras that upload pictures over FTP), one with a
`stream_url` (rtsp://… or a video file) gets a video reader sampling `fps` frames a
second through a face tracker: one event per person passing, not one per frame.

Whoever holds the API key must not reach the rest of the disk through a device: folders
and video files are confined under the input roots (InputRoots), and a stream is only
one of the URL schemes a camera speaks (FFmpeg would read `file:`, `concat:`… too).

OpenCV reads video and nothing else needs it: it is the `[video]` extra, imported by the
video reader only, and a video device on a box without it is refused when added.
"""
from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from aibox_contract.codes import ContractCodeError

from . import backoff
from .face.decode import DecodedImage
from .recognition import Device, FaceTracker
from .store import Store

logger = logging.getLogger("edge_agent.sources")

PICTURE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
PUSH_ONLINE_FOR = 600.0  # a pushing device counts as online this long after its last picture
STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
NO_OPENCV = ("ep_url needs video support, which this box lacks: install the agent with its video extra "
             "(pip install 'aibox-edge-agent[video]', i.e. opencv-python-headless).")


def require_video() -> None:
    """ValueError unless OpenCV can be imported (it is loaded for real by the video reader)."""
    try:
        importlib.import_module("cv2")
    except ImportError as exc:
        raise ValueError(NO_OPENCV) from exc


class InputRoots:
    """The directories a device's folder or video file may lie under (default `<data dir>/inputs`)."""

    def __init__(self, roots: list[Path]) -> None:
        if not roots:
            raise ValueError("at least one input root is needed")
        self.roots = [Path(root).resolve() for root in roots]

    def confine(self, value: str, field: str = "folder") -> Path:
        """The real path `value` names (a relative one under the first root), or ValueError when
        it lies outside every root once symlinks and `..` are resolved."""
        path = Path(value)
        resolved = (path if path.is_absolute() else self.roots[0] / path).resolve()
        if not any(resolved.is_relative_to(root) for root in self.roots):
            raise ValueError(f"{field} {value!r} is outside the input roots ({', '.join(map(str, self.roots))}).")
        return resolved

    def stream(self, url: str) -> str:
        """A camera's stream URL as it is, or a video file's real path under a root; else ValueError."""
        scheme = urlsplit(url).scheme.lower()
        if not scheme:
            return str(self.confine(url, "ep_url"))
        if scheme not in STREAM_SCHEMES:
            raise ValueError(f"ep_url must be an {', '.join(STREAM_SCHEMES)} URL or a video file under the "
                             "input roots.")
        # Whitespace has no place in a URL; OpenCV's GStreamer backend would read it as a pipeline.
        if not urlsplit(url).netloc or any(c.isspace() for c in url):
            raise ValueError("ep_url must name a camera: scheme://host/...")
        return url

    def check(self, device: Device) -> Device:
        """The device with its folder and stream resolved, or ValueError naming what is refused."""
        if device.folder:
            device = replace(device, folder=str(self.confine(device.folder)))
        if device.stream_url:
            device = replace(device, stream_url=self.stream(device.stream_url))
            require_video()
        return device


class Recognise(Protocol):
    def __call__(self, image: bytes | DecodedImage, device: Device | None = None, tracker: FaceTracker | None = None,
                 when_ms: int | None = None) -> object: ...


class DeviceRegistry:
    """The devices kept in the settings, their readers, and their reports to the platform."""

    def __init__(self, settings: Store, input_roots: InputRoots, report: Callable[[int, Device, str], None],
                 dev_sno: Callable[[], str], recognise: Recognise, threshold: float) -> None:
        self.settings = settings
        self.input_roots = input_roots
        self.report = report
        self.dev_sno = dev_sno
        self.recognise = recognise
        self.threshold = threshold
        self.lock = threading.Lock()
        self.last_activity: dict[str, float] = {}
        self.running: dict[str, tuple[threading.Event, threading.Thread]] = {}

    def all(self) -> list[Device]:
        return [Device(**fields) for fields in self.settings.get("devices", {}).values()]

    def get(self, ip: str) -> Device | None:
        fields = self.settings.get("devices", {}).get(ip)
        return Device(**fields) if fields else None

    def save(self, device: Device) -> str:
        """Keep the device, start its reader, report it; its status, as reported."""
        with self.lock:
            devices = self.settings.get("devices", {})
            devices[device.ip] = asdict(device)
            self.settings.set("devices", devices)
        self._restart(device)
        status = self.status(device)  # once, after the start: the report and the reply say the same
        self.report(1, device, status)
        return status

    def remove(self, ip: str) -> Device | None:
        with self.lock:
            devices = self.settings.get("devices", {})
            fields = devices.pop(ip, None)
            self.settings.set("devices", devices)
        if fields is None:
            return None
        device = Device(**fields)
        self._stop(ip)
        self.report(2, device, "offline")
        return device

    def touch(self, device: Device) -> None:
        self.last_activity[device.ip] = time.monotonic()

    def status(self, device: Device) -> str:
        if device.stream_url or device.folder:
            runner = self.running.get(device.ip)
            alive = runner is not None and runner[1].is_alive()
            recent = time.monotonic() - self.last_activity.get(device.ip, -1e9) < 30
            return "online" if alive and (recent or device.folder) else "offline"
        recent = time.monotonic() - self.last_activity.get(device.ip, -1e9) < PUSH_ONLINE_FOR
        return "online" if recent else "offline"

    def sub_devices(self) -> list[dict]:
        """The status report's sub_devices (part 2 §4.5.3)."""
        dev_sno = self.dev_sno()
        return [{"ep_id": d.ep_id(dev_sno), "ep_name": d.name, "ep_ip": d.ip, "ep_status": self.status(d),
                 "ep_location": d.location, "ep_type": str(d.ep_type), "ep_url": d.stream_url} for d in self.all()]

    # --- the readers -------------------------------------------------------------------
    def start_all(self) -> None:
        for device in self.all():
            self._restart(device)

    def stop_all(self) -> None:
        for ip in list(self.running):
            self._stop(ip)

    def _restart(self, device: Device) -> None:
        self._stop(device.ip)
        try:  # a device stored before the roots were narrowed (or by an older agent) is checked again
            device = self.input_roots.check(device)
        except ValueError as exc:
            logger.warning("device %s not started: %s", device.ip, exc)
            return
        if device.folder:
            target = FolderWatcher(device, self.recognise, self.touch).run
        elif device.stream_url:
            target = VideoReader(device, self.recognise, self.touch, self.threshold).run
        else:
            return
        stop = threading.Event()
        thread = threading.Thread(target=target, args=(stop,), name=f"device {device.ip}", daemon=True)
        self.running[device.ip] = (stop, thread)
        thread.start()

    def _stop(self, ip: str) -> None:
        runner = self.running.pop(ip, None)
        if runner:
            runner[0].set()
            runner[1].join(10)


class FolderWatcher:
    """Pictures dropped into the folder are recognised once, then moved to `done/` (or `failed/`).

    The folder was resolved under an input root when the device was saved. Each scan opens
    it without following symlinks and checks the opened directory is still that path, then
    works only relative to it (a picture or done/ swapped for a symlink is not followed):
    whoever can write into the folder cannot lead the agent out of it.
    """

    def __init__(self, device: Device, recognise: Recognise, touch: Callable[[Device], None],
                 interval: float = 0.5) -> None:
        self.recognise = recognise
        self.touch = touch
        self.device = device
        self.folder = Path(device.folder)
        self.interval = interval
        self.problem = ""

    def run(self, stop: threading.Event) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._scan(take=False)  # done/ and failed/ exist before the first picture is taken
            while not stop.wait(self.interval):
                self._scan()
        except _Escaped as exc:
            logger.warning("%s: %s; not watching it any more", self.device.ip, exc)

    def _scan(self, take: bool = True) -> None:
        try:
            folder = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:
            if self.folder.is_symlink():  # Linux answers ENOTDIR (with O_DIRECTORY) or ELOOP
                raise _Escaped(f"{self.folder} is now a symlink") from exc
            self._report(f"{self.folder}: {exc}")  # gone for a moment, say: tried again next time
            return
        try:
            if os.readlink(f"/proc/self/fd/{folder}") != str(self.folder):  # a parent swapped for a symlink
                raise _Escaped(f"{self.folder} now leads elsewhere")
            targets = {name: self._subfolder(folder, name) for name in ("done", "failed")}
            try:
                for entry in sorted(os.scandir(folder), key=lambda e: e.name) if take else ():
                    if (entry.is_file(follow_symlinks=False) and Path(entry.name).suffix.lower() in PICTURE_SUFFIXES
                            and self._settled(entry.stat(follow_symlinks=False))):
                        self._handle(folder, entry.name, targets)
            finally:
                for fd in targets.values():
                    os.close(fd)
        finally:
            os.close(folder)
        self.problem = ""

    @staticmethod
    def _subfolder(folder: int, name: str) -> int:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, dir_fd=folder)
        try:
            return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
        except OSError as exc:
            raise _Escaped(f"{name}/ is not a folder of its own ({exc.strerror})") from exc

    def _report(self, problem: str) -> None:
        if problem != self.problem:  # once, not every half second
            logger.warning("%s: %s", self.device.ip, problem)
        self.problem = problem

    @staticmethod
    def _settled(stat: os.stat_result) -> bool:
        """An FTP upload still in progress keeps growing; wait until it has not changed for a second."""
        return time.time() - stat.st_mtime > 1.0

    def _handle(self, folder: int, name: str, targets: dict[str, int]) -> None:
        destination = "done"
        try:  # O_NOFOLLOW: a picture swapped for a symlink since the scan is not read through
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
            with os.fdopen(fd, "rb") as file:
                picture, when_ms = file.read(), int(os.fstat(file.fileno()).st_mtime * 1000)
        except OSError as exc:
            logger.warning("%s: not read: %s", name, exc)
            destination, picture = "failed", None
        if picture is not None:
            self.touch(self.device)
            try:
                self.recognise(picture, self.device, when_ms=when_ms)
            except ContractCodeError as exc:
                logger.warning("%s: %s", name, exc.message)
                destination = "failed"
        try:  # a rename moves a symlink itself, never its target
            os.replace(name, name, src_dir_fd=folder, dst_dir_fd=targets[destination])
        except OSError as exc:
            logger.warning("%s: not moved to %s/: %s", name, destination, exc)


class _Escaped(Exception):
    """A watched folder that no longer is the directory it was resolved to."""


class VideoReader:
    """An RTSP stream or a video file through OpenCV; reconnects to a stream that drops."""

    def __init__(self, device: Device, recognise: Recognise, touch: Callable[[Device], None],
                 threshold: float) -> None:
        self.device = device
        self.recognise = recognise
        self.touch = touch
        self.threshold = threshold

    def run(self, stop: threading.Event) -> None:
        import cv2  # only boxes with video sources need OpenCV loaded

        tracker = FaceTracker(self.threshold)
        url = self.device.stream_url
        is_file = not urlsplit(url).scheme  # InputRoots.stream let only camera URLs and confined files through
        failures = 0
        while not stop.is_set():
            capture = cv2.VideoCapture(url)
            if capture.isOpened():
                frames = self._read(cv2, capture, tracker, stop, is_file)
                capture.release()
                if is_file:
                    logger.info("%s: end of %s", self.device.ip, url)
                    return
                failures = 0 if frames else failures
                logger.info("%s: %s dropped; reconnecting", self.device.ip, url)
            else:
                logger.warning("%s: cannot open %s; retrying", self.device.ip, url)
            failures += 1
            stop.wait(backoff.STREAM.delay(failures))

    def _read(self, cv2, capture, tracker: FaceTracker, stop: threading.Event, is_file: bool) -> int:
        """Recognise every `step`-th frame until the stream ends or drops; the frames read."""
        source_fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        step = max(1, round(source_fps / max(self.device.fps, 0.1)))
        started_ms, index = int(time.time() * 1000), 0
        while not stop.is_set():
            if not capture.grab():
                break
            index += 1
            if (index - 1) % step:
                continue
            ok, frame = capture.retrieve()
            if not ok:
                break
            self.touch(self.device)
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            # A file's events carry video time; a live stream's carry the wall clock.
            when_ms = started_ms + int(index / source_fps * 1000) if is_file else int(time.time() * 1000)
            image = DecodedImage(rgb=rgb, original_size=(rgb.shape[1], rgb.shape[0]), scale=1.0)
            self.recognise(image, self.device, tracker=tracker, when_ms=when_ms)
        return index
