"""Live console updates: one Channels group that every open console page listens to.

Messages are small JSON objects with a `kind` ("event", "box", ...) and the `site` (root area
id) of the box they are about, None for a box in no area or for no box: each page's socket
passes on only what its operator sees (events/consumers.py), so a site manager never hears of
another site's boxes, not even live. They go out after the transaction that caused them
commits, so a page never shows what was rolled back.

They are made in every process: the web (events, status reports), the Celery worker
(commands), beat (boxes turning offline) and the results consumer (enrolments). With
REDIS_URL the channel layer spans all of them. Without it (`make run`'s default) each
process would only reach its own in-memory layer, and pages, which live in the web
process, would never hear the others. So then every update goes through RabbitMQ, which
is always there: a fanout exchange in Celery's vhost, and in each web process a relay
thread that hands what arrives to that process's pages.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading

import pika
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from cloudplatform.amqp import celery_vhost, connection_parameters

CONSOLE_GROUP = "console"
LIVE_EXCHANGE = "aibox.console.live"
logger = logging.getLogger(__name__)


def publish(kind: str, payload: dict, *, site: int | None) -> None:
    """Send to the console pages that see `site` once the current transaction commits."""
    transaction.on_commit(lambda: _send({"kind": kind, "site": site, **payload}))


def publish_fragments(fragments: dict[str, str], translated: dict[str, dict[str, str]] | None = None, *,
                      site: int | None) -> None:
    """Replace the HTML of every `[data-live="<key>"]` element on open pages with `fragments[key]`
    (server-rendered badges: a page shows the same words live as on reload); a page in another
    language takes `translated[<its language>][key]` instead."""
    if fragments:
        publish("fragments", {"fragments": fragments, "translated": translated or {}}, site=site)


def _send(message: dict) -> None:
    try:
        if spans_processes():
            _group_send(message)
        else:
            _publisher.send(message)
    except Exception:  # a live view is a convenience: never fail a box's request over it
        logger.exception("live update not sent")


def spans_processes() -> bool:
    """True when the channel layer itself reaches every process (Redis)."""
    return bool(settings.REDIS_URL)


def _group_send(message: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(CONSOLE_GROUP, {"type": "console.update", "message": message})


class _Publisher:
    """One connection per process, opened on first use and again after a failure."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.channel = None

    def send(self, message: dict) -> None:
        body = json.dumps(message, default=str).encode()
        with self.lock:
            for attempt in (1, 2):
                try:
                    if self.channel is None or self.channel.is_closed:
                        self.channel = self._open()
                    self.channel.basic_publish(LIVE_EXCHANGE, "", body)
                    return
                except pika.exceptions.AMQPError:
                    self.channel = None
                    if attempt == 2:
                        raise

    @staticmethod
    def _open():
        connection = pika.BlockingConnection(connection_parameters(celery_vhost(), heartbeat=0))
        channel = connection.channel()
        channel.exchange_declare(LIVE_EXCHANGE, "fanout", durable=False)
        return channel


_publisher = _Publisher()


class _Relay:
    """In a web process without Redis: the thread that hands updates from RabbitMQ to the
    pages of this process, on the event loop serving them (the latest page's loop)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.listening = threading.Event()

    def ensure(self, loop: asyncio.AbstractEventLoop) -> threading.Event:
        """Started once per process; set when its queue is bound (nothing sent after is missed)."""
        self.loop = loop
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._forever, name="live-relay", daemon=True)
                self.thread.start()
        return self.listening

    def _forever(self) -> None:
        layer = get_channel_layer()
        while True:
            try:
                connection = pika.BlockingConnection(connection_parameters(celery_vhost()))
                channel = connection.channel()
                channel.exchange_declare(LIVE_EXCHANGE, "fanout", durable=False)
                queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
                channel.queue_bind(queue, LIVE_EXCHANGE)
                self.listening.set()
                for _method, _properties, body in channel.consume(queue, auto_ack=True):
                    self._hand_over(layer, json.loads(body))
            except Exception:  # the broker went away: pages miss updates until it is back
                self.listening.clear()
                logger.warning("live relay lost the broker; reconnecting", exc_info=True)
                threading.Event().wait(2)


    def _hand_over(self, layer, message: dict) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return  # no page is served any more; the next one to connect brings its loop
        update = {"type": "console.update", "message": message}
        asyncio.run_coroutine_threadsafe(layer.group_send(CONSOLE_GROUP, update), loop)


_relay = _Relay()


async def ensure_relay(loop: asyncio.AbstractEventLoop, wait: float = 5) -> None:
    """Called when a page connects: make sure other processes' updates reach this process."""
    if not spans_processes():
        listening = _relay.ensure(loop)
        await asyncio.to_thread(listening.wait, wait)
