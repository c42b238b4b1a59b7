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
Every call is idempotent, so `ensure_box_identity` doubles as repair. A login needs not repeat
them all: seven small reads of the box's own parts (`box_snapshot`) show which are in place, and
only the missing ones are made again; beat's reconcile reads the whole fleet's in one snapshot.
"""
import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
        self._call("PUT", f"queues/{_q(vhost)}/{_q(name)}", json=self._queue_body())

    # --- per box -------------------------------------------------------------
    def box_identity(self, box) -> list["Provision"]:
        """Every management call that makes the box's broker identity, in order: its user, its
        exchange and queues, the binding, and its permissions in both vhosts."""
        vhost, upload = settings.BOX_VHOST, settings.BOX_UPLOAD_VHOST
        user, queue, fiqa, exchange = box.broker_username, box.queue_name, box.fiqa_queue_name, box.exchange_name
        return [
            Provision("PUT", f"users/{_q(user)}", {"password": box.broker_password, "tags": ""},
                      ("user", user, box.broker_password)),
            Provision("PUT", f"exchanges/{_q(vhost)}/{_q(exchange)}",
                      {"type": "fanout", "durable": True, "auto_delete": False, "internal": False, "arguments": {}},
                      ("exchange", vhost, exchange)),
            *(Provision("PUT", f"queues/{_q(vhost)}/{_q(name)}", self._queue_body(), ("queue", vhost, name))
              for name in (queue, fiqa)),
            Provision("POST", f"bindings/{_q(vhost)}/e/{_q(exchange)}/q/{_q(queue)}",
                      {"routing_key": queue, "arguments": {}}, ("binding", vhost, exchange, queue, queue)),
            self._permission(vhost, user, configure=_exactly(queue, fiqa), write=_exactly(queue),
                             read=_exactly(queue, fiqa, exchange)),
            self._permission(upload, user, configure="^$", write=r"^amq\.default$", read="^$"),
        ]

    @staticmethod
    def _queue_body() -> dict:
        return {"durable": True, "auto_delete": False, "arguments": {"x-queue-type": settings.BOX_QUEUE_TYPE}}

    @staticmethod
    def _permission(vhost: str, user: str, **rights: str) -> "Provision":
        return Provision("PUT", f"permissions/{_q(vhost)}/{_q(user)}", rights,
                         ("permission", vhost, user, rights["configure"], rights["write"], rights["read"]))

    def ensure_box_identity(self, box) -> str:
        """Create (or re-create) every part of the box's identity; its fingerprint (what the box
        record keeps as `broker_provisioned`)."""
        calls = self.box_identity(box)
        self.provide(calls)
        return fingerprint(calls)

    def provide(self, calls: list["Provision"]) -> None:
        for call in calls:
            self._call(call.method, call.path, json=call.body)

    def snapshot(self) -> "BrokerSnapshot":
        """What every box's identity is checked against (`snapshot_reads`), the lists asked for
        side by side: for a whole fleet at once (reconcile_broker_identities). (GET
        /api/definitions, one call, exports everything: 0.75 s at 1 000 boxes on a 2-core
        machine, against 0.16 s for the slowest of these.)"""
        reads = snapshot_reads()
        # A pool per snapshot: a process-wide one would be left without threads in a forked child.
        with ThreadPoolExecutor(len(reads), thread_name_prefix="broker-snapshot") as pool:
            return BrokerSnapshot.of(self._read_lists(reads, pool.map))

    def box_snapshot(self, box) -> "BrokerSnapshot":
        """What the broker holds of one box's identity (`box_reads`): seven small reads, each a
        look-up by name, where a snapshot of every box costs the broker in proportion to the
        fleet (bench/logins.py). A part that is not there answers 404: missing. Read one after
        another: the first that fails (a broker away) ends the check."""
        return BrokerSnapshot.of(self._read_lists(box_reads(box), missing_is_empty=True))

    def _read_lists(self, reads: list[tuple[str, str]], map_: Callable = map,
                    missing_is_empty: bool = False) -> dict[str, list]:
        """Each read's answer under its kind. A 404 is an error unless `missing_is_empty`: a list
        of the fleet's that is not there (its vhost deleted) must not read as "nothing exists"."""
        answers = map_(lambda read: self._call("GET", read[1], ok_missing=missing_is_empty), reads)
        lists: dict[str, list] = {}
        for (kind, _), answer in zip(reads, answers, strict=True):
            found = [] if answer is None else answer if isinstance(answer, list) else [answer]
            lists.setdefault(kind, []).extend(found)
        return lists

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

    def free_sockets(self) -> int:
        """Connections the broker's nodes can still accept (two a box: a full broker leaves new
        ones hanging): the fewer of the sockets left and the file descriptors left. RabbitMQ
        3.10 reports both (its sockets in use were seen at 0 with connections open, until its
        statistics refreshed, while its descriptors counted them); later releases report
        descriptors only."""
        return sum(_free_connections(node) for node in self._call("GET", "nodes"))


def _free_connections(node: dict) -> int:
    descriptors = node.get("fd_total", 0) - node.get("fd_used", 0)
    if "sockets_total" not in node:
        return descriptors
    return min(descriptors, node["sockets_total"] - node.get("sockets_used", 0))


def broker_admin() -> BrokerAdmin:
    return BrokerAdmin()


@dataclass(frozen=True)
class Provision:
    """One idempotent management call and what it leaves in the broker (`holds`: the key a
    BrokerSnapshot finds it under)."""

    method: str
    path: str
    body: dict
    holds: tuple


def fingerprint(calls: list[Provision]) -> str:
    """What a box record keeps of its provisioning: which calls, with which password, vhosts,
    rights and queue type. Any change (rotated credentials, a new layout) gives another."""
    text = json.dumps([[c.method, c.path, c.body] for c in calls], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def password_matches(password: str, password_hash: str, algorithm: str) -> bool:
    """RabbitMQ's stored hash (base64 of a 4-byte salt and hash(salt + password)) against a password."""
    digest = {"rabbit_password_hashing_sha256": hashlib.sha256, "rabbit_password_hashing_sha512": hashlib.sha512,
              "rabbit_password_hashing_md5": hashlib.md5}.get(algorithm)
    try:
        stored = base64.b64decode(password_hash or "", validate=True)
    except ValueError:
        return False
    if digest is None or len(stored) < 5:
        return False
    salt = stored[:4]
    return hmac.compare_digest(stored[4:], digest(salt + password.encode()).digest())


# The fields BrokerSnapshot.of reads of each kind: a read asks for these alone (a permission is
# read whole: it is small).
SNAPSHOT_COLUMNS = {
    "users": "name,password_hash,hashing_algorithm",
    "queues": "name,vhost",
    "exchanges": "name,vhost",
    "bindings": "vhost,source,destination,destination_type,routing_key",
}


def _read(kind: str, path: str) -> tuple[str, str]:
    """A read of `kind` at `path`: only the columns the snapshot uses, queues without statistics."""
    query = ["disable_stats=true"] if kind == "queues" else []
    if kind in SNAPSHOT_COLUMNS:
        query.append(f"columns={SNAPSHOT_COLUMNS[kind]}")
    return kind, f"{path}?{'&'.join(query)}" if query else path


def _box_vhosts() -> list[str]:
    """The boxes' vhosts, once each (the upload vhost may be the same)."""
    return list(dict.fromkeys((settings.BOX_VHOST, settings.BOX_UPLOAD_VHOST)))


def snapshot_reads() -> list[tuple[str, str]]:
    """The management API's lists a snapshot reads (the kind of definitions each holds, its path):
    every user, the permissions of the boxes' vhosts, and the queues, exchanges and bindings of theirs."""
    vhost = _q(settings.BOX_VHOST)
    return [
        _read("users", "users"),
        *(_read("permissions", f"vhosts/{_q(name)}/permissions") for name in _box_vhosts()),
        _read("queues", f"queues/{vhost}"),
        _read("exchanges", f"exchanges/{vhost}"),
        _read("bindings", f"bindings/{vhost}"),
    ]


def box_reads(box) -> list[tuple[str, str]]:
    """The management API's reads that show one box's identity (the kind each holds, its path),
    each a look-up by name: its user, its permissions in the boxes' vhosts, its exchange, its two
    queues and the binding. (Not users/<name>/permissions: RabbitMQ finds those by scanning every
    user's permissions.)"""
    vhost, user, exchange = _q(settings.BOX_VHOST), _q(box.broker_username), _q(box.exchange_name)
    return [
        _read("users", f"users/{user}"),
        *(_read("permissions", f"permissions/{_q(name)}/{user}") for name in _box_vhosts()),
        _read("exchanges", f"exchanges/{vhost}/{exchange}"),
        *(_read("queues", f"queues/{vhost}/{_q(name)}") for name in (box.queue_name, box.fiqa_queue_name)),
        _read("bindings", f"bindings/{vhost}/e/{exchange}/q/{_q(box.queue_name)}"),
    ]


@dataclass(frozen=True)
class BrokerSnapshot:
    """What the broker held when asked (the lists of `snapshot_reads` for the fleet, the objects
    of `box_reads` for one box; the fields of GET /api/definitions' export), as Provision keys."""

    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (password_hash, algorithm)
    keys: frozenset = frozenset()

    @classmethod
    def of(cls, definitions: dict) -> "BrokerSnapshot":
        keys = {("exchange", e["vhost"], e["name"]) for e in definitions.get("exchanges", [])}
        keys |= {("queue", q["vhost"], q["name"]) for q in definitions.get("queues", [])}
        keys |= {("binding", b["vhost"], b["source"], b["destination"], b["routing_key"])
                 for b in definitions.get("bindings", []) if b.get("destination_type") == "queue"}
        keys |= {("permission", p["vhost"], p["user"], p["configure"], p["write"], p["read"])
                 for p in definitions.get("permissions", [])}
        users = {u["name"]: (u.get("password_hash", ""), u.get("hashing_algorithm", ""))
                 for u in definitions.get("users", [])}
        return cls(users=users, keys=frozenset(keys))

    def holds(self, call: Provision) -> bool:
        if call.holds[0] == "user":
            _, name, password = call.holds
            return name in self.users and password_matches(password, *self.users[name])
        return call.holds in self.keys

    def missing(self, calls: list[Provision]) -> list[Provision]:
        return [call for call in calls if not self.holds(call)]
