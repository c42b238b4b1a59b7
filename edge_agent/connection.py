"""Logging in and holding the broker connection (upstream 01 §4, §5; CONTRACT.md §2–3).

One thread: log in over HTTP, open the command queue (and FIQA's), and pump the connection
so its heartbeats flow; deliveries are only handed to the command worker (edge_agent/worker.py).
A failure (login refused, platform or broker away) is retried with back-off
(edge_agent/backoff.py); a change of dev_sno or login URL (Identity.configure) logs in again.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import pika
import requests

from aibox_contract.urls import root_of

from . import backoff
from .config import Identity
from .platform import LoginRefused, PlatformClient, Session
from .worker import CommandWorker, Delivery

logger = logging.getLogger("edge_agent")


@dataclass
class Health:
    login: str = "not configured"
    broker: str = "disconnected"
    last_error: str = ""
    last_login_at: float | None = None
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


def broker_parameters(mq: dict, vhost: str, heartbeat, **options) -> pika.ConnectionParameters:
    """Connection parameters for the login's `rabbitmq` block, on `vhost`."""
    return pika.ConnectionParameters(
        host=mq["host"], port=int(mq["port"]), virtual_host=vhost, heartbeat=heartbeat, connection_attempts=1,
        credentials=pika.PlainCredentials(mq["login"], mq["password"]), **options,
    )


class Connection:
    """The login session and the command connection; `session` is None until the first login."""

    def __init__(self, identity: Identity, platform: PlatformClient, worker: CommandWorker, health: Health,
                 stopping: threading.Event, heartbeat: int = 60) -> None:
        self.identity = identity
        self.platform = platform
        self.worker = worker
        self.health = health
        self.stopping = stopping
        self.heartbeat = heartbeat
        self.session: Session | None = None

    def current_session(self) -> Session | None:
        return self.session

    def run(self) -> None:
        failures = 0
        relogin = self.identity.relogin
        while not self.stopping.is_set():
            if not (self.identity.dev_sno and self.identity.login_url):
                self.health.login = "not configured"
                relogin.wait(1.0)
                relogin.clear()
                continue
            try:
                self._login()
                failures = 0
                self._consume()
            except LoginRefused as exc:
                failures = self._failed(failures, f"login refused: {exc}")
            except (requests.RequestException, ValueError) as exc:
                failures = self._failed(failures, f"platform unreachable: {exc}")
            except pika.exceptions.ProbableAuthenticationError as exc:
                failures = self._failed(failures, f"broker refused the credentials; logging in again: {exc}")
            except pika.exceptions.AMQPError as exc:
                failures = self._failed(failures, f"broker connection lost: {exc!r}")
            if failures and not self.stopping.is_set():
                relogin.wait(backoff.LOGIN.delay(failures))
            relogin.clear()

    def _failed(self, failures: int, message: str) -> int:
        logger.warning(message)
        self.health.last_error = message
        self.health.broker = "disconnected"
        return failures + 1

    def _login(self) -> None:
        self.health.login = "logging in"
        dev_sno, login_url = self.identity.dev_sno, self.identity.login_url
        reply = self.platform.login(login_url, dev_sno, self.identity.mac)
        self.session = Session(dev_sno, login_url, reply["token"], reply)
        self.health.login = "logged in"
        self.health.last_login_at = time.time()
        logger.info("logged in to %s as %s", root_of(login_url), dev_sno)

    def _consume(self) -> None:
        mq = self.session.reply["rabbitmq"]
        connection = pika.BlockingConnection(
            broker_parameters(mq, mq.get("vHost") or "/", heartbeat_negotiation(self.heartbeat),
                              blocked_connection_timeout=60))
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
            while not (self.stopping.is_set() or self.identity.relogin.is_set()):
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
