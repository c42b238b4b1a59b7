"""Front-end devices and the inputs they feed: pushed pictures, watched folders, video.

The registry keeps each device (part 2's sub-device: ep_id = <dev_sno>__<ip>) in the
agent's store; adding or removing one is reported to the platform's `deviceInfoAddr`
(CONTRACT.md §6) through the results outbox, so the report survives restarts. A device
with a `folder` gets a watcher (cameras that upload pictures over FTP), one with a
`stream_url` (rtsp://… or a video file) gets a video reader sampling `fps` frames a
second through a face tracker: one event per person passing, not one per frame.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict
from pathlib import Path

from .contract import ContractCodeError
from .recognition import Device, FaceTracker

logger = logging.getLogger("edge_agent.sources")

PICTURE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
PUSH_ONLINE_FOR = 600.0  # a pushing device counts as online this long after its last picture


class DeviceRegistry:
    def __init__(self, agent) -> None:
        self.agent = agent
        self.lock = threading.Lock()
        self.last_activity: dict[str, float] = {}
        self.running: dict[str, tuple[threading.Event, threading.Thread]] = {}

    def all(self) -> list[Device]:
        return [Device(**fields) for fields in self.agent.store.get("devices", {}).values()]

    def get(self, ip: str) -> Device | None:
        fields = self.agent.store.get("devices", {}).get(ip)
        return Device(**fields) if fields else None

    def save(self, device: Device) -> str:
        """Keep the device, start its reader, report it; its status, as reported."""
        with self.lock:
            devices = self.agent.store.get("devices", {})
            devices[device.ip] = asdict(device)
            self.agent.store.set("devices", devices)
        self._restart(device)
        status = self.status(device)  # once, after the start: the report and the reply say the same
        self.agent.report_device(1, device, status)
        return status

    def remove(self, ip: str) -> Device | None:
        with self.lock:
            devices = self.agent.store.get("devices", {})
            fields = devices.pop(ip, None)
            self.agent.store.set("devices", devices)
        if fields is None:
            return None
        device = Device(**fields)
        self._stop(ip)
        self.agent.report_device(2, device, "offline")
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
        dev_sno = self.agent.dev_sno
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
        if device.folder:
            target = FolderWatcher(self.agent, device).run
        elif device.stream_url:
            target = VideoReader(self.agent, device).run
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
    """Pictures dropped into the folder are recognised once, then moved to `done/` (or `failed/`)."""

    def __init__(self, agent, device: Device, interval: float = 0.5) -> None:
        self.agent = agent
        self.device = device
        self.folder = Path(device.folder)
        self.interval = interval

    def run(self, stop: threading.Event) -> None:
        (self.folder / "done").mkdir(parents=True, exist_ok=True)
        (self.folder / "failed").mkdir(exist_ok=True)
        while not stop.wait(self.interval):
            for path in sorted(self.folder.iterdir()):
                if path.is_file() and path.suffix.lower() in PICTURE_SUFFIXES and self._settled(path):
                    self._handle(path)

    @staticmethod
    def _settled(path: Path) -> bool:
        """An FTP upload still in progress keeps growing; wait until it has not changed for a second."""
        return time.time() - path.stat().st_mtime > 1.0

    def _handle(self, path: Path) -> None:
        self.agent.devices.touch(self.device)
        destination = "done"
        try:
            self.agent.recognizer.recognise(path.read_bytes(), self.device,
                                            when_ms=int(path.stat().st_mtime * 1000))
        except ContractCodeError as exc:
            logger.warning("%s: %s", path.name, exc.message)
            destination = "failed"
        path.replace(self.folder / destination / path.name)


class VideoReader:
    """An RTSP stream or a video file through OpenCV; reconnects to a stream that drops."""

    def __init__(self, agent, device: Device) -> None:
        self.agent = agent
        self.device = device

    def run(self, stop: threading.Event) -> None:
        import cv2  # only boxes with video sources need OpenCV loaded

        from .face.decode import DecodedImage

        tracker = FaceTracker(self.agent.engine.threshold)
        url = self.device.stream_url
        is_file = not url.startswith(("rtsp://", "rtsps://", "http://", "https://"))
        while not stop.is_set():
            capture = cv2.VideoCapture(url)
            if not capture.isOpened():
                logger.warning("%s: cannot open %s; retrying", self.device.ip, url)
                stop.wait(5.0)
                continue
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
                self.agent.devices.touch(self.device)
                rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                # A file's events carry video time; a live stream's carry the wall clock.
                when_ms = started_ms + int(index / source_fps * 1000) if is_file else int(time.time() * 1000)
                image = DecodedImage(rgb=rgb, original_size=(rgb.shape[1], rgb.shape[0]), scale=1.0)
                self.agent.recognizer.recognise(image, self.device, tracker=tracker, when_ms=when_ms)
            capture.release()
            if is_file:
                logger.info("%s: end of %s", self.device.ip, url)
                return
            stop.wait(2.0)
