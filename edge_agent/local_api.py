"""The box's local REST API of part 2 §4 (`/SophonFogSys/api/...`).

Replies are `{"data": ...}` or `{"error": {"code", "message", "status"}}` with the fog
API's codes: 40091 bad parameters, 40491 not found, 40012 group name taken or empty.
Convention (CONTRACT.md §7): '' is a value; only null or absent is empty.
So far: permission groups (§4.1). The rest of §4 is still to come.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .api import error

PARAM_ERROR, NOT_FOUND, GROUP_NAME_ERROR = 40091, 40491, 40012


def _body() -> dict | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def _text(body: dict, key: str, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise KeyError(key)
        return None
    if not isinstance(value, str):
        raise TypeError(key)
    return value


def local_api(agent) -> Blueprint:
    api = Blueprint("local_api", __name__, url_prefix="/SophonFogSys/api")

    @api.errorhandler(KeyError)
    def missing(exc):
        return error(PARAM_ERROR, f"{exc.args[0]} is required.")

    @api.errorhandler(TypeError)
    def wrong_type(exc):
        return error(PARAM_ERROR, f"{exc.args[0]} must be a string.")

    @api.post("/permissions")
    def create_permission():
        body = _body()
        if body is None:
            return error(40002, "Send a JSON body.")
        name, description = _text(body, "permission_name"), _text(body, "description")
        if name == "":
            return error(GROUP_NAME_ERROR, "permission_name must not be ''.")
        info = body.get("info") if isinstance(body.get("info"), dict) else {}
        if {"name", "description"} & set(info):
            return error(PARAM_ERROR, "info must not carry name or description.")
        if not agent.store.save_permission(name, description, info, create=True):
            return error(GROUP_NAME_ERROR, f"permission group {name!r} exists already.")
        return jsonify({"data": {"info": {"name": name, "description": description}}})

    @api.get("/permissions")
    def list_permissions():
        name = request.args.get("permission_name")
        found = agent.store.permissions(name)
        if name is not None and not found:
            return error(NOT_FOUND, f"no permission group {name!r}.", 404)
        return jsonify({"data": {"permissions_list": found}})

    @api.put("/permissions")
    def update_permission():
        body = _body()
        if body is None:
            return error(40002, "Send a JSON body.")
        name, description = _text(body, "permission_name"), _text(body, "description")
        if not agent.store.save_permission(name, description, create=False):
            return error(NOT_FOUND, f"no permission group {name!r}.", 404)
        return jsonify({"data": {"info": {"name": name, "description": description}}})

    @api.delete("/permissions")
    def delete_permission():
        body = _body() or {}
        name = _text(body, "permission_name")
        recursive = body.get("user_recursive_delete", False)
        if not isinstance(recursive, bool):
            return error(40005, "user_recursive_delete must be true or false.")
        if not agent.store.delete_permission(name):
            return error(NOT_FOUND, f"no permission group {name!r}.", 404)
        message = "delete the permission info"
        if recursive:
            members = agent.gallery.members(name)
            for identity_id in members:
                agent.gallery.delete(identity_id)
            message += f" and the {len(members)} user(s) in the permission"
        return jsonify({"data": {"message": message, "permission_name": name}})

    return api
