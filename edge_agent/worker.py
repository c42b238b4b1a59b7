"""Commands run on a worker thread, never inside pika's callback.

pika's BlockingConnection sends heartbeats only while its own thread pumps the
connection. A command held up for minutes in the callback (a slow details fetch, a
large enrolment) let the broker declare the box dead, close the connection and
redeliver the command, which was then answered twice. Now the connection thread only
hands deliveries over and keeps pumping; the worker runs them one at a time, in
arrival order, and once the result is committed asks the connection thread to ack
(`add_callback_threadsafe`), so an ack still never precedes the commit.

A delivery whose connection closed before its turn is skipped: it was never acked, so
the broker hands it out again on the next connection.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pika

from .platform import Session

logger = logging.getLogger("edge_agent.worker")


@dataclass(frozen=True)
class Delivery:
    connection: pika.BlockingConnection
    channel: object  # pika's BlockingChannel
    delivery_tag: int
    body: bytes
    session: Session


class CommandWorker:
    def __init__(self, handle: Callable[[bytes, Session], None], stopping: threading.Event) -> None:
        """`handle(body, session)` processes one command and commits its result."""
        self.handle = handle
        self.stopping = stopping
        self.deliveries: queue.Queue[Delivery] = queue.Queue()
        self.current: Delivery | None = None

    def submit(self, delivery: Delivery) -> None:
        self.deliveries.put(delivery)

    def busy_with(self, connection: pika.BlockingConnection) -> bool:
        """A command of this connection is running now (its ack is still to come)."""
        current = self.current
        return current is not None and current.connection is connection

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                delivery = self.deliveries.get(timeout=0.5)
            except queue.Empty:
                continue
            if not delivery.connection.is_open:
                continue
            self.current = delivery
            try:
                self.handle(delivery.body, delivery.session)
            except Exception:  # e.g. the local store failing: leave it unacked, it comes back
                logger.exception("command not processed; the broker will deliver it again")
            else:
                self._ack(delivery)
            finally:
                self.current = None

    @staticmethod
    def _ack(delivery: Delivery) -> None:
        def ack() -> None:
            if delivery.channel.is_open:
                delivery.channel.basic_ack(delivery.delivery_tag)

        try:
            delivery.connection.add_callback_threadsafe(ack)
        except pika.exceptions.ConnectionWrongStateError:
            # Closed under us: the broker redelivers, and the stored result is answered again.
            logger.info("connection closed before the ack; the command will be answered again")
