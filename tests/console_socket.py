"""An administrator's open console page, as the tests see it: the WebSocket its live updates
arrive on (/ws/console/), opened with the page's session cookie and origin."""
from __future__ import annotations

import json
import time

from websockets.sync.client import connect


class ConsoleSocket:
    def __init__(self, base_url: str, cookie: str) -> None:
        self.http = None
        self.socket = connect(base_url.replace("http", "ws", 1) + "/ws/console/", origin=base_url,
                              additional_headers={"Cookie": cookie}, open_timeout=10).__enter__()

    @classmethod
    def for_user(cls, server, user) -> ConsoleSocket:
        """In-process server (tests/conftest.py::asgi_server): log `user` in with Django's client."""
        from django.test import Client

        client = Client()
        client.force_login(user)
        page = cls(server.url, f"sessionid={client.cookies['sessionid'].value}")
        page.http = client  # the same session, for the page's HTTP requests
        return page

    def next(self, predicate, timeout: float) -> dict:
        """The first message satisfying `predicate` within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self.socket.recv(timeout=left))
            except TimeoutError:
                break
            if predicate(message):
                return message
        raise AssertionError("no such message on the console's WebSocket in time")

    def quiet(self, predicate, seconds: float) -> bool:
        """No message satisfying `predicate` arrives within `seconds`."""
        try:
            self.next(predicate, seconds)
        except AssertionError:
            return True
        return False

    def close(self) -> None:
        self.socket.close()

    def __enter__(self) -> ConsoleSocket:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
