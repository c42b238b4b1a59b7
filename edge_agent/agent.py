"""The agent: log in, hold the broker connection, apply commands, deliver results.

Threads: the connection loop (login with back-off, hold the broker connection and its
heartbeats), the command worker (commands one at a time, edge_agent/worker.py), the
outbox sender (results, retried until delivered) and the HTTP API. A command is acked
only after its effects and its result are committed to the local store, so a crash at
any point leads to redelivery and a repeated answer, never a lost or doubled effect.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pika
import requests

from aibox_contract.urls import resolve, root_of, with_auth

from . import backoff, local_data
from .commands import CommandProcessor, Session
from .events import DEFAULT_BOUND, EventStore
from .face.engine import FaceEngine
from .photos import PhotoStore
from .platform import LoginRefused, PlatformClient
from .recognition import Device, Recognizer
from .relay import DRIVERS, Action
from .reporting import HistoryTarget, HistoryUploader, RealtimeSender
from .sources import DeviceRegistry, InputRoots
from .status import CpuMeter, status_report
from .store import Store
from .worker import CommandWorker, Delivery

logger = logging.getLogger("edge_agent")


def hex_mac() -> str:
    """This machine's MAC as upstream writes it: 0x + 12 hex digits."""
    for interface in sorted(Path("/sys/class/net").glob("*")):
        if interface.name == "lo":
            continue
        try:
            address = (interface / "address").read_text().strip()
        except OSError:
            continue
        if address and address != "00:00:00:00:00:00":
            return "0x" + address.replace(":", "").lower()
    return f"0x{uuid.getnode():012x}"


@dataclass
class Health:
    login: str = "not configured"
    broker: str = "disconnected"
    last_error: str = ""
    last_login_at: float | None = None
    last_status_at: float | None = None
    commands_handled: int = 0
    broker_connects: int = 0  # command connections opened since the start
    redelivered: int = 0  # commands the broker delivered again (an ack that never arrived)



def heartbeat_negotiation(cap: int):
    """AMQP heartbeat negotiation for pika: the broker's proposal, capped by ours (a cloud that
    wants dead boxes noticed sooner gets its shorter interval); ours when it proposes none.
    A plain function, since pika deep-copies its connection parameters."""
    def negotiate(_connection, proposed: int) -> int:
        return min(proposed, cap) if proposed else cap
    return negotiate

class Agent:
    def __init__(self, data_dir: Path, dev_sno: str | None = None, login_url: str | None = None,
                 models: Path | None = None, mac: str | None = None, threads: int = 0,
                 relay: str | None = None, event_bound: int | None = None, heartbeat: int = 60,
                 input_roots: list[Path] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Device folders and video files lie under these (edge_agent/sources.py); the first takes relative ones.
        if not input_roots:
            input_roots = [self.data_dir / "inputs"]
            input_roots[0].mkdir(exist_ok=True)
        self.input_roots = InputRoots(input_roots)
        self.store = Store(self.data_dir / "agent.sqlite3")
        if dev_sno:
            self.store.set("dev_sno", dev_sno)
        if login_url:
            self.store.set("login_url", login_url)
        self.engine = FaceEngine(models, threads=threads)
        self.gallery = self.engine.new_gallery(self.data_dir / "gallery.sqlite3")
        self.photos = PhotoStore(self.data_dir / "photos")
        self.platform = PlatformClient()
        self.mac = mac or hex_mac()
        if relay:
            self.store.set("relay_driver", relay)
        self.relay = DRIVERS[self.store.get("relay_driver", "log")]()
        self.health = Health()
        self.heartbeat = heartbeat  # seconds at most, for the command connection (see _heartbeat)
        self.session: Session | None = None
        self.stopping = threading.Event()
        self.relogin = threading.Event()
        self._threads: list[threading.Thread] = []
        if event_bound:
            self.store.set("event_bound", event_bound)
        self.events = EventStore(self.data_dir / "events.sqlite3", self.store.get("event_bound", DEFAULT_BOUND))
        local_data.prepare(self.store, self.gallery)
        self.processor = CommandProcessor(self.engine, self.gallery, self.store, self.platform, self.photos,
                                          self.events)
        self.recognizer = Recognizer(self.engine, self.gallery, self)
        self.realtime = RealtimeSender(self._realtime_targets, self.stopping)
        self.uploader = HistoryUploader(self.events, self._history_targets, self._upload_period, self.stopping)
        self.devices = DeviceRegistry(self)
        self.worker = CommandWorker(self._handle, self.stopping)

    # --- configuration (the local API changes these) ---------------------------------
    @property
    def dev_sno(self) -> str:
        return self.store.get("dev_sno", "")

    @property
    def login_url(self) -> str:
        return self.store.get("login_url", "")

    def configure(self, **values: str) -> None:
        """Store dev_sno / login_url and log in again with them."""
        for key, value in values.items():
            self.store.set(key, value)
        self.relogin.set()

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        loops = ((self._connection_loop, "connection"), (self.worker.run, "commands"), (self._outbox_loop, "outbox"),
                 (self._status_loop, "status"), (self.uploader.run, "history"), (self.realtime.run, "realtime"))
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.devices.start_all()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.relogin.set()
        self.devices.stop_all()
        for thread in self._threads:
            thread.join(timeout)

    # --- login and consume ---------------------------------------------------------------
    def _connection_loop(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            if not (self.dev_sno and self.login_url):
                self.health.login = "not configured"
                self.relogin.wait(1.0)
                self.relogin.clear()
                continue
            try:
                self._login()
                failures = 0
                self._consume()
            except LoginRefused as exc:
                self._failed(f"login refused: {exc}")
                failures += 1
            except (requests.RequestException, ValueError) as exc:
                self._failed(f"platform unreachable: {exc}")
                failures += 1
            except pika.exceptions.ProbableAuthenticationError as exc:
                self._failed(f"broker refused the credentials; logging in again: {exc}")
                failures += 1
            except pika.exceptions.AMQPError as exc:
                self._failed(f"broker connection lost: {exc!r}")
                failures += 1
            if failures and not self.stopping.is_set():
                self.relogin.wait(backoff.LOGIN.delay(failures))
            self.relogin.clear()

    def _failed(self, message: str) -> None:
        logger.warning(message)
        self.health.last_error = message
        self.health.broker = "disconnected"

    def _login(self) -> None:
        self.health.login = "logging in"
        reply = self.platform.login(self.login_url, self.dev_sno, self.mac)
        self.session = Session(self.dev_sno, self.login_url, reply["token"], reply)
        self.health.login = "logged in"
        self.health.last_login_at = time.time()
        logger.info("logged in to %s as %s", root_of(self.login_url), self.dev_sno)

    def _consume(self) -> None:
        mq = self.session.reply["rabbitmq"]
        parameters = pika.ConnectionParameters(
            host=mq["host"], port=int(mq["port"]), virtual_host=mq.get("vHost") or "/",
            credentials=pika.PlainCredentials(mq["login"], mq["password"]),
            heartbeat=heartbeat_negotiation(self.heartbeat), blocked_connection_timeout=60, connection_attempts=1,
        )
        connection = pika.BlockingConnection(parameters)
        self.health.broker_connects += 1
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=2)
            queues = [mq["queue"]] + ([mq["fiqaDownQueue"]] if mq.get("fiqaDownQueue") else [])
            if not mq.get("unNeedBindExchange"):
                exchange = mq["exchange"]
                channel.exchange_declare(exchange["name"], exchange["type"], passive=bool(exchange.get("passive")),
                                         durable=bool(exchange.get("durable", True)),
                                         auto_delete=bool(exchange.get("auto_delete")))
                channel.queue_bind(mq["queue"], exchange["name"], routing_key=mq["queue"])
            for queue in queues:
                channel.basic_consume(queue, self._on_message)
            self.health.broker = "connected"
            logger.info("listening on %s", ", ".join(queues))
            while not (self.stopping.is_set() or self.relogin.is_set()):
                connection.process_data_events(time_limit=0.5)
            self._let_the_running_command_finish(connection)
        finally:
            self.health.broker = "disconnected"
            if connection.is_open:
                connection.close()

    def _let_the_running_command_finish(self, connection: pika.BlockingConnection, limit: float = 10.0) -> None:
        """Before closing, give the command in progress a moment to commit, and send its ack,
        so a re-login or a stop does not make the broker deliver it again."""
        deadline = time.monotonic() + limit
        while self.worker.busy_with(connection) and time.monotonic() < deadline:
            connection.process_data_events(time_limit=0.2)
        connection.process_data_events(time_limit=0)

    def _on_message(self, channel, method, properties, body: bytes) -> None:
        """pika's callback: only hand the command over, so this thread keeps the heartbeats going."""
        if method.redelivered:
            self.health.redelivered += 1
        self.worker.submit(Delivery(channel.connection, channel, method.delivery_tag, body, self.session))

    def _handle(self, body: bytes, session: Session) -> None:
        """One command on the worker thread: apply it, commit the result with its delivery."""
        outcome = self.processor.process(body, session)
        self.store.finish(outcome.message_id, outcome.method, outcome.result,
                          self._result_channel(outcome.method, outcome.extend_params, session))
        self.health.commands_handled += 1
        logger.info("%s %s: %s", outcome.method, outcome.message_id or "-", outcome.result.get("message"))

    @staticmethod
    def _result_channel(method: str, extend: dict, session: Session) -> str | None:
        """Where the result goes (CONTRACT.md §3): the upload queue, else notify_path, else nowhere."""
        mq = session.reply["rabbitmq"]
        queue = mq.get("fiqaUploadQueue") if method == "fiqa" and mq.get("fiqaUploadQueue") else mq.get("uploadQueue")
        if queue:
            return "mq:" + json.dumps([mq.get("uploadVHost") or "/", queue])
        if extend.get("notify_path"):
            return "http:" + resolve(extend["notify_path"], session.login_url)
        return None

    # --- results -----------------------------------------------------------------------
    def _outbox_loop(self) -> None:
        publisher = ResultPublisher(self)
        while not self.stopping.wait(0.3):
            for entry_id, channel, body, attempts in self.store.due():
                try:
                    if channel.startswith("mq:"):
                        vhost, queue = json.loads(channel[3:])
                        publisher.publish(vhost, queue, body)
                    elif channel.startswith("report:"):
                        self._deliver_report(channel[7:], json.loads(body))
                    else:
                        url = channel[5:]
                        if self.session:
                            url = with_auth(url, self.session.dev_sno, self.session.token)
                        self.platform.post_json(url, json.loads(body))
                    self.store.delivered(entry_id)
                except (pika.exceptions.AMQPError, requests.RequestException, OSError) as exc:
                    logger.warning("result not delivered yet (%s); will retry", exc)
                    self.store.retry_later(entry_id, attempts + 1, backoff.OUTBOX.delay(attempts + 1), str(exc))
                    publisher.close()
                    break
        publisher.close()

    def _deliver_report(self, address_field: str, body: dict) -> None:
        """A report to an address the login gives (deviceInfoAddr): waits in the outbox until logged in."""
        session = self.session
        if session is None:
            raise requests.ConnectionError("not logged in yet")
        address = session.reply.get(address_field)
        if not address:
            return  # this platform does not want these reports
        self.platform.post_json(session.platform_url(address), body)

    # --- events ------------------------------------------------------------------------
    def _history_targets(self) -> list[HistoryTarget]:
        """Every recordAddr URL of the login, and every locally set HistoryEventUrl."""
        targets = []
        session = self.session
        if session is not None:
            for address in str(session.reply.get("recordAddr") or "").split(","):
                if address.strip():
                    targets.append(HistoryTarget(session.platform_url(address.strip())))
        local = self.store.get("history_server") or {}
        for url in local.get("history_upload_event_url", []):
            targets.append(HistoryTarget(url, bool(local.get("history_need_reg_pic", True)),
                                         local.get("reported_peroid")))
        return targets

    def _upload_period(self) -> float:
        session = self.session
        return float((session.reply.get("recordUploadPeriod") if session else None) or 5)

    def _realtime_targets(self, matched: bool) -> list[tuple[str, bool]]:
        """EventServerUrl gets matches (upstream: scores above the threshold); realtimeAddr gets every event."""
        targets = []
        local = self.store.get("event_server") or {}
        if matched:
            targets += [(url, bool(local.get("real_need_reg_pic", True))) for url in local.get("event_server_url", [])]
        session = self.session
        if session is not None and session.reply.get("realtimeAddr"):
            targets.append((session.platform_url(session.reply["realtimeAddr"]), True))
        return targets

    def open_door(self, device: Device | None) -> None:
        """A recognised person (not blacklisted): what GateControllerMode says, through the relay driver."""
        mode = self.store.get("controller_mode", "opendoor")
        if mode in ("none", "off", "disable") or device is None:
            return
        action = Action(device.ip, str(self.store.get("relay_port", "80")), mode)

        def perform() -> None:
            try:
                self.relay.perform(action)
            except requests.RequestException as exc:
                logger.warning("relay at %s did not answer: %s", device.ip, exc)

        threading.Thread(target=perform, name="relay", daemon=True).start()

    def report_device(self, action_type: int, device: Device, status: str) -> None:
        """The operate event of upstream §7.2 (1 added, 2 removed), queued for deviceInfoAddr,
        typed as its table says: epType and epStatus ("1" online, "2" offline, "3" unknown)
        strings, direction an int, isMonitor a bool, lastMonitorTime in seconds."""
        body = {"actionType": action_type, "deviceInfo": {
            "epId": device.ep_id(self.dev_sno), "devSno": self.dev_sno, "direction": device.direction,
            "epType": str(device.ep_type), "memo": "", "epName": device.name, "epIp": device.ip,
            "epStatus": {"online": "1", "offline": "2"}.get(status, "3"), "epVersion": "",
            "epGroupName": device.location, "epStreamUrl": device.stream_url, "lastMonitorTime": int(time.time()),
            "isMonitor": True, "privilegeGroupKey": ""}}
        self.store.enqueue("report:deviceInfoAddr", body)

    # --- status reports --------------------------------------------------------------
    def _status_loop(self) -> None:
        """Status reports, each target on its own period: deviceMonitorAddr every
        deviceMonitorPeriod (login; default 20 s), the local MonitorServerUrl every
        reported_peroid (part 2 §4.5.1), logged in or not. Best effort: a missed report
        is not resent."""
        cpu = CpuMeter()
        cpu.usage()
        next_at: dict[str, float] = {}
        while not self.stopping.wait(0.5):
            now = time.monotonic()
            due = [(key, url, period) for key, url, period in self._status_targets() if now >= next_at.get(key, 0.0)]
            if not due:
                continue
            report = status_report(self.dev_sno, self.mac, self.data_dir, cpu, self.engine.sdk_version,
                                   self.devices.sub_devices())
            for key, url, period in due:
                next_at[key] = now + max(period, 1)
                try:
                    self.platform.post_json(url, report)
                    self.health.last_status_at = time.time()
                except requests.RequestException as exc:
                    logger.warning("status report to %s failed: %s", url, exc)

    def _status_targets(self) -> list[tuple[str, str, int]]:
        """(name, url, period in seconds) of every status target now configured."""
        targets = []
        session = self.session
        if session is not None and session.reply.get("deviceMonitorAddr"):
            targets.append(("platform", session.platform_url(session.reply["deviceMonitorAddr"]),
                            int(session.reply.get("deviceMonitorPeriod") or 20)))
        local = self.store.get("monitor_server")
        if local and local.get("monitor_server_url"):
            targets.append(("local:" + local["monitor_server_url"], local["monitor_server_url"],
                            int(local.get("reported_peroid") or 20)))
        return targets

    def health_report(self) -> dict:
        return {
            "dev_sno": self.dev_sno,
            "login_url": self.login_url,
            "login": self.health.login,
            "broker": self.health.broker,
            "gallery_size": len(self.gallery),
            "result_backlog": self.store.backlog(),
            "commands_handled": self.health.commands_handled,
            "last_login_at": self.health.last_login_at,
            "last_status_at": self.health.last_status_at,
            "last_error": self.health.last_error,
            "model": self.engine.model_version,
            "models_sha256": self.engine.models_sha256,
            "events_stored": len(self.events),
            "events_waiting": {t.key: self.events.backlog(t.key) for t in self._history_targets()},
            "events_uploaded": self.uploader.sent,
            "realtime_sent": self.realtime.sent,
            "realtime_dropped": self.realtime.dropped,
            "upload_error": self.uploader.last_error,
            "devices": self.devices.sub_devices(),
        }


class ResultPublisher:
    """The outbox's connection to the upload vhost, with publisher confirms; reopened after failures."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.connection: pika.BlockingConnection | None = None
        self.channel = None
        self.vhost = ""

    def publish(self, vhost: str, queue: str, body: str) -> None:
        if self.connection is None or self.connection.is_closed or vhost != self.vhost:
            self.close()
            session = self.agent.session
            if session is None:
                raise pika.exceptions.AMQPConnectionError("not logged in yet")
            mq = session.reply["rabbitmq"]
            self.connection = pika.BlockingConnection(pika.ConnectionParameters(
                host=mq["host"], port=int(mq["port"]), virtual_host=vhost, heartbeat=30, connection_attempts=1,
                credentials=pika.PlainCredentials(mq["login"], mq["password"]),
            ))
            self.channel = self.connection.channel()
            self.channel.confirm_delivery()
            self.vhost = vhost
        properties = pika.BasicProperties(delivery_mode=2, content_type="application/json")
        self.channel.basic_publish("", queue, body.encode(), properties, mandatory=True)

    def close(self) -> None:
        if self.connection is not None and self.connection.is_open:
            try:
                self.connection.close()
            except pika.exceptions.AMQPError:
                pass
        self.connection, self.channel = None, None
