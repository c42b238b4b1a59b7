"""Door and relay drivers (pluggable): what the box does when it is asked to act.

`EventAction` (part 2 §4.4) names, per terminal, an address, a mode (opendoor,
closedoor, alarm, ...), a duration and a relay port. The driver is chosen by the
`relay_driver` setting: "log" (the default: writes what it would do) or "http" (a
network relay that takes `POST http://<action_ip>:<action_port>/relay` with the action
as JSON). Register another by adding it to DRIVERS.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import asdict, dataclass

import requests

from .config import Settings

logger = logging.getLogger("edge_agent.relay")


@dataclass(frozen=True)
class Action:
    action_ip: str
    action_port: str
    action_mode: str
    action_duration: int = 5  # seconds; 255 keeps the door open
    logic_port: int = 0  # 0: every output of the relay


class LoggingRelay:
    """Logs each action and keeps the latest `keep` (what tests look at):
    a box runs for months, so what it keeps is bounded."""

    KEEP = 100

    def __init__(self, keep: int = KEEP) -> None:
        self.performed: deque[Action] = deque(maxlen=keep)

    def perform(self, action: Action) -> None:
        self.performed.append(action)
        logger.info("relay %s:%s → %s for %s s (port %s)", action.action_ip, action.action_port,
                    action.action_mode, action.action_duration, action.logic_port)


class HttpRelay:
    def __init__(self, timeout: float = 2.0) -> None:
        self.timeout = timeout

    def perform(self, action: Action) -> None:
        url = f"http://{action.action_ip}:{action.action_port}/relay"
        requests.post(url, json=asdict(action), timeout=self.timeout).raise_for_status()


DRIVERS = {"log": LoggingRelay, "http": HttpRelay}


class Door:
    """A recognised person (not blacklisted): what GateControllerMode says, through the relay driver,
    on a thread of its own so recognition never waits for a relay."""

    def __init__(self, settings: Settings, relay: LoggingRelay | HttpRelay) -> None:
        self.settings = settings
        self.relay = relay

    def open_for(self, ip: str) -> None:
        mode = self.settings.get("controller_mode", "opendoor")
        if mode in ("none", "off", "disable"):
            return
        action = Action(ip, str(self.settings.get("relay_port", "80")), mode)

        def perform() -> None:
            try:
                self.relay.perform(action)
            except requests.RequestException as exc:
                logger.warning("relay at %s did not answer: %s", ip, exc)

        threading.Thread(target=perform, name="relay", daemon=True).start()
