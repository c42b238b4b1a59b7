"""HTTP for the ASGI server: Django's WSGI handler on a fixed pool of threads, the request's
body read first on the event loop.

- The body is read whole before a thread is given to the request, as Django's own ASGI handler
  does: a box on a slow link holds no web thread while it uploads a batch of pictures. It is
  kept in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, beyond that in a temporary file that the
  view reads as its stream (intake parses hundreds of MiB event by event); a body sent without
  Content-Length (chunked) gets one.
- A response is collected in its thread and sent by the event loop in one go when it is small
  (every box call but a big download); a larger one streams, each chunk handed to the loop.
  The thread never waits for the loop in between: with the interpreter lock shared by the
  loop and the busy threads, each such wait cost up to a switch interval (5 ms) per request.
- A kept-alive connection is closed after WEB_KEEPALIVE_REQUESTS requests (`Connection: close`
  on the last answer), as Apache and nginx do: the web processes share one listening socket
  and a new connection goes to whichever accepts it first, so a few long-lived connections (a
  proxy's, a fleet's pool) stay where they first landed however busy that process becomes.
  bench/fleet.py saw its 64 pooled connections all on one of two processes (99 % and 0 % of a
  core), and each run's split decided its latency; closed now and then, they spread again.
- With SERVER_TIMING on, a buffered response says where its time went on the platform
  (`Server-Timing: wait;dur=…, app;dur=…, cpu;dur=…, write;dur=…, loop;dur=…`, milliseconds):
  waiting for a thread, then in Django, then waiting for the event loop to send it. Of the time
  in Django, `cpu` is the request thread's own CPU and `write` its wait for the grouped writes'
  thread (which does the request's writes on its own CPU); the rest is waiting for the
  interpreter lock, the database, or what runs after the commit in the request's thread (a
  publication to the broker). A client's own latency minus these is the network and the client
  itself (bench/fleet.py prints them).
"""
from __future__ import annotations

import asyncio
import contextvars
import sys
import tempfile
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from cloudplatform import grouped_writes

BUFFERED_RESPONSE = 256 * 1024
CONNECTIONS_TRACKED = 4096  # requests counted for this many connections at most (oldest forgotten)


class WSGIOnThreads:
    """An ASGI HTTP application running `app` (WSGI) on `threads` threads."""

    def __init__(self, app, threads: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="web")
        # (client address, port) -> requests answered on that connection; only the event loop touches it
        self.requests_by_connection: OrderedDict[tuple, int] = OrderedDict()

    async def __call__(self, scope, receive, send) -> None:
        body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b")
        try:
            size = await _read_all(receive, body)
            if size is None:
                return  # the client went away before it finished sending
            body.seek(0)
            loop = asyncio.get_running_loop()
            response = _Response(loop, send, timed=settings.SERVER_TIMING, closing=self._is_connections_last(scope))
            run = contextvars.copy_context().run
            await loop.run_in_executor(self.executor, run, response.produce, self.app, environ(scope, body, size))
            await response.finish()
        finally:
            body.close()

    def _is_connections_last(self, scope: dict) -> bool:
        """Whether this request is the last its connection may make (WEB_KEEPALIVE_REQUESTS).
        A connection is known by its client's address and port; when a trusted proxy's
        X-Forwarded-For replaced them (port 0: uvicorn's proxy headers), it is not known and
        not counted, nor is one that closes after this request anyway."""
        limit, client = settings.WEB_KEEPALIVE_REQUESTS, scope.get("client")
        if limit <= 0 or not client or not client[1] or _closes_anyway(scope):
            return False
        counts = self.requests_by_connection
        answered = counts.pop(tuple(client), 0) + 1
        if answered >= limit:
            return True
        counts[tuple(client)] = answered  # at the end: the most recently used
        if len(counts) > CONNECTIONS_TRACKED:
            counts.popitem(last=False)  # most likely a connection long closed
        return False


def _closes_anyway(scope: dict) -> bool:
    """HTTP/1.0 (no keep-alive unless asked) or a request that says Connection: close."""
    if scope.get("http_version") == "1.0":
        return True
    return any(name == b"connection" and b"close" in value.lower() for name, value in scope.get("headers", ()))


async def _read_all(receive, body) -> int | None:
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        body.write(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return size


def environ(scope: dict, body, size: int) -> dict:
    """PEP 3333's environ for an ASGI HTTP scope whose body is `body` (`size` bytes)."""
    server, port = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    root = scope.get("root_path", "")
    path = scope["path"][len(root):] if scope["path"].startswith(root) else scope["path"]
    values = {
        "REQUEST_METHOD": scope["method"], "SCRIPT_NAME": root.encode().decode("latin1"),
        "PATH_INFO": path.encode().decode("latin1"), "QUERY_STRING": scope["query_string"].decode("latin1"),
        "SERVER_NAME": server, "SERVER_PORT": str(port or 0), "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "REMOTE_ADDR": client[0], "REMOTE_PORT": str(client[1]), "CONTENT_LENGTH": str(size),
        "wsgi.version": (1, 0), "wsgi.url_scheme": scope.get("scheme", "http"), "wsgi.input": body,
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin1").upper().replace("-", "_")
        if name in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue  # the body is read whole: its length is known
        key = name if name == "CONTENT_TYPE" else f"HTTP_{name}"
        value = raw_value.decode("latin1")
        values[key] = f"{values[key]},{value}" if key in values else value
    return values


class _Response:
    def __init__(self, loop: asyncio.AbstractEventLoop, send, timed: bool = False, closing: bool = False) -> None:
        self.loop, self.send = loop, send
        self.closing = closing  # the connection's last answer: says Connection: close
        # perf_counter() when handed to the pool, when a thread took it, when Django was done
        self.times = [time.perf_counter()] if timed else []
        # seconds in Django: the thread's CPU, and its wait for the grouped writes' thread
        self.cpu = self.write_wait = 0.0
        self.start: dict | None = None
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.streaming = False

    def produce(self, app, environ: dict) -> None:
        """In a web thread: the whole response, kept unless it grows large."""
        if self.times:
            self.times.append(time.perf_counter())
            cpu_started = time.thread_time()
            grouped_writes.seconds_waited(reset=True)
        iterable = app(environ, self.start_response)
        try:
            for chunk in iterable:
                self.write(chunk)
        finally:
            getattr(iterable, "close", lambda: None)()  # Django's request_finished, in this thread
        if self.times:
            self.times.append(time.perf_counter())
            self.cpu = time.thread_time() - cpu_started
            self.write_wait = grouped_writes.seconds_waited()

    def start_response(self, status: str, headers: list, exc_info=None):
        if exc_info is not None and self.streaming:
            raise exc_info[1].with_traceback(exc_info[2])
        self.start = {"type": "http.response.start", "status": int(status.split(" ", 1)[0]),
                      "headers": [(name.lower().encode("latin1"), value.encode("latin1")) for name, value in headers]}
        if self.closing:
            self.start["headers"].append((b"connection", b"close"))  # the server closes it after this answer
        return self.write

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.streaming:
            self._hand_over({"type": "http.response.body", "body": chunk, "more_body": True})
            return
        self.chunks.append(chunk)
        self.buffered += len(chunk)
        if self.buffered > BUFFERED_RESPONSE:
            self.streaming = True
            self._hand_over(self.start)
            self._hand_over({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": True})
            self.chunks = []

    def _hand_over(self, message: dict) -> None:
        asyncio.run_coroutine_threadsafe(self.send(message), self.loop).result()

    async def finish(self) -> None:
        if not self.streaming:
            if len(self.times) == 3:
                queued, started, done = self.times
                timing = (f"wait;dur={(started - queued) * 1000:.1f}, app;dur={(done - started) * 1000:.1f}, "
                          f"cpu;dur={self.cpu * 1000:.1f}, write;dur={self.write_wait * 1000:.1f}, "
                          f"loop;dur={(time.perf_counter() - done) * 1000:.1f}")
                self.start["headers"].append((b"server-timing", timing.encode("latin1")))
            await self.send(self.start)
            await self.send({"type": "http.response.body", "body": b"".join(self.chunks), "more_body": False})
        else:
            await self.send({"type": "http.response.body", "body": b"", "more_body": False})
