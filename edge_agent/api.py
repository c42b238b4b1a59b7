"""The box's own HTTP API: configuration (upstream §8), health, and the local API (part 2 §4).

Upstream has no authentication here; a box on a shared LAN needs some, so every
endpoint requires the API key kept in `<data-dir>/api_key`, sent as the `X-API-Key`
header (never in the URL: URLs end up in logs, so `?api_key=` is refused). `/health`
without a key answers liveness only, `{"status": "ok"}`: its full report names the
dev_sno and the login URL, and with those the box's MAC is all an attacker on the LAN
would need to log in as the box. `--no-api-key` turns all of it off.
Errors answer `{"error": {"code", "message", "status"}}` with the contract's codes.
"""
from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from flask import Flask, jsonify, request

from aibox_contract.codes import PARAM_ERROR, STATUS_NAMES

UNAUTHORISED = 40000


def error(code: int, message: str, http_status: int = 400):
    return jsonify({"error": {"code": code, "message": message, "status": STATUS_NAMES[code]}}), http_status


def load_api_key(data_dir: Path) -> str:
    path = Path(data_dir) / "api_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(agent, api_key: str | None) -> Flask:
    app = Flask("edge_agent")

    @app.before_request
    def require_key():
        if api_key is None:
            return None
        if "api_key" in request.args:
            return error(UNAUTHORISED, "Send the API key in the X-API-Key header, never in the URL.", 401)
        given = request.headers.get("X-API-Key")
        if given is None and request.path == "/health":
            return None  # liveness for monitors that hold no key; the view answers no more than that
        if not hmac.compare_digest((given or "").encode(), api_key.encode()):
            return error(UNAUTHORISED, "Missing or wrong API key (X-API-Key header).", 401)
        return None

    def json_field(name: str) -> str | tuple:
        from .local_api import body  # the local API's reading: 41591 for a body that is not JSON

        data = body()
        if not isinstance(data.get(name), str) or not data[name].strip():
            return error(PARAM_ERROR, f'Body must be {{"{name}": "..."}}.')
        return data[name].strip()

    @app.get("/SophonMQ/api/DevSno")
    def get_dev_sno():
        # Upstream 01 §8.1.1's example answers `dev_sno`, its §8 overview `response`: both, same value.
        return jsonify({"data": {"dev_sno": agent.dev_sno, "response": agent.dev_sno}})

    @app.put("/SophonMQ/api/DevSno")
    def put_dev_sno():
        value = json_field("dev_sno")
        if isinstance(value, tuple):
            return value
        agent.configure(dev_sno=value)
        return jsonify({"data": {"response": value}})

    @app.get("/SophonMQ/api/LoginUrl")
    def get_login_url():
        return jsonify({"data": {"response": agent.login_url}})  # upstream 01 §8.2.1

    @app.put("/SophonMQ/api/LoginUrl")
    def put_login_url():
        value = json_field("login_url")
        if isinstance(value, tuple):
            return value
        if not value.startswith(("http://", "https://")):
            return error(PARAM_ERROR, "login_url must start with http:// or https://.")
        agent.configure(login_url=value)
        return jsonify({"data": {"response": value}})

    @app.get("/health")
    def health():
        if api_key is not None and request.headers.get("X-API-Key") is None:
            return jsonify({"status": "ok"})
        return jsonify({"status": "ok", **agent.health_report()})

    from .local_api import BadRequest, local_api

    app.register_blueprint(local_api(agent))

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest):
        return error(exc.code, exc.message, exc.http_status)

    @app.errorhandler(404)
    def not_found(_):
        return error(40400, "No such endpoint.", 404)

    @app.errorhandler(405)
    def not_allowed(_):
        return error(40000, "Method not allowed here.", 405)

    return app
