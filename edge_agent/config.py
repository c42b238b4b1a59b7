"""What the box is started with (BoxConfig) and who it is now (Identity).

BoxConfig is the command line (`python -m edge_agent run`), typed; the composition root
(edge_agent/box.py) builds everything from it. Identity is the part an installer changes
while the box runs (upstream 01 §8: dev_sno and login URL), kept in the agent's store:
changing it makes the connection log in again.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .store import Store


def hex_mac() -> str:
    """This machine's MAC as upstream writes it: 0x + 12 hex digits."""
    for interface in sorted(Path("/sys/class/net").glob("*")):
        if interface.name == "lo":
            continue
        try:
            address = (interface / "address").read_text().strip()
        except OSError:
            continue
        if address and address != "00:00:00:00:00:00":
            return "0x" + address.replace(":", "").lower()
    return f"0x{uuid.getnode():012x}"


@dataclass(frozen=True)
class BoxConfig:
    """The box's start-up settings. dev_sno, login_url, relay and event_bound, when given,
    are stored and stay in force on later starts; None keeps what the store has."""

    data_dir: Path
    dev_sno: str | None = None
    login_url: str | None = None
    models: Path | None = None  # None: AIBOX_MODELS, else the checkout's models/, else ./models
    mac: str | None = None  # None: this machine's first interface (hex_mac)
    threads: int = 0  # ONNX Runtime threads; 0: its default
    relay: str | None = None  # door/relay driver (edge_agent/relay.py DRIVERS)
    event_bound: int | None = None  # events kept on the box, oldest dropped
    heartbeat: int = 60  # seconds at most for the command connection's AMQP heartbeat
    # Device folders and video files must lie under these; empty: <data_dir>/inputs.
    input_roots: tuple[Path, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        object.__setattr__(self, "input_roots", tuple(Path(root) for root in self.input_roots or ()))


class Settings(Protocol):
    """The box's stored settings (edge_agent/store.py), as a component that reads them sees them."""

    def get(self, key: str, default: Any = None) -> Any: ...


class Identity:
    """dev_sno and login URL as stored now; `configure` changes them and asks for a new login."""

    def __init__(self, store: Store, mac: str) -> None:
        self.store = store
        self.mac = mac
        self.relogin = threading.Event()

    @property
    def dev_sno(self) -> str:
        return self.store.get("dev_sno", "")

    @property
    def login_url(self) -> str:
        return self.store.get("login_url", "")

    def configure(self, **values: str) -> None:
        """Store dev_sno / login_url and log in again with them."""
        for key, value in values.items():
            self.store.set(key, value)
        self.relogin.set()
