"""Upstream 01 §8: the box's dev_sno and platform login URL, read and set by an installer;
and /health (without the API key: liveness only, see app.py)."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, jsonify, request

from ..config import Identity
from .bodies import PARAM_ERROR, BadRequest, body, data


def json_field(name: str) -> str:
    """The body `{"<name>": "..."}`'s value, trimmed (41591 for a body that is not JSON)."""
    values = body()
    if not isinstance(values.get(name), str) or not values[name].strip():
        raise BadRequest(PARAM_ERROR, f'Body must be {{"{name}": "..."}}.')
    return values[name].strip()


class BoxConfigRoutes:
    def __init__(self, identity: Identity, health_report: Callable[[], dict], keyed: bool) -> None:
        self.identity = identity
        self.health_report = health_report
        self.keyed = keyed

    def register(self, app: Flask) -> None:
        app.add_url_rule("/SophonMQ/api/DevSno", "get_dev_sno", self.get_dev_sno, methods=["GET"])
        app.add_url_rule("/SophonMQ/api/DevSno", "put_dev_sno", self.put_dev_sno, methods=["PUT"])
        app.add_url_rule("/SophonMQ/api/LoginUrl", "get_login_url", self.get_login_url, methods=["GET"])
        app.add_url_rule("/SophonMQ/api/LoginUrl", "put_login_url", self.put_login_url, methods=["PUT"])
        app.add_url_rule("/health", "health", self.health, methods=["GET"])

    def get_dev_sno(self):
        # Upstream 01 §8.1.1's example answers `dev_sno`, its §8 overview `response`: both, same value.
        dev_sno = self.identity.dev_sno
        return data({"dev_sno": dev_sno, "response": dev_sno})

    def put_dev_sno(self):
        value = json_field("dev_sno")
        self.identity.configure(dev_sno=value)
        return data({"response": value})

    def get_login_url(self):
        return data({"response": self.identity.login_url})  # upstream 01 §8.2.1

    def put_login_url(self):
        value = json_field("login_url")
        if not value.startswith(("http://", "https://")):
            raise BadRequest(PARAM_ERROR, "login_url must start with http:// or https://.")
        self.identity.configure(login_url=value)
        return data({"response": value})

    def health(self):
        if self.keyed and request.headers.get("X-API-Key") is None:
            return jsonify({"status": "ok"})
        return jsonify({"status": "ok", **self.health_report()})
