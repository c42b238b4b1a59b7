"""A protocol-level box for tests: logs in, reads its queue, fetches details and photos, answers.

It calls a command's `path` and `notify_path` as upstream §6.1 has a box do: with its current
dev_sno and token appended; photos are `imgServerAddr + relative_pic_url` (upstream §4).
"""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pika
from django.conf import settings
from django.test import Client

from .broker import amqp_connect, platform_connect


class FakeBox:
    def __init__(self, client: Client, dev_sno: str, hex_mac: str = "0x0a0b0c0d0e0f") -> None:
        self.client = client
        self.dev_sno = dev_sno
        self.login = client.get("/box/login", {"dev_sno": dev_sno, "hex_mac": hex_mac}).json()
        self.mq = self.login["rabbitmq"]
        self.token = self.login["token"]

    def signed(self, url: str) -> str:
        """The URL with this box's current dev_sno and token appended (upstream §6.1)."""
        return url + ("&" if "?" in url else "?") + urlencode({"dev_sno": self.dev_sno, "token": self.token})

    def receive(self, timeout: float = 5.0) -> dict | None:
        """The next command in the box's queue, acked."""
        with amqp_connect(self.mq) as connection:
            channel = connection.channel()
            for method, _, body in channel.consume(self.mq["queue"], inactivity_timeout=timeout):
                if method is None:
                    return None
                channel.basic_ack(method.delivery_tag)
                channel.cancel()
                return json.loads(body)
        return None

    def receive_all(self, timeout: float = 1.0) -> list[dict]:
        commands = []
        while (command := self.receive(timeout)) is not None:
            commands.append(command)
        return commands

    def details(self, command: dict) -> list[dict]:
        response = self.client.post(self.signed(command["extend_params"]["path"]),
                                    {"userid_list": command["userid_list"]}, content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()["data"]["user_list"]

    def photo(self, relative_url: str):
        """GET imgServerAddr + relative_pic_url, the URL as upstream §4 composes it."""
        return self.client.get(self.login["imgServerAddr"] + relative_url)

    def result(self, command: dict, success: list[str] = (), failed: dict[str, tuple[int, str]] | None = None) -> dict:
        failed = failed or {}
        return {
            "success": not failed,
            "code": 0 if not failed else 40004,
            "message": "done",
            "dev_sno": self.dev_sno,
            "messageKey": command["method"],
            "messageId": command["messageId"],
            "result": {
                "success_users": [{"userid": i, "username": "", "code": 0, "message": "ok"} for i in success],
                "failed_users": [
                    {"userid": i, "username": "", "code": c, "message": m} for i, (c, m) in failed.items()
                ],
            },
        }

    def answer_mq(self, result: dict) -> None:
        with amqp_connect(self.mq, vhost_key="uploadVHost") as connection:
            channel = connection.channel()
            channel.confirm_delivery()
            channel.basic_publish("", self.mq["uploadQueue"], json.dumps(result).encode(),
                                  pika.BasicProperties(delivery_mode=2), mandatory=True)

    def answer_http(self, command: dict, result: dict):
        return self.client.post(self.signed(command["extend_params"]["notify_path"]), json.dumps(result),
                                content_type="application/json")


def drain_results() -> int:
    """Feed what is in the upload queues through the results consumer's own message handler."""
    from distribution.management.commands.consume_results import Command

    count = 0
    with platform_connect(settings.BOX_UPLOAD_VHOST) as connection:
        channel = connection.channel()
        for queue in (settings.BOX_UPLOAD_QUEUE, settings.BOX_FIQA_UPLOAD_QUEUE):
            burst = []
            for _ in range(50):  # bounded: a result the handler keeps returning to the queue fails the test
                method, _properties, body = channel.basic_get(queue)
                if method is None:
                    break
                burst.append((method.delivery_tag, body))
            if burst:
                Command().store(channel, burst)
            count += len(burst)
    return count
