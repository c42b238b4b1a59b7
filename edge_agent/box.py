"""The composition root: everything a box runs, built from its BoxConfig and wired here only.

Each part is handed what it needs (typed, mostly narrow callables or Protocols), never the
box itself:

    store ─ settings, identity (dev_sno, login URL), outbox, command progress
    engine, gallery, photos, events ─ the face engine and the box's data
    enroller ─ the one enrolment path (commands and the local API)
    connection ─ login + command queue → worker → CommandResults → outbox
    recognizer ─ engine, gallery, events, realtime sender, door
    devices ─ settings, input roots, device reports (outbox), recognizer
    history uploader, realtime sender, status reporter ─ targets from login and settings

Threads are started by `start` and stopped by `stop`; the HTTP API (edge_agent/http/) is
built on the same parts by `create_app(box, api_key)`.
"""
from __future__ import annotations

import threading

from . import local_data
from .commands import CommandProcessor
from .config import BoxConfig, Identity, hex_mac
from .connection import Connection, Health
from .enrolment import Enroller
from .events import DEFAULT_BOUND, EventStore
from .face.engine import FaceEngine
from .outbox import CommandResults, DeviceReports, Outbox
from .photos import PhotoStore
from .platform import PlatformClient, Session
from .recognition import Recognizer
from .relay import DRIVERS, Door
from .reporting import HistoryUploader, RealtimeSender, Targets
from .sources import DeviceRegistry, InputRoots
from .status import CpuMeter, StatusReporter, status_report
from .store import Store
from .worker import CommandWorker


class EdgeBox:
    def __init__(self, config: BoxConfig) -> None:
        self.config = config
        self.data_dir = config.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = self._store(config)
        self.identity = Identity(self.store, config.mac or hex_mac())
        self.stopping = threading.Event()
        self.health = Health()
        self._threads: list[threading.Thread] = []
        self._data(config)
        self._connection()
        self._recognition()

    @staticmethod
    def _store(config: BoxConfig) -> Store:
        """The settings store, with what the command line sets (kept for later starts)."""
        store = Store(config.data_dir / "agent.sqlite3")
        given = {"dev_sno": config.dev_sno, "login_url": config.login_url, "relay_driver": config.relay,
                 "event_bound": config.event_bound}
        for key, value in given.items():
            if value:
                store.set(key, value)
        return store

    def _data(self, config: BoxConfig) -> None:
        self.engine = FaceEngine(config.models, threads=config.threads)
        self.gallery = self.engine.new_gallery(self.data_dir / "gallery.sqlite3")
        self.photos = PhotoStore(self.data_dir / "photos")
        self.events = EventStore(self.data_dir / "events.sqlite3", self.store.get("event_bound", DEFAULT_BOUND))
        self.enroller = Enroller(self.engine, self.gallery, self.photos)
        local_data.prepare(self.store, self.gallery)
        roots = list(config.input_roots)
        if not roots:  # the first root takes relative folders
            roots = [self.data_dir / "inputs"]
            roots[0].mkdir(exist_ok=True)
        self.input_roots = InputRoots(roots)

    def _connection(self) -> None:
        self.platform = PlatformClient()
        processor = CommandProcessor(self.enroller, self.engine, self.gallery, self.store, self.platform,
                                     self.photos, self.events)
        self.worker = CommandWorker(CommandResults(processor, self.store, self.health).handle, self.stopping)
        self.connection = Connection(self.identity, self.platform, self.worker, self.health, self.stopping,
                                     self.config.heartbeat)
        self.outbox = Outbox(self.store, self.platform, self.connection.current_session, self.stopping)
        self.targets = Targets(self.connection.current_session, self.store)

    def _recognition(self) -> None:
        self.relay = DRIVERS[self.store.get("relay_driver", "log")]()
        self.realtime = RealtimeSender(self.targets.realtime, self.stopping)
        self.uploader = HistoryUploader(self.events, self.targets.history, self.targets.upload_period, self.stopping)
        dev_sno = self._dev_sno
        self.recognizer = Recognizer(self.engine, self.gallery, self.events, self.photos, self.store, dev_sno,
                                     self.realtime, Door(self.store, self.relay))
        self.devices = DeviceRegistry(self.store, self.input_roots, DeviceReports(self.store, dev_sno).report, dev_sno,
                                      self.recognizer.recognise, self.engine.threshold)
        cpu = CpuMeter()
        cpu.usage()  # the first reading covers the time since boot

        def report() -> dict:
            return status_report(dev_sno(), self.identity.mac, self.data_dir, cpu, self.engine.sdk_version,
                                 self.devices.sub_devices())

        self.status = StatusReporter(self.targets.status, report, self.platform.post_json, self.stopping)

    def _dev_sno(self) -> str:
        return self.identity.dev_sno

    # --- what the HTTP API and the tests read ------------------------------------------
    @property
    def session(self) -> Session | None:
        return self.connection.session

    def configure(self, **values: str) -> None:
        self.identity.configure(**values)

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        loops = ((self.connection.run, "connection"), (self.worker.run, "commands"), (self.outbox.run, "outbox"),
                 (self.status.run, "status"), (self.uploader.run, "history"), (self.realtime.run, "realtime"))
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.devices.start_all()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.identity.relogin.set()
        self.devices.stop_all()
        for thread in self._threads:
            thread.join(timeout)

    def health_report(self) -> dict:
        health = self.health
        return {
            "dev_sno": self.identity.dev_sno, "login_url": self.identity.login_url,
            "login": health.login, "broker": health.broker,
            "gallery_size": len(self.gallery), "result_backlog": self.store.backlog(),
            "commands_handled": health.commands_handled, "last_login_at": health.last_login_at,
            "last_status_at": self.status.last_sent_at, "last_error": health.last_error,
            "model": self.engine.model_version, "models_sha256": self.engine.models_sha256,
            "events_stored": len(self.events),
            "events_waiting": {t.key: self.events.backlog(t.key) for t in self.targets.history()},
            "events_uploaded": self.uploader.sent, "realtime_sent": self.realtime.sent,
            "realtime_dropped": self.realtime.dropped, "upload_error": self.uploader.last_error,
            "devices": self.devices.sub_devices(),
        }
