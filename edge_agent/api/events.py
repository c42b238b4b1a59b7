"""Part 2 §4.4: how the box answers a recognition (GateControllerMode, EventAction) and where
its events go (EventServerUrl realtime, HistoryEventUrl history); and our
`GET /SophonFogSys/api/events?limit=`, the latest stored events without pictures.

The settings are stored here and read by the senders (edge_agent/reporting.py Targets) and
the door (edge_agent/relay.py Door); EventAction drives the relay driver directly.
"""
from __future__ import annotations

from dataclasses import dataclass

import requests
from flask import Blueprint, request

from ..events import EventStore
from ..relay import Action, HttpRelay, LoggingRelay
from ..store import Store
from .bodies import PARAM_ERROR, BadRequest, Form, body, content_type, data, flag, period, text, url_list

RELAY_FAILED = 50072
EVENT_SERVER_DEFAULT = {"event_server_url": [], "real_need_reg_pic": True, "content-type": "json"}
HISTORY_SERVER_DEFAULT = {"history_upload_event_url": [], "history_need_reg_pic": True, "content-type": "json",
                          "reported_peroid": 20}


def optional_flag(values: dict, key: str) -> bool:
    return flag(values, key) if key in values else True


@dataclass(frozen=True)
class EventActions:
    """PUT EventAction (§4.4.3): one or more relay actions."""

    actions: list[Action]

    @classmethod
    def read(cls) -> EventActions:
        entries = body().get("action")
        if not isinstance(entries, list) or not entries:
            raise BadRequest(PARAM_ERROR, "action must be a non-empty list.")
        return cls([cls._action(entry) for entry in entries])

    @staticmethod
    def _action(entry) -> Action:
        if not isinstance(entry, dict):
            raise BadRequest(PARAM_ERROR, "each action must be an object.")
        duration, port = entry.get("action_duration", 5), entry.get("logic_port", 0)
        if not isinstance(duration, int) or not isinstance(port, int):
            raise BadRequest(PARAM_ERROR, "action_duration and logic_port must be integers.")
        action = Action(text(entry, "action_ip"), str(entry.get("action_port") or ""), text(entry, "action_mode"),
                        duration, port)
        if not action.action_port:
            raise BadRequest(PARAM_ERROR, "action_port is required.")
        return action


class EventRoutes:
    def __init__(self, settings: Store, relay: LoggingRelay | HttpRelay, events: EventStore) -> None:
        self.settings = settings
        self.relay = relay
        self.events = events

    def register(self, api: Blueprint) -> None:
        for path, method, view in (
            ("/GateControllerMode", "POST", self.set_mode), ("/GateControllerMode", "GET", self.get_mode),
            ("/EventAction", "PUT", self.act),
            ("/EventServerUrl", "POST", self.set_event_servers), ("/EventServerUrl", "GET", self.get_event_servers),
            ("/HistoryEventUrl", "POST", self.set_history_servers),
            ("/HistoryEventUrl", "GET", self.get_history_servers),
            ("/events", "GET", self.recent),
        ):
            api.add_url_rule(path, view.__name__, view, methods=[method])

    def set_mode(self):
        mode = text(body(Form()), "controller_mode")
        if not mode:
            raise BadRequest(PARAM_ERROR, "controller_mode must not be ''.")
        self.settings.set("controller_mode", mode)
        return data({"controller_mode": mode})

    def get_mode(self):
        return data({"controller_mode": self.settings.get("controller_mode", "opendoor")})

    def act(self):
        actions = EventActions.read().actions
        try:
            for action in actions:
                self.relay.perform(action)
        except requests.RequestException as exc:
            raise BadRequest(RELAY_FAILED, f"the relay did not answer: {exc}", 502) from exc
        return data({"message": "ok", "action_mode": ",".join(a.action_mode for a in actions)})

    def set_event_servers(self):
        values = body(Form(lists=("event_server_url",), flags=("real_need_reg_pic",)))
        setting = {"event_server_url": url_list(values.get("event_server_url"), "event_server_url"),
                   "real_need_reg_pic": optional_flag(values, "real_need_reg_pic"),
                   "content-type": content_type(values)}
        self.settings.set("event_server", setting)
        return data(setting)

    def get_event_servers(self):
        return data(self.settings.get("event_server", EVENT_SERVER_DEFAULT))

    def set_history_servers(self):
        values = body(Form(lists=("history_upload_event_url",), flags=("history_need_reg_pic",),
                           numbers=("reported_peroid",)))
        setting = {"history_upload_event_url": url_list(values.get("history_upload_event_url"),
                                                        "history_upload_event_url"),
                   "history_need_reg_pic": optional_flag(values, "history_need_reg_pic"),
                   "content-type": content_type(values), "reported_peroid": period(values)}
        self.settings.set("history_server", setting)
        return data({"message": "ok", **setting})

    def get_history_servers(self):
        return data(self.settings.get("history_server", HISTORY_SERVER_DEFAULT))

    def recent(self):
        limit = request.args.get("limit", "50")
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            raise BadRequest(PARAM_ERROR, "limit must be 1 to 1000.")
        return data({"total": len(self.events),
                     "events": [{"id": e.id, **e.body} for e in self.events.recent(int(limit))]})
