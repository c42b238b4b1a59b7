"""The box's local REST API of part 2 §4 (`/SophonFogSys/api/...`).

Replies are `{"data": ...}` or `{"error": {"code", "message", "status"}}` with the fog
API's codes: 40091 bad parameters, 40002 no JSON body, 41591 a content type the endpoint
does not take (HTTP 415), 40005 not a boolean, 40491 not found, 40401 unknown
identity_id, 40012 group name taken or empty. Bodies are JSON; where part 2 says
"JSON格式，form-data格式" (§4.4.1, §4.4.4, §4.4.7, §4.5.1) form-data too. Convention
(CONTRACT.md §7): '' is a value; only null or absent is empty.

Permission groups (§4.1) are what the platform's `permission_ids` name; face groups
(§4.2) are comparison groups. In the gallery a person's groups hold the permission
ids as they are and face groups as `face:<name>`; `default_group` exists on every box
and only people in some comparison group are recognised (edge_agent/local_data.py).
All of §4. The event and status settings are stored here and read by the senders
(edge_agent/reporting.py); EventAction drives the relay driver (edge_agent/relay.py).
The box's inputs (recognize, devices) are in edge_agent/input_api.py.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

import requests
from flask import Blueprint, jsonify, request
from werkzeug.datastructures import MultiDict

from aibox_contract.codes import ContractCodeError

from .api import error
from .local_data import FACE_PREFIX, IMAGE_ID, face_groups, image_id_of, new_image_id, wipe, wipe_options

PARAM_ERROR, EMPTY_JSON, NOT_BOOLEAN, NOT_FOUND, ID_NOT_FOUND, GROUP_NAME_ERROR, CONTENT_TYPE_ERROR = (
    40091, 40002, 40005, 40491, 40401, 40012, 41591)
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class BadRequest(Exception):
    def __init__(self, code: int, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.http_status = code, message, http_status


@dataclass(frozen=True)
class Form:
    """How to read form-data where part 2 accepts it ("JSON格式，form-data格式"): every field
    arrives as text; these name the ones that are lists, booleans or whole numbers."""

    lists: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()

    def read(self, fields: MultiDict) -> dict:
        data = {}
        for key in fields:
            values = fields.getlist(key)
            if key in self.lists:
                data[key] = _form_list(values)
            elif key in self.flags:
                data[key] = {"true": True, "1": True, "false": False, "0": False}.get(values[-1].strip().lower(),
                                                                                   values[-1])
            elif key in self.numbers:
                text_value = values[-1].strip()
                data[key] = int(text_value) if text_value.isdigit() else text_value
            else:
                data[key] = values[-1]
        return data


def _form_list(values: list[str]) -> list[str] | str:
    """A repeated field, one field holding a JSON array, or one comma-separated field."""
    if len(values) > 1:
        return values
    value = values[0].strip()
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value  # refused by the endpoint's own check
        return parsed if isinstance(parsed, list) else value
    return [item.strip() for item in value.split(",") if item.strip()]


def body(form: Form | None = None) -> dict:
    """The request's parameters: a JSON object, or form-data where `form` says how to read it.
    Another content type answers 41591 (CONTENT_TYPE_ERROR, HTTP 415); an empty or non-object
    JSON body 40002 (EMPTY_REQUEST_JSON). A body sent without any Content-Type is read as JSON."""
    mimetype = request.mimetype
    if form is not None and mimetype in FORM_TYPES:
        return form.read(request.form)
    if mimetype == "application/json" or mimetype.endswith("+json") or not mimetype:
        data = request.get_json(force=True, silent=True)
        if isinstance(data, dict):
            return data
        if mimetype or not request.get_data():
            raise BadRequest(EMPTY_JSON, "Send a JSON object as the body.")
    accepted = "application/json" + (", multipart/form-data or application/x-www-form-urlencoded" if form else "")
    raise BadRequest(CONTENT_TYPE_ERROR, f"Content-Type {mimetype or '(none)'} is not accepted here: send {accepted}.",
                     415)


def text(data: dict, key: str) -> str:
    value = data.get(key)
    if value is None:
        raise BadRequest(PARAM_ERROR, f"{key} is required.")
    if not isinstance(value, str):
        raise BadRequest(PARAM_ERROR, f"{key} must be a string.")
    return value


def flag(data: dict, key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise BadRequest(NOT_BOOLEAN, f"{key} must be true or false.")
    return value


def id_list(data: dict) -> list[str]:
    ids = data.get("identity_id")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise BadRequest(PARAM_ERROR, "identity_id must be a non-empty list of strings.")
    return ids


def local_api(agent) -> Blueprint:
    api = Blueprint("local_api", __name__, url_prefix="/SophonFogSys/api")

    @api.errorhandler(BadRequest)
    def bad_request(exc: BadRequest):
        return error(exc.code, exc.message, exc.http_status)

    def group_routes(path: str, kind: str, key: str, list_key: str, member_tag) -> None:
        def create():
            data = body()
            name, description = text(data, key), text(data, "description")
            if name == "":
                raise BadRequest(GROUP_NAME_ERROR, f"{key} must not be ''.")
            info = data.get("info") or {}
            if not isinstance(info, dict) or {"name", "description"} & set(info):
                raise BadRequest(PARAM_ERROR, "info must be an object without name or description.")
            if not agent.store.save_local_group(kind, name, description, info, create=True):
                raise BadRequest(GROUP_NAME_ERROR, f"{name!r} exists already.")
            return jsonify({"data": {"info": {"name": name, "description": description}}})

        def read():
            name = request.args.get(key)
            found = agent.store.local_groups(kind, name)
            if name is not None and not found:
                raise BadRequest(NOT_FOUND, f"no group {name!r}.", 404)
            return jsonify({"data": {list_key: found}})

        def update():
            data = body()
            name, description = text(data, key), text(data, "description")
            info = data.get("info")
            if info is not None and (not isinstance(info, dict) or "description" in info):
                raise BadRequest(PARAM_ERROR, "info must be an object without description.")
            if not agent.store.save_local_group(kind, name, description, info, create=False):
                raise BadRequest(NOT_FOUND, f"no group {name!r}.", 404)
            return jsonify({"data": {"info": {"name": name, "description": description}}})

        def delete():
            data = body()
            name, recursive = text(data, key), flag(data, "user_recursive_delete")
            if not agent.store.delete_local_group(kind, name):
                raise BadRequest(NOT_FOUND, f"no group {name!r}.", 404)
            members = agent.gallery.members(member_tag(name))
            if recursive:
                for identity_id in members:
                    agent.gallery.delete(identity_id)
                message = f"delete the group info and the {len(members)} user(s) in it"
            else:
                for identity_id in members:
                    person = agent.gallery.get(identity_id)
                    agent.gallery.set_groups(identity_id, [g for g in person.groups if g != member_tag(name)])
                message = "just delete the group info, the users remain"
            return jsonify({"data": {"message": message, key: name}})

        for method, view in (("POST", create), ("GET", read), ("PUT", update), ("DELETE", delete)):
            api.add_url_rule(path, f"{kind}_{method.lower()}", view, methods=[method])

    group_routes("/permissions", "permission", "permission_name", "permissions_list", lambda name: name)
    group_routes("/groups", "face", "group_name", "groups_list", lambda name: FACE_PREFIX + name)

    def group_users(adding: bool):
        data = body()
        name, ids, with_ids = text(data, "group_name"), id_list(data), flag(data, "with_identity_id")
        if not agent.store.local_groups("face", name):
            raise BadRequest(NOT_FOUND, f"no group {name!r}.", 404)
        missing = [i for i in ids if i not in agent.gallery]
        if missing:
            raise BadRequest(ID_NOT_FOUND, f"unknown identity_id: {', '.join(missing[:20])}.", 404)
        tag = FACE_PREFIX + name
        for identity_id in ids:
            groups = [g for g in agent.gallery.get(identity_id).groups if g != tag]
            agent.gallery.set_groups(identity_id, groups + [tag] if adding else groups)
        reply = {"group_name": name}
        if not adding:
            reply["message"] = f"{len(ids)} user(s) removed from the group"
        if with_ids:
            reply["identity_id"] = agent.gallery.members(tag)
        return jsonify({"data": reply})

    api.add_url_rule("/GroupUsers", "group_users_put", lambda: group_users(True), methods=["PUT"])
    api.add_url_rule("/GroupUsers", "group_users_delete", lambda: group_users(False), methods=["DELETE"])
    user_routes(api, agent)
    setting_routes(api, agent)
    from .input_api import input_routes

    input_routes(api, agent)
    return api


def user_routes(api: Blueprint, agent) -> None:
    """§4.3 people on the box: created from a base64 photo through the face engine."""
    from .face.gallery import Person

    def decode_photo(value) -> bytes:
        if not isinstance(value, str) or not value:
            raise BadRequest(PARAM_ERROR, "reg_photo (base64) is required.")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest(40003, "reg_photo is not valid base64.") from exc

    def permission_ids(person: Person) -> list[str]:
        return [g for g in person.groups if not g.startswith(FACE_PREFIX)] or ["0"]

    def describe(person: Person, with_photo: bool) -> dict:
        photo = agent.photos.load(person.identity_id) if with_photo else None
        return {
            "identity_id": person.identity_id,
            "group_name": face_groups(person.groups),
            "info": {**person.extra, "name": person.name, "type": person.person_type,
                     "permission_ids": permission_ids(person), "user_id": person.identity_id,
                     IMAGE_ID: image_id_of(person)},
            "reg_photo": base64.b64encode(photo).decode() if photo else "",
        }

    def enrol(identity_id: str, photo: bytes, person_type: int):
        level = "custom" if person_type == 4 else "high"
        try:
            return agent.engine.enrol(photo, level=level)
        except ContractCodeError as exc:
            raise BadRequest(exc.code, exc.message) from exc

    def info_of(data: dict, required: bool) -> dict:
        info = data.get("info")
        if info is None and not required:
            return {}
        if not isinstance(info, dict):
            raise BadRequest(PARAM_ERROR, "info (an object) is required.")
        if "type" in info and info["type"] not in (1, 2, 3, 4, 5):
            raise BadRequest(PARAM_ERROR, "info.type must be 1..5.")
        ids = info.get("permission_ids")
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
            raise BadRequest(PARAM_ERROR, "info.permission_ids must be a list of strings.")
        return info

    def extra_of(info: dict) -> dict:
        return {k: v for k, v in info.items() if k not in ("name", "type", "permission_ids", "user_id", IMAGE_ID)}

    @api.post("/users")
    def create_user():
        data = body()
        identity_id, group_text = text(data, "identity_id"), text(data, "group_name")
        info = info_of(data, required=True)
        name = info.get("name")
        if not isinstance(name, str):
            raise BadRequest(PARAM_ERROR, "info.name is required.")
        ignore_exist, create_permissions = flag(data, "ignore_exist"), flag(data, "create_no_exit_permission")
        if identity_id == "":
            raise BadRequest(PARAM_ERROR, "identity_id must not be ''.")
        existing = agent.gallery.get(identity_id)
        if existing is not None and not ignore_exist:
            raise BadRequest(40011, f"identity_id {identity_id!r} already exists.", 409)
        groups = [g.strip() for g in group_text.split(",") if g.strip()]
        if not groups:  # upstream 40012: a face group name that is empty
            raise BadRequest(GROUP_NAME_ERROR, "group_name must name at least one group.")
        unknown = [g for g in groups if not agent.store.local_groups("face", g)]
        if unknown:
            raise BadRequest(NOT_FOUND, f"no group {', '.join(unknown)}.", 404)
        permissions = info.get("permission_ids") or ["0"]
        if create_permissions:
            for permission in permissions:
                agent.store.save_local_group("permission", permission, "", {}, create=True)
        person_type = int(info.get("type", 1))
        photo = decode_photo(data.get("reg_photo"))
        face = enrol(identity_id, photo, person_type)
        if existing is not None:  # ignore_exist: keep its groups, add these
            groups = face_groups(existing.groups) + [g for g in groups if g not in face_groups(existing.groups)]
        person = Person(identity_id, name, person_type,
                        tuple(permissions) + tuple(FACE_PREFIX + g for g in groups),
                        {**extra_of(info), IMAGE_ID: new_image_id()})
        agent.photos.save(identity_id, photo)
        agent.gallery.upsert(person, face.embedding)
        reply = describe(person, with_photo=False)
        reply["group_name"] = ",".join(groups)
        return jsonify({"data": reply})

    @api.get("/users")
    def read_users():
        identity_id, group = request.args.get("identity_id"), request.args.get("group_name")
        if identity_id is not None:
            person = agent.gallery.get(identity_id)
            if person is None:
                raise BadRequest(ID_NOT_FOUND, f"no person {identity_id!r}.", 404)
            return jsonify({"data": {"identities_list": [describe(person, with_photo=True)]}})
        if group is None:
            raise BadRequest(PARAM_ERROR, "identity_id or group_name is required.")
        try:
            limit = int(request.args.get("limit", 10))
            skip = int(request.args.get("skip_num", 0))
        except ValueError as exc:
            raise BadRequest(PARAM_ERROR, "limit and skip_num must be integers.") from exc
        if limit < 1 or skip < 0:
            raise BadRequest(PARAM_ERROR, "limit must be at least 1 and skip_num not negative.")
        members = sorted(agent.gallery.members(FACE_PREFIX + group))
        page = [describe(agent.gallery.get(i), with_photo=True) for i in members[skip : skip + limit]]
        return jsonify({"data": {"identities_list": page, "total": len(members)}})

    @api.put("/users")
    def update_user():
        data = body()
        identity_id = text(data, "identity_id")
        info = info_of(data, required=True)
        person = agent.gallery.get(identity_id)
        if person is None:
            raise BadRequest(ID_NOT_FOUND, f"no person {identity_id!r}.", 404)
        person_type = int(info.get("type", person.person_type))
        permissions = info.get("permission_ids")
        groups = (tuple(permissions) if permissions is not None else tuple(permission_ids(person))) + tuple(
            FACE_PREFIX + g for g in face_groups(person.groups))
        extra = {**person.extra, **extra_of(info), IMAGE_ID: image_id_of(person)}
        if data.get("reg_photo"):
            photo = decode_photo(data["reg_photo"])
            embedding = enrol(identity_id, photo, person_type).embedding
            agent.photos.save(identity_id, photo)
            extra[IMAGE_ID] = new_image_id()
        else:
            embedding = agent.gallery.embedding(identity_id)
        updated = Person(identity_id, info.get("name", person.name), person_type, groups, extra)
        agent.gallery.upsert(updated, embedding)
        reply = describe(updated, with_photo=False)
        del reply["reg_photo"]
        reply[IMAGE_ID] = extra[IMAGE_ID]  # part 2 §4.3.3
        return jsonify({"data": reply})

    @api.delete("/users")
    def delete_user():
        identity_id = text(body(), "identity_id")
        person = agent.gallery.get(identity_id)
        if person is None:
            raise BadRequest(ID_NOT_FOUND, f"no person {identity_id!r}.", 404)
        agent.gallery.delete(identity_id)
        agent.photos.delete(identity_id)
        return jsonify({"data": {"identity_id": identity_id, "group_name": face_groups(person.groups),
                                 "message": "have remove from group success"}})


def setting_routes(api: Blueprint, agent) -> None:
    """§4.4–4.5 settings kept in the agent's store; the event and status senders read them."""

    def url_list(value, key: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(u, str) and u.startswith(("http://", "https://"))
                                                  for u in value):
            raise BadRequest(PARAM_ERROR, f"{key} must be a list of http(s) URLs.")
        return value

    def content_type(data: dict) -> str:
        value = text(data, "content-type")
        if value not in ("json", "form-data"):
            raise BadRequest(PARAM_ERROR, "content-type must be json or form-data.")
        return value

    def period(data: dict) -> int:
        value = data.get("reported_peroid")  # sic: upstream's spelling
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise BadRequest(PARAM_ERROR, "reported_peroid must be a whole number of seconds, at least 1.")
        return value

    def optional_flag(data: dict, key: str) -> bool:
        return flag(data, key) if key in data else True

    @api.post("/GateControllerMode")
    def set_mode():
        mode = text(body(Form()), "controller_mode")
        if not mode:
            raise BadRequest(PARAM_ERROR, "controller_mode must not be ''.")
        agent.store.set("controller_mode", mode)
        return jsonify({"data": {"controller_mode": mode}})

    @api.get("/GateControllerMode")
    def get_mode():
        return jsonify({"data": {"controller_mode": agent.store.get("controller_mode", "opendoor")}})

    @api.post("/EventServerUrl")
    def set_event_servers():
        data = body(Form(lists=("event_server_url",), flags=("real_need_reg_pic",)))
        setting = {"event_server_url": url_list(data.get("event_server_url"), "event_server_url"),
                   "real_need_reg_pic": optional_flag(data, "real_need_reg_pic"),
                   "content-type": content_type(data)}
        agent.store.set("event_server", setting)
        return jsonify({"data": setting})

    @api.get("/EventServerUrl")
    def get_event_servers():
        return jsonify({"data": agent.store.get("event_server", {
            "event_server_url": [], "real_need_reg_pic": True, "content-type": "json"})})

    @api.post("/HistoryEventUrl")
    def set_history_servers():
        data = body(Form(lists=("history_upload_event_url",), flags=("history_need_reg_pic",),
                         numbers=("reported_peroid",)))
        setting = {"history_upload_event_url": url_list(data.get("history_upload_event_url"),
                                                        "history_upload_event_url"),
                   "history_need_reg_pic": optional_flag(data, "history_need_reg_pic"),
                   "content-type": content_type(data), "reported_peroid": period(data)}
        agent.store.set("history_server", setting)
        return jsonify({"data": {"message": "ok", **setting}})

    @api.get("/HistoryEventUrl")
    def get_history_servers():
        return jsonify({"data": agent.store.get("history_server", {
            "history_upload_event_url": [], "history_need_reg_pic": True, "content-type": "json",
            "reported_peroid": 20})})

    @api.post("/MonitorServerUrl")
    def set_monitor_server():
        data = body(Form(numbers=("reported_peroid",)))
        url = text(data, "monitor_server_url")
        if not url.startswith(("http://", "https://")):
            raise BadRequest(PARAM_ERROR, "monitor_server_url must be an http(s) URL.")
        if content_type(data) != "json":
            raise BadRequest(PARAM_ERROR, "only json is supported for status reports.")
        agent.store.set("monitor_server", {"monitor_server_url": url, "reported_peroid": period(data)})
        return jsonify({"data": "ok"})

    @api.get("/MonitorServerUrl")
    def get_monitor_server():
        return jsonify({"data": agent.store.get("monitor_server", {"monitor_server_url": "", "reported_peroid": 20})})

    @api.put("/EventAction")
    def event_action():
        from .relay import Action

        actions = body().get("action")
        if not isinstance(actions, list) or not actions:
            raise BadRequest(PARAM_ERROR, "action must be a non-empty list.")
        parsed = []
        for entry in actions:
            if not isinstance(entry, dict):
                raise BadRequest(PARAM_ERROR, "each action must be an object.")
            duration, port = entry.get("action_duration", 5), entry.get("logic_port", 0)
            if not isinstance(duration, int) or not isinstance(port, int):
                raise BadRequest(PARAM_ERROR, "action_duration and logic_port must be integers.")
            parsed.append(Action(text(entry, "action_ip"), str(entry.get("action_port") or ""),
                                 text(entry, "action_mode"), duration, port))
            if not parsed[-1].action_port:
                raise BadRequest(PARAM_ERROR, "action_port is required.")
        try:
            for action in parsed:
                agent.relay.perform(action)
        except requests.RequestException as exc:
            raise BadRequest(50072, f"the relay did not answer: {exc}", 502) from exc
        return jsonify({"data": {"message": "ok", "action_mode": ",".join(a.action_mode for a in parsed)}})

    @api.post("/WipeData")
    def wipe_data():
        try:
            options = wipe_options(body().get("wipe_options"))
        except ValueError as exc:
            raise BadRequest(PARAM_ERROR, f"{exc}.") from exc
        wipe(options, agent.store, agent.gallery, agent.photos, agent.events)
        return jsonify({"data": {"wipe_options": options}})
