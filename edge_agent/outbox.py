"""Results and reports, committed before they are sent and retried until delivered.

A command's result is committed to the store's outbox together with its delivery
(`CommandResults.handle`), so a crash at any point leads to redelivery and a repeated
answer, never a lost or doubled effect. The outbox thread (`Outbox.run`) sends what is
due: to the login's upload queue (publisher confirms), to a notify_path over HTTP, or a
report to an address the login gives (deviceInfoAddr); a failure waits with back-off
(edge_agent/backoff.py) in the store.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import pika
import requests

from aibox_contract.urls import resolve, with_auth

from . import backoff
from .commands import CommandProcessor
from .connection import Health, broker_parameters
from .platform import PlatformClient, Session
from .recognition import Device
from .store import Store

logger = logging.getLogger("edge_agent")
SessionSource = Callable[[], Session | None]


def result_channel(method: str, extend: dict, session: Session) -> str | None:
    """Where the result goes (CONTRACT.md §3): the upload queue, else notify_path, else nowhere."""
    mq = session.reply["rabbitmq"]
    queue = mq.get("fiqaUploadQueue") if method == "fiqa" and mq.get("fiqaUploadQueue") else mq.get("uploadQueue")
    if queue:
        return "mq:" + json.dumps([mq.get("uploadVHost") or "/", queue])
    if extend.get("notify_path"):
        return "http:" + resolve(extend["notify_path"], session.login_url)
    return None


class CommandResults:
    """One command on the worker thread: apply it, commit the result with its delivery."""

    def __init__(self, processor: CommandProcessor, store: Store, health: Health) -> None:
        self.processor = processor
        self.store = store
        self.health = health

    def handle(self, body: bytes, session: Session) -> None:
        outcome = self.processor.process(body, session)
        self.store.finish(outcome.message_id, outcome.method, outcome.result,
                          result_channel(outcome.method, outcome.extend_params, session))
        self.health.commands_handled += 1
        logger.info("%s %s: %s", outcome.method, outcome.message_id or "-", outcome.result.get("message"))


class DeviceReports:
    """The operate event of upstream §7.2 (1 added, 2 removed), queued for deviceInfoAddr."""

    def __init__(self, store: Store, dev_sno: Callable[[], str]) -> None:
        self.store = store
        self.dev_sno = dev_sno

    def report(self, action_type: int, device: Device, status: str) -> None:
        """Typed as upstream's table says: epType and epStatus ("1" online, "2" offline, "3" unknown)
        strings, direction an int, isMonitor a bool, lastMonitorTime in seconds."""
        dev_sno = self.dev_sno()
        body = {"actionType": action_type, "deviceInfo": {
            "epId": device.ep_id(dev_sno), "devSno": dev_sno, "direction": device.direction,
            "epType": str(device.ep_type), "memo": "", "epName": device.name, "epIp": device.ip,
            "epStatus": {"online": "1", "offline": "2"}.get(status, "3"), "epVersion": "",
            "epGroupName": device.location, "epStreamUrl": device.stream_url, "lastMonitorTime": int(time.time()),
            "isMonitor": True, "privilegeGroupKey": ""}}
        self.store.enqueue("report:deviceInfoAddr", body)


class Outbox:
    def __init__(self, store: Store, platform: PlatformClient, session: SessionSource,
                 stopping: threading.Event) -> None:
        self.store = store
        self.platform = platform
        self.session = session
        self.stopping = stopping

    def run(self) -> None:
        publisher = ResultPublisher(self.session)
        while not self.stopping.wait(0.3):
            for entry_id, channel, body, attempts in self.store.due():
                try:
                    self._deliver(publisher, channel, body)
                    self.store.delivered(entry_id)
                except (pika.exceptions.AMQPError, requests.RequestException, OSError) as exc:
                    logger.warning("result not delivered yet (%s); will retry", exc)
                    self.store.retry_later(entry_id, attempts + 1, backoff.OUTBOX.delay(attempts + 1), str(exc))
                    publisher.close()
                    break
        publisher.close()

    def _deliver(self, publisher: ResultPublisher, channel: str, body: str) -> None:
        if channel.startswith("mq:"):
            vhost, queue = json.loads(channel[3:])
            publisher.publish(vhost, queue, body)
        elif channel.startswith("report:"):
            self._deliver_report(channel[7:], json.loads(body))
        else:
            url = channel[5:]
            session = self.session()
            if session:
                url = with_auth(url, session.dev_sno, session.token)
            self.platform.post_json(url, json.loads(body))

    def _deliver_report(self, address_field: str, body: dict) -> None:
        """A report to an address the login gives (deviceInfoAddr): waits in the outbox until logged in."""
        session = self.session()
        if session is None:
            raise requests.ConnectionError("not logged in yet")
        address = session.reply.get(address_field)
        if not address:
            return  # this platform does not want these reports
        self.platform.post_json(session.platform_url(address), body)


class ResultPublisher:
    """The outbox's connection to the upload vhost, with publisher confirms; reopened after failures."""

    def __init__(self, session: SessionSource) -> None:
        self.session = session
        self.connection: pika.BlockingConnection | None = None
        self.channel = None
        self.vhost = ""

    def publish(self, vhost: str, queue: str, body: str) -> None:
        if self.connection is None or self.connection.is_closed or vhost != self.vhost:
            self.close()
            session = self.session()
            if session is None:
                raise pika.exceptions.AMQPConnectionError("not logged in yet")
            self.connection = pika.BlockingConnection(broker_parameters(session.reply["rabbitmq"], vhost, 30))
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
