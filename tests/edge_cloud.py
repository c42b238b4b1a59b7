"""A cloud written from the upstream documents only, for driving the real edge agent.

It answers the box's login (upstream 01 §4) with the real broker (guest on vhost "/",
queues named for the test), serves whatever the test routes (details §6.1, photos, report
addresses), records every request, publishes commands (§5) and reads the results from the
upload queue (§5.4). Nothing from the platform is imported: this is how a third party's
cloud sees the agent.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pika

BROKER = {"host": "127.0.0.1", "port": 5672, "login": "guest", "password": "guest"}


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    body: bytes
    headers: dict[str, str]

    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict | list | str = b""
    content_type: str = "application/json"
    delay: float = 0.0

    def encoded(self) -> bytes:
        if isinstance(self.body, dict | list):
            return json.dumps(self.body).encode()
        return self.body.encode() if isinstance(self.body, str) else self.body


Handler = Callable[[Seen], Reply]


@dataclass
class StockCloud:
    token: str = "token-1"
    login_extra: dict = field(default_factory=dict)
    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        name = f"edge-test-{uuid.uuid4().hex[:10]}"
        self.queue, self.upload_queue, self.fiqa_queue = name, name + "-up", name + "-fiqa"
        cloud = self

        class Handle(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, parts.path, parse_qs(parts.query), parts.query, self.rfile.read(length),
                            dict(self.headers))
                cloud.seen.append(seen)
                handler = cloud.routes.get(parts.path)
                reply = handler(seen) if handler else Reply(404, {"error": {"code": 40400, "message": "no route",
                                                                            "status": "NOT_FOUND"}})
                time.sleep(reply.delay)
                data = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.routes.setdefault("/login", self._login)
        with self._connect() as connection:
            channel = connection.channel()
            for queue in (self.queue, self.upload_queue, self.fiqa_queue):
                channel.queue_declare(queue)

    # --- HTTP --------------------------------------------------------------------
    def _login(self, seen: Seen) -> Reply:
        rabbitmq = {**BROKER, "queue": self.queue, "vHost": "/", "uploadVHost": "/", "uploadQueue": self.upload_queue,
                    "unNeedBindExchange": True,
                    "exchange": {"name": "", "type": "direct", "passive": False, "durable": True,
                                 "auto_delete": False, "arguments": None}}
        return Reply(body={"token": self.token, "rabbitmq": rabbitmq, **self.login_extra})

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    # --- broker ------------------------------------------------------------------
    @staticmethod
    def _connect() -> pika.BlockingConnection:
        return pika.BlockingConnection(pika.ConnectionParameters(
            BROKER["host"], BROKER["port"], "/", pika.PlainCredentials(BROKER["login"], BROKER["password"]),
            connection_attempts=1))

    def publish(self, command: dict, queue: str | None = None) -> None:
        with self._connect() as connection:
            connection.channel().basic_publish("", queue or self.queue, json.dumps(command).encode(),
                                               pika.BasicProperties(delivery_mode=2))

    def results(self, count: int = 1, timeout: float = 60.0, queue: str | None = None) -> list[dict]:
        """Wait for `count` results on the upload queue (fewer if the time runs out)."""
        found, deadline = [], time.monotonic() + timeout
        with self._connect() as connection:
            channel = connection.channel()
            while len(found) < count and time.monotonic() < deadline:
                method, _, body = channel.basic_get(queue or self.upload_queue, auto_ack=True)
                if method is None:
                    time.sleep(0.1)
                    continue
                found.append(json.loads(body))
        return found

    def waiting(self, queue: str) -> int:
        with self._connect() as connection:
            return connection.channel().queue_declare(queue, passive=True).method.message_count

    def close(self) -> None:
        self.server.shutdown()
        with self._connect() as connection:
            channel = connection.channel()
            for queue in (self.queue, self.upload_queue, self.fiqa_queue):
                channel.queue_delete(queue)


def wait_until(condition, timeout: float = 30.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")
