"""A stock AIBOX cloud, written only from the upstream documents.

It is what a third-party cloud vendor would put in front of our edge agent: the login of
upstream 01 §4, the person details endpoint of §6.1, a photo server under a path prefix
(imgServerAddr), the report receivers of §7 / part 2 §4.4-4.5, the result endpoint of §5.4
(notify_path) and the RabbitMQ side: a vhost of its own, one queue per box, an exchange, an
upload queue and the FIQA queues. It imports nothing from the project: stdlib, pika,
requests only, so it can judge the agent instead of mirroring it.

Between the agent and RabbitMQ sits a small AMQP relay (``AmqpRelay``): a cloud vendor
chooses its broker's heartbeat, and the relay plays that part (it rewrites the heartbeat the
broker proposes in Connection.Tune) and counts the agent's connections per vhost, so a
reconnect is seen, not guessed.
"""

from __future__ import annotations

import json
import secrets
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pika
import requests

BROKER_HOST = "127.0.0.1"
BROKER_PORT = 5672
MANAGEMENT_URL = "http://127.0.0.1:15672/api"
GUEST = ("guest", "guest")

# Paths of the cloud's HTTP side. The login answers relative report addresses on purpose:
# upstream 01 §9 says the box joins them to the login URL's scheme+host.
LOGIN_PATH = "/api/v1/login"  # deep on purpose: relative URLs must drop "/api/v1"
LOGIN_NOTIFY_PATH = "/api/v1/login-notify"  # a login without uploadQueue (results by HTTP)
DETAILS_PATH = "/getSendPerson"
DETAILS_NONJSON_PATH = "/getSendPerson/nonjson"
DETAILS_STALL_PATH = "/getSendPerson/stall"
NOTIFY_PATH = "/notify"
IMG_PREFIX = "/imgsrv"
FILES_PREFIX = "/files"
RECORD_PATHS = ("/stock/record", "/stock/record2")
DEVICE_INFO_PATH = "/device/operate"
DEVICE_MONITOR_PATH = "/device/status"
LOCAL_REALTIME_PATH = "/local/realtime"
LOCAL_HISTORY_PATH = "/local/history"
LOCAL_MONITOR_PATH = "/local/monitor"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, step: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; return it, or None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


@dataclass
class Hit:
    """One HTTP request the cloud received."""

    at: float  # time.time()
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 200

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


@dataclass
class Result:
    """A command result (upstream 01 §5.4), from the upload queues or notify_path."""

    at: float
    via: str  # "mq:<queue>" or "http"
    body: Any
    properties: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- RabbitMQ management


def _mgmt(method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(method, MANAGEMENT_URL + path, auth=GUEST, json=body, timeout=10)


def _q(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def create_vhost(name: str) -> None:
    """A vhost of the cloud's own, guest allowed everything in it."""
    _mgmt("PUT", f"/vhosts/{_q(name)}", {}).raise_for_status()
    perms = {"configure": ".*", "write": ".*", "read": ".*"}
    _mgmt("PUT", f"/permissions/{_q(name)}/guest", perms).raise_for_status()


def delete_vhost(name: str) -> None:
    _mgmt("DELETE", f"/vhosts/{_q(name)}")


def bindings(vhost: str, exchange: str, queue: str) -> list[dict[str, Any]]:
    reply = _mgmt("GET", f"/bindings/{_q(vhost)}/e/{_q(exchange)}/q/{_q(queue)}")
    return reply.json() if reply.ok else []


def queue_consumers(vhost: str, queue: str) -> int:
    reply = _mgmt("GET", f"/queues/{_q(vhost)}/{_q(queue)}")
    return int(reply.json().get("consumers") or 0) if reply.ok else 0


def _connect(vhost: str) -> pika.BlockingConnection:
    params = pika.ConnectionParameters(
        BROKER_HOST, BROKER_PORT, vhost, pika.PlainCredentials(*GUEST), heartbeat=30
    )
    return pika.BlockingConnection(params)


# ---------------------------------------------------------------- AMQP relay

_FRAME_END = 0xCE


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("closed")
        chunks += chunk
    return bytes(chunks)


def _read_frame(sock: socket.socket) -> bytes:
    header = _recv_exact(sock, 7)
    (size,) = struct.unpack(">I", header[3:7])
    return header + _recv_exact(sock, size + 1)


def _method_of(frame: bytes) -> tuple[int, int] | None:
    if frame[0] != 1 or len(frame) < 12:
        return None
    return struct.unpack(">HH", frame[7:11])


@dataclass
class RelayedConnection:
    """One AMQP connection the agent opened through the relay."""

    opened_at: float
    vhost: str | None = None
    heartbeat: int | None = None  # what the client answered in Connection.Tune-Ok
    closed_at: float | None = None
    client_heartbeats: list[float] = field(default_factory=list)  # heartbeat frames it sent


class AmqpRelay:
    """TCP relay to RabbitMQ that imposes a heartbeat and records connections."""

    def __init__(self, heartbeat: int | None) -> None:
        self.heartbeat = heartbeat
        self.port = free_port()
        self.connections: list[RelayedConnection] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stopped = False
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        threading.Thread(target=self._accept, daemon=True, name="amqp-relay").start()

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()
        for sock in list(self._sockets):
            _close_quietly(sock)

    def for_vhost(self, vhost: str) -> list[RelayedConnection]:
        with self._lock:
            return [c for c in self.connections if c.vhost == vhost]

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection((BROKER_HOST, BROKER_PORT))
            except OSError:
                _close_quietly(client)
                continue
            record = RelayedConnection(opened_at=time.time())
            with self._lock:
                self.connections.append(record)
                self._sockets += [client, server]
            threading.Thread(target=self._client_to_server, args=(client, server, record),
                             daemon=True).start()
            threading.Thread(target=self._server_to_client, args=(server, client, record),
                             daemon=True).start()

    def _client_to_server(self, client: socket.socket, server: socket.socket,
                          record: RelayedConnection) -> None:
        try:
            server.sendall(_recv_exact(client, 8))  # "AMQP\x00\x00\x09\x01"
            while True:  # frame by frame: Tune-Ok (10,31), Open (10,40), heartbeats (type 8)
                frame = _read_frame(client)
                method = _method_of(frame)
                if frame[0] == 8:
                    record.client_heartbeats.append(time.time())
                elif method == (10, 31):
                    record.heartbeat = struct.unpack(">H", frame[17:19])[0]
                elif method == (10, 40):
                    size = frame[11]
                    record.vhost = frame[12:12 + size].decode("utf-8", "replace")
                server.sendall(frame)
        except (OSError, ConnectionError):
            pass
        finally:
            self._closed(client, server, record)

    def _server_to_client(self, server: socket.socket, client: socket.socket,
                          record: RelayedConnection) -> None:
        try:
            while True:  # until Connection.Tune (10,30), whose heartbeat we impose
                frame = _read_frame(server)
                if _method_of(frame) == (10, 30) and self.heartbeat is not None:
                    frame = frame[:17] + struct.pack(">H", self.heartbeat) + frame[19:]
                    client.sendall(frame)
                    break
                client.sendall(frame)
                if _method_of(frame) == (10, 30):
                    break
            _pump(server, client)
        except (OSError, ConnectionError):
            pass
        finally:
            self._closed(client, server, record)

    def _closed(self, client: socket.socket, server: socket.socket,
                record: RelayedConnection) -> None:
        with self._lock:
            if record.closed_at is None:
                record.closed_at = time.time()
        _close_quietly(client)
        _close_quietly(server)


def _pump(source: socket.socket, target: socket.socket) -> None:
    while True:
        data = source.recv(65536)
        if not data:
            return
        target.sendall(data)


def _close_quietly(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


# ---------------------------------------------------------------- the cloud


class StockCloud:
    """HTTP + MQ side of a minimal AIBOX cloud; everything it receives is recorded."""

    def __init__(self, heartbeat: int | None = 2, monitor_period: int = 2,
                 record_period: int = 1) -> None:
        tag = secrets.token_hex(3)
        self.vhost = f"stock-cloud-{tag}"
        self.upload_vhost = f"stock-cloud-up-{tag}"
        self.exchange = "stock.commands"
        self.upload_queue = "stock.results"
        self.fiqa_upload_queue = "stock.fiqa.results"
        self.monitor_period = monitor_period
        self.record_period = record_period
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.relay = AmqpRelay(heartbeat)
        self.boxes: dict[str, dict[str, Any]] = {}  # dev_sno -> {"queue", "fiqa_queue", "tokens"}
        self.people: dict[str, dict[str, Any]] = {}  # identity_id -> §6.1 user entry
        self.files: dict[str, tuple[bytes, str]] = {}  # served path -> (bytes, content type)
        self.hits: list[Hit] = []
        self.results: list[Result] = []
        self.refuse_records = False  # answer 503 on recordAddr / HistoryEventUrl targets
        self.stall_seconds = 0.0  # how long DETAILS_STALL_PATH takes to answer
        self._lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None
        self._reader: ResultReader | None = None

    # -- lifecycle

    def start(self) -> None:
        for vhost in (self.vhost, self.upload_vhost):
            create_vhost(vhost)
        connection = _connect(self.upload_vhost)
        channel = connection.channel()
        channel.queue_declare(self.upload_queue, durable=True)
        channel.queue_declare(self.fiqa_upload_queue, durable=True)
        connection.close()
        connection = _connect(self.vhost)
        connection.channel().exchange_declare(self.exchange, "topic", durable=True)
        connection.close()
        self.relay.start()
        self._http = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, daemon=True, name="stock-cloud").start()
        self._reader = ResultReader(self, [self.upload_queue, self.fiqa_upload_queue])
        self._reader.start()

    def stop(self) -> None:
        if self._reader:
            self._reader.stop()
        if self._http:
            self._http.shutdown()
            self._http.server_close()
        self.relay.stop()
        for vhost in (self.vhost, self.upload_vhost):
            try:
                delete_vhost(vhost)
            except requests.RequestException:
                pass  # the broker's management API is away: nothing left to clean

    # -- boxes, people, photos

    def register_box(self, dev_sno: str) -> dict[str, Any]:
        """Issue a dev_sno: its own command queue and FIQA queue, declared up front."""
        box = {"queue": f"stock.box.{dev_sno}", "fiqa_queue": f"stock.fiqa.{dev_sno}",
               "tokens": []}
        connection = _connect(self.vhost)
        channel = connection.channel()
        channel.queue_declare(box["queue"], durable=True)
        channel.queue_declare(box["fiqa_queue"], durable=True)
        connection.close()
        self.boxes[dev_sno] = box
        return box

    @property
    def login_url(self) -> str:
        return self.base + LOGIN_PATH

    def serve_file(self, path: str, data: bytes, content_type: str = "image/jpeg") -> str:
        """Serve ``data`` at ``path``; returns the absolute URL."""
        self.files[path] = (data, content_type)
        return self.base + path

    def add_person(self, entry: dict[str, Any]) -> None:
        """A §6.1 user entry the details endpoint will hand out."""
        self.people[entry["identity_id"]] = entry

    def login_reply(self, dev_sno: str, with_upload_queue: bool = True) -> dict[str, Any]:
        """Upstream 01 §4: every documented field, report addresses relative and absolute."""
        box = self.boxes[dev_sno]
        token = secrets.token_hex(16)
        box["tokens"].append(token)
        rabbitmq: dict[str, Any] = {
            "host": "127.0.0.1", "port": self.relay.port, "login": GUEST[0],
            "password": GUEST[1], "queue": box["queue"], "vHost": self.vhost,
            "uploadVHost": self.upload_vhost, "fiqaDownQueue": box["fiqa_queue"],
            "fiqaUploadQueue": self.fiqa_upload_queue, "unNeedBindExchange": False,
            "exchange": {"name": self.exchange, "type": "topic", "passive": False,
                         "durable": True, "auto_delete": False, "arguments": None},
        }
        if with_upload_queue:
            rabbitmq["uploadQueue"] = self.upload_queue
        return {
            "token": token,
            "imgServerAddr": self.base + IMG_PREFIX,
            # §4 example 2: a relative and an absolute address, spaces around the comma
            "recordAddr": f"{RECORD_PATHS[0]} , {self.base}{RECORD_PATHS[1]}",
            "recordUploadPeriod": self.record_period,
            "deviceInfoAddr": DEVICE_INFO_PATH,
            "deviceMonitorAddr": DEVICE_MONITOR_PATH,
            "deviceMonitorPeriod": self.monitor_period,
            "rabbitmq": rabbitmq,
        }

    # -- MQ commands

    def publish(self, dev_sno: str, command: dict[str, Any]) -> None:
        """A command to the box's queue through the exchange (routing key: the queue)."""
        queue = self.boxes[dev_sno]["queue"]
        keys = [b.get("routing_key") for b in bindings(self.vhost, self.exchange, queue)]
        routing_key = queue if (queue in keys or not keys) else keys[0]
        self._publish(self.exchange, routing_key, command)

    def publish_fiqa(self, dev_sno: str, command: dict[str, Any]) -> None:
        """A fiqa command straight to the box's fiqaDownQueue (upstream 01 §4)."""
        self._publish("", self.boxes[dev_sno]["fiqa_queue"], command)

    def _publish(self, exchange: str, routing_key: str, command: dict[str, Any]) -> None:
        connection = _connect(self.vhost)
        try:
            connection.channel().basic_publish(
                exchange, routing_key, json.dumps(command).encode("utf-8"),
                pika.BasicProperties(content_type="application/json", delivery_mode=2))
        finally:
            connection.close()

    # -- what arrived

    def record_hit(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    def record_result(self, result: Result) -> None:
        with self._lock:
            self.results.append(result)

    def hits_on(self, path: str, since: float = 0.0) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path and h.at >= since]

    def results_for(self, message_id: str) -> list[Result]:
        with self._lock:
            return [r for r in self.results
                    if isinstance(r.body, dict) and r.body.get("messageId") == message_id]

    def wait_result(self, message_id: str, timeout: float = 30.0) -> Result | None:
        found = wait_until(lambda: self.results_for(message_id), timeout)
        return found[0] if found else None

    def wait_hits(self, path: str, count: int = 1, since: float = 0.0,
                  timeout: float = 15.0) -> list[Hit]:
        found = wait_until(lambda: len(self.hits_on(path, since)) >= count, timeout)
        return self.hits_on(path, since) if found else self.hits_on(path, since)


class ResultReader:
    """Consumes the upload queues (results of §5.4 and of fiqa) in a thread of its own."""

    def __init__(self, cloud: StockCloud, queues: list[str]) -> None:
        self.cloud = cloud
        self.queues = queues
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="stock-results")
        self._ready = threading.Event()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(5)

    def _run(self) -> None:
        connection = _connect(self.cloud.upload_vhost)
        channel = connection.channel()
        for queue in self.queues:
            channel.basic_consume(queue, self._callback_for(queue), auto_ack=True)
        self._ready.set()
        while not self._stopped.is_set():
            connection.process_data_events(time_limit=0.2)
        connection.close()

    def _callback_for(self, queue: str) -> Callable[..., None]:
        def callback(_channel: Any, _method: Any, properties: Any, body: bytes) -> None:
            try:
                parsed: Any = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                parsed = body
            props = {"content_type": properties.content_type, "user_id": properties.user_id}
            self.cloud.record_result(Result(time.time(), f"mq:{queue}", parsed, props))
        return callback


# ---------------------------------------------------------------- HTTP side


def _handler_for(cloud: StockCloud) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def _handle(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
            hit = Hit(time.time(), self.command, parsed.path, query,
                      {k.lower(): v for k, v in self.headers.items()}, body)
            status, payload, content_type = _route(cloud, hit)
            hit.status = status
            cloud.record_hit(hit)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the box gave up waiting (a stalled endpoint, a 0.5 s realtime POST)

    return Handler


_JSON = "application/json"


def _error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def _route(cloud: StockCloud, hit: Hit) -> tuple[int, Any, str]:
    path = hit.path
    if path in (LOGIN_PATH, LOGIN_NOTIFY_PATH):
        return _login(cloud, hit, with_upload_queue=path == LOGIN_PATH)
    if path == DETAILS_PATH:
        return _details(cloud, hit)
    if path == DETAILS_NONJSON_PATH:  # upstream 01 §3: 50074 is "remote data bad"
        return 200, b"<html><body>maintenance</body></html>", "text/html"
    if path == DETAILS_STALL_PATH:
        time.sleep(cloud.stall_seconds)
        return _details(cloud, hit)
    if path.startswith(IMG_PREFIX + "/") or path.startswith(FILES_PREFIX + "/"):
        if path in cloud.files:
            data, content_type = cloud.files[path]
            return 200, data, content_type
        return 404, _error(40400, "no such file", "NOT_FOUND"), _JSON
    if path == NOTIFY_PATH:
        cloud.record_result(Result(hit.at, "http", hit.json))
        return 200, {"code": 0, "message": "ok"}, _JSON
    if path in RECORD_PATHS or path == LOCAL_HISTORY_PATH:
        if cloud.refuse_records:
            return 503, _error(50072, "busy", "SERVER_PROCESS_FAILED"), _JSON
        return 200, {"code": 0, "message": "ok"}, _JSON
    if path == DEVICE_INFO_PATH:  # upstream 01 §7.2 reply
        return 200, {"status": 0, "message": "成功", "data": None}, _JSON
    if path in (DEVICE_MONITOR_PATH, LOCAL_MONITOR_PATH, LOCAL_REALTIME_PATH):
        return 200, {"code": 0, "message": "ok"}, _JSON
    return 404, _error(40400, "not found", "NOT_FOUND"), _JSON


def _login(cloud: StockCloud, hit: Hit, with_upload_queue: bool) -> tuple[int, Any, str]:
    dev_sno = hit.query.get("dev_sno", "")
    if dev_sno not in cloud.boxes or not hit.query.get("hex_mac"):
        return 401, _error(40003, "unknown dev_sno", "PARAM_ERROR"), _JSON
    return 200, cloud.login_reply(dev_sno, with_upload_queue), _JSON


def _details(cloud: StockCloud, hit: Hit) -> tuple[int, Any, str]:
    """Upstream 01 §6.1: token and dev_sno in the query, {"userid_list": [...]} in the body."""
    box = cloud.boxes.get(hit.query.get("dev_sno", ""))
    if box is None or hit.query.get("token") not in box["tokens"][-1:]:
        return 401, _error(40003, "未授权", "PARAM_ERROR"), _JSON
    body = hit.json
    ids = body.get("userid_list") if isinstance(body, dict) else None
    if not isinstance(ids, list):
        return 400, _error(40071, "userid_list required", "PARAM_ERROR"), _JSON
    users = [cloud.people[i] for i in ids if i in cloud.people]
    return 200, {"data": {"user_list": users}}, _JSON
