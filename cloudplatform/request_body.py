"""The whole request body read on the event loop before a thread is given to the request.

As Django's own ASGI handler does: a box on a slow link holds no web thread while it uploads a
batch of pictures (the threads are a fixed pool, cloudplatform/asgi.py); the body is kept in
memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, beyond that in a temporary file, so a batch of
hundreds of MiB is read back in chunks (intake parses it as a stream); and a body sent without
Content-Length (chunked) gets one, which Django's WSGI request needs to read it at all."""
from __future__ import annotations

import tempfile

from django.conf import settings

CHUNK = 64 * 1024


class SpooledBody:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b")
        try:
            size = await _read_all(receive, body)
            if size is None:
                return  # the client went away before it finished sending
            body.seek(0)
            await self.app(_with_length(scope, size), _replay(body), send)
        finally:
            body.close()


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


def _with_length(scope: dict, size: int) -> dict:
    framing = (b"content-length", b"transfer-encoding")
    headers = [(name, value) for name, value in scope["headers"] if name not in framing]
    return {**scope, "headers": [*headers, (b"content-length", str(size).encode())]}


def _replay(body):
    async def receive() -> dict:
        chunk = body.read(CHUNK)
        return {"type": "http.request", "body": chunk, "more_body": len(chunk) == CHUNK}

    return receive
