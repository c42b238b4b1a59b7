"""Per-box RabbitMQ identities, through the management HTTP API.

Layout (names in settings):
- vhost BOX_VHOST holds, per box, a durable queue `aibox.box.<sno>` bound to the
  box's own fanout exchange `aibox.cmd.<sno>`, where the platform publishes commands,
  and a durable `aibox.fiqa.<sno>` for face-quality commands (fiqaDownQueue).
- vhost BOX_UPLOAD_VHOST holds only the upload queue(s) boxes answer on.
- each box has its own user. In BOX_VHOST it may configure and read its own queue
  and bind it to its own exchange (the contract lets it bind), and write nothing
  else, so it cannot publish anywhere there. In BOX_UPLOAD_VHOST it may only
  write to the default exchange, which routes to the upload queue(s) alone.
Every call is idempotent, so `ensure_box_identity` doubles as repair.
"""
import logging
import re
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings

from cloudplatform.amqp import celery_vhost, platform_username

logger = logging.getLogger(__name__)


class BrokerAdminError(Exception):
    """The management API refused or could not be reached."""


def _q(name: str) -> str:
    return quote(name, safe="")


def _exactly(*names: str) -> str:
    """A permission regex matching these resource names and nothing else."""
    return "^(" + "|".join(re.escape(name) for name in names) + ")$"


class BrokerAdmin:
    def __init__(self, management_url: str | None = None, timeout: float = 10.0) -> None:
        parts = urlsplit(management_url or settings.RABBITMQ_MANAGEMENT_URL)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        self.session = requests.Session()
        self.session.auth = (parts.username or "guest", parts.password or "guest")
        self.timeout = timeout
        # The account the platform's processes connect as (BROKER_URL's), which may differ
        # from the management API's: it is the one that needs rights in the platform's vhosts.
        self.platform_user = platform_username()

    def _call(self, method: str, path: str, json: dict | None = None, ok_missing: bool = False):
        try:
            response = self.session.request(method, f"{self.base}/{path}", json=json, timeout=self.timeout)
        except requests.RequestException as exc:
            raise BrokerAdminError(f"RabbitMQ management API unreachable: {exc}") from exc
        if ok_missing and response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise BrokerAdminError(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response.json() if response.content else None

    # --- platform topology -------------------------------------------------
    def ensure_platform_topology(self) -> None:
        """Vhosts (Celery's, named by BROKER_URL, and the boxes'), the platform's own full
        permissions there, and the upload queue."""
        for vhost in dict.fromkeys((celery_vhost(), settings.BOX_VHOST, settings.BOX_UPLOAD_VHOST)):
            self._call("PUT", f"vhosts/{_q(vhost)}", json={})
            self._call(
                "PUT",
                f"permissions/{_q(vhost)}/{_q(self.platform_user)}",
                json={"configure": ".*", "write": ".*", "read": ".*"},
            )
        self.declare_queue(settings.BOX_UPLOAD_VHOST, settings.BOX_UPLOAD_QUEUE)
        self.declare_queue(settings.BOX_UPLOAD_VHOST, settings.BOX_FIQA_UPLOAD_QUEUE)

    def declare_queue(self, vhost: str, name: str) -> None:
        self._call(
            "PUT",
            f"queues/{_q(vhost)}/{_q(name)}",
            json={"durable": True, "auto_delete": False, "arguments": {"x-queue-type": settings.BOX_QUEUE_TYPE}},
        )

    # --- per box -------------------------------------------------------------
    def ensure_box_identity(self, box) -> None:
        vhost = settings.BOX_VHOST
        self._call(
            "PUT", f"users/{_q(box.broker_username)}", json={"password": box.broker_password, "tags": ""}
        )
        self._call(
            "PUT",
            f"exchanges/{_q(vhost)}/{_q(box.exchange_name)}",
            json={"type": "fanout", "durable": True, "auto_delete": False, "internal": False, "arguments": {}},
        )
        self.declare_queue(vhost, box.queue_name)
        self.declare_queue(vhost, box.fiqa_queue_name)
        self._call(
            "POST",
            f"bindings/{_q(vhost)}/e/{_q(box.exchange_name)}/q/{_q(box.queue_name)}",
            json={"routing_key": box.queue_name, "arguments": {}},
        )
        self._call(
            "PUT",
            f"permissions/{_q(vhost)}/{_q(box.broker_username)}",
            json={
                "configure": _exactly(box.queue_name, box.fiqa_queue_name),
                "write": _exactly(box.queue_name),
                "read": _exactly(box.queue_name, box.fiqa_queue_name, box.exchange_name),
            },
        )
        self._call(
            "PUT",
            f"permissions/{_q(settings.BOX_UPLOAD_VHOST)}/{_q(box.broker_username)}",
            json={"configure": "^$", "write": r"^amq\.default$", "read": "^$"},
        )

    def revoke_box_access(self, box) -> None:
        """Delete the box's broker user (its queue keeps collecting commands) and drop its connections."""
        self._call("DELETE", f"users/{_q(box.broker_username)}", ok_missing=True)
        self.close_connections(box.broker_username)

    def close_connections(self, username: str) -> None:
        """Best effort: RabbitMQ answers 500 while one of them is already closing, and deleting
        or re-passwording the user has already cut its access."""
        try:
            self._call("DELETE", f"connections/username/{_q(username)}", ok_missing=True)
        except BrokerAdminError as exc:
            logger.warning("could not close the connections of %s: %s", username, exc)

    def delete_box_resources(self, box) -> None:
        self.revoke_box_access(box)
        vhost = settings.BOX_VHOST
        for queue in (box.queue_name, box.fiqa_queue_name):
            self._call("DELETE", f"queues/{_q(vhost)}/{_q(queue)}", ok_missing=True)
        self._call("DELETE", f"exchanges/{_q(vhost)}/{_q(box.exchange_name)}", ok_missing=True)

    def user_exists(self, username: str) -> bool:
        return self._call("GET", f"users/{_q(username)}", ok_missing=True) is not None


def broker_admin() -> BrokerAdmin:
    return BrokerAdmin()
