"""Publishing commands to boxes: persistent messages, publisher confirms, mandatory routing."""
from __future__ import annotations

import json
import logging
import threading

import pika
from django.conf import settings

from cloudplatform.amqp import connection_parameters
from devices.models import Box

logger = logging.getLogger(__name__)


class CommandPublisher:
    """One connection per process, reopened after any failure."""

    def __init__(self, url: str | None = None, vhost: str | None = None) -> None:
        # BROKER_URL's account, in the box vhost whatever vhost BROKER_URL itself names (Celery's).
        self.parameters = connection_parameters(vhost or settings.BOX_VHOST, url=url, heartbeat=60)
        self._connection: pika.BlockingConnection | None = None
        self._channel = None
        self._lock = threading.Lock()

    def _ensure_channel(self):
        if self._connection is None or self._connection.is_closed or self._channel is None or self._channel.is_closed:
            self.close()
            self._connection = pika.BlockingConnection(self.parameters)
            self._channel = self._connection.channel()
            self._channel.confirm_delivery()
        return self._channel

    def publish(self, box: Box, payload: dict) -> None:
        """Returns once the broker has the message on disk in the box's queue; raises otherwise
        (pika.exceptions.UnroutableError when the queue is missing, AMQPError on broker trouble)."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        properties = pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent,
            content_type="application/json",
            message_id=payload.get("messageId"),
        )
        if payload.get("method") == "fiqa":  # quality checks have a queue of their own (fiqaDownQueue)
            exchange, routing_key = "", box.fiqa_queue_name
        else:
            exchange, routing_key = box.exchange_name, box.queue_name
        with self._lock:
            # A kept connection may have died with a broker restart: reconnect once, then give up.
            for attempt in (1, 2):
                reused = self._connection is not None
                try:
                    self._ensure_channel().basic_publish(exchange, routing_key, body, properties, mandatory=True)
                    return
                except (pika.exceptions.StreamLostError, pika.exceptions.ConnectionClosed,
                        pika.exceptions.ChannelClosed) as exc:
                    self.close()
                    if attempt == 2 or not reused:
                        raise
                    logger.info("publisher connection lost (%s); reconnecting", exc)
                except pika.exceptions.AMQPError:
                    self.close()
                    raise

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except pika.exceptions.AMQPError:
                pass


_publisher: CommandPublisher | None = None


def publisher() -> CommandPublisher:
    global _publisher
    if _publisher is None:
        _publisher = CommandPublisher()
    return _publisher
