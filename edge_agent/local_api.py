"""The box's local REST API of part 2 §4 (`/SophonFogSys/api/...`).

Replies are `{"data": ...}` or `{"error": {"code", "message", "status"}}` with the fog
API's codes: 40091 bad parameters, 40002 no JSON body, 40005 not a boolean, 40491 not
found, 40401 unknown identity_id, 40012 group name taken or empty. Convention
(CONTRACT.md §7): '' is a value; only null or absent is empty.

Permission groups (§4.1) are what the platform's `permission_ids` name; face groups
(§4.2) are comparison groups. In the gallery a person's groups hold the permission
ids as they are and face groups as `face:<name>`.
So far: §4.1 permissions, §4.2 groups and GroupUsers. The rest of §4 is still to come.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .api import error

PARAM_ERROR, EMPTY_JSON, NOT_BOOLEAN, NOT_FOUND, ID_NOT_FOUND, GROUP_NAME_ERROR = (
    40091, 40002, 40005, 40491, 40401, 40012)
FACE_PREFIX = "face:"


class BadRequest(Exception):
    def __init__(self, code: int, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.http_status = code, message, http_status


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(EMPTY_JSON, "Send a JSON object as the body.")
    return data


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
    return api
