"""The box's own HTTP API: configuration (upstream §8), health, and the local API (part 2 §4).

Upstream has no authentication here; a box on a shared LAN needs some, so every
endpoint requires the API key kept in `<data-dir>/api_key`, sent as the `X-API-Key`
header (never in the URL: URLs end up in logs, so `?api_key=` is refused). `/health`
without a key answers liveness only, `{"status": "ok"}`: its full report names the
dev_sno and the login URL, and with those the box's MAC is all an attacker on the LAN
would need to log in as the box. `--no-api-key` turns all of it off.
Errors answer `{"error": {"code", "message", "status"}}` with the contract's codes.

Each section is given the parts of the box it uses (edge_agent/box.py builds them).
"""
from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from flask import Blueprint, Flask, request

from ..box import EdgeBox
from .bodies import UNAUTHORISED, BadRequest, error
from .box_config import BoxConfigRoutes
from .events import EventRoutes
from .groups import GroupRoutes
from .inputs import InputRoutes
from .people import PeopleRoutes
from .system import SystemRoutes

LOCAL_API = "/SophonFogSys/api"


def load_api_key(data_dir: Path) -> str:
    path = Path(data_dir) / "api_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def key_check(api_key: str | None):
    """The before-request hook: the X-API-Key header must hold the key (when there is one)."""
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
    return require_key


def local_api(box: EdgeBox) -> Blueprint:
    """Part 2 §4 and our inputs, under /SophonFogSys/api."""
    api = Blueprint("local_api", __name__, url_prefix=LOCAL_API)
    GroupRoutes(box.store, box.gallery).register(api)
    PeopleRoutes(box.store, box.gallery, box.photos, box.enroller).register(api)
    EventRoutes(box.store, box.relay, box.events).register(api)
    SystemRoutes(box.store, box.gallery, box.photos, box.events).register(api)
    InputRoutes(box.devices, box.input_roots, box.recognizer.recognise, lambda: box.identity.dev_sno).register(api)
    return api


def create_app(box: EdgeBox, api_key: str | None) -> Flask:
    app = Flask("edge_agent")
    app.before_request(key_check(api_key))
    BoxConfigRoutes(box.identity, box.health_report, keyed=api_key is not None).register(app)
    app.register_blueprint(local_api(box))
    app.register_error_handler(BadRequest, lambda exc: error(exc.code, exc.message, exc.http_status))
    app.register_error_handler(404, lambda _: error(40400, "No such endpoint.", 404))
    app.register_error_handler(405, lambda _: error(40000, "Method not allowed here.", 405))
    return app
