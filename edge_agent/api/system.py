"""Part 2 §4.5: where status reports go (MonitorServerUrl; sent by edge_agent/status.py) and
wiping the box's data (WipeData, the same wipe as MQ wipe_data: edge_agent/local_data.py)."""
from __future__ import annotations

from flask import Blueprint

from ..events import EventStore
from ..face.gallery import Gallery
from ..local_data import wipe, wipe_options
from ..photos import PhotoStore
from ..store import Store
from .bodies import PARAM_ERROR, BadRequest, Form, body, content_type, data, period, text

MONITOR_SERVER_DEFAULT = {"monitor_server_url": "", "reported_peroid": 20}


class SystemRoutes:
    def __init__(self, store: Store, gallery: Gallery, photos: PhotoStore, events: EventStore) -> None:
        self.store = store
        self.gallery = gallery
        self.photos = photos
        self.events = events

    def register(self, api: Blueprint) -> None:
        api.add_url_rule("/MonitorServerUrl", "set_monitor_server", self.set_monitor_server, methods=["POST"])
        api.add_url_rule("/MonitorServerUrl", "get_monitor_server", self.get_monitor_server, methods=["GET"])
        api.add_url_rule("/WipeData", "wipe_data", self.wipe_data, methods=["POST"])

    def set_monitor_server(self):
        values = body(Form(numbers=("reported_peroid",)))
        url = text(values, "monitor_server_url")
        if not url.startswith(("http://", "https://")):
            raise BadRequest(PARAM_ERROR, "monitor_server_url must be an http(s) URL.")
        if content_type(values) != "json":
            raise BadRequest(PARAM_ERROR, "only json is supported for status reports.")
        self.store.set("monitor_server", {"monitor_server_url": url, "reported_peroid": period(values)})
        return data("ok")

    def get_monitor_server(self):
        return data(self.store.get("monitor_server", MONITOR_SERVER_DEFAULT))

    def wipe_data(self):
        try:
            options = wipe_options(body().get("wipe_options"))
        except ValueError as exc:
            raise BadRequest(PARAM_ERROR, f"{exc}.") from exc
        wipe(options, self.store, self.gallery, self.photos, self.events)
        return data({"wipe_options": options})
