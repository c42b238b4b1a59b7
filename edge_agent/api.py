"""The box's own HTTP API: configuration (upstream §8), health, and the local API (part 2 §4).

Upstream has no authentication here; a box on a shared LAN needs some, so every
endpoint except /health requires the API key kept in `<data-dir>/api_key` (sent as
the `X-API-Key` header or an `api_key` query parameter). `--no-api-key` turns it off.
Errors answer `{"error": {"code", "message", "status"}}` with the contract's codes.
"""
from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from flask import Flask, jsonify, request

from .contract import PARAM_ERROR, STATUS_NAMES

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
        if api_key is None or request.path == "/health":
            return None
        given = request.headers.get("X-API-Key") or request.args.get("api_key") or ""
        if not hmac.compare_digest(given, api_key):
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
        return jsonify(agent.health_report())

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
