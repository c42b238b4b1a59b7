"""Part 2 §4.1 permission groups and §4.2 comparison ("face") groups, with their members.

Permission groups are what the platform's `permission_ids` name; face groups are
comparison groups. In the gallery a person's groups hold the permission ids as they are
and face groups as `face:<name>`; `default_group` exists on every box and only people in
some comparison group are recognised (edge_agent/local_data.py). Both sections take the
same bodies and answers, so one class serves each, told its kind and field names.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, request

from ..face.gallery import Gallery
from ..local_data import FACE_PREFIX
from ..store import Store
from .bodies import GROUP_NAME_ERROR, ID_NOT_FOUND, NOT_FOUND, PARAM_ERROR, BadRequest, body, data, flag, id_list, text


@dataclass(frozen=True)
class GroupKind:
    kind: str  # the store's: "permission" or "face"
    path: str
    key: str  # the body's name field
    list_key: str  # the GET answer's list
    tag: Callable[[str], str]  # the group as a person's groups name it


PERMISSIONS = GroupKind("permission", "/permissions", "permission_name", "permissions_list", lambda name: name)
FACE_GROUPS = GroupKind("face", "/groups", "group_name", "groups_list", lambda name: FACE_PREFIX + name)


@dataclass(frozen=True)
class GroupBody:
    """POST/PUT/DELETE bodies of §4.1 and §4.2."""

    name: str
    description: str
    info: dict | None

    @classmethod
    def read(cls, kind: GroupKind, creating: bool) -> GroupBody:
        values = body()
        name, description, info = text(values, kind.key), text(values, "description"), values.get("info")
        if creating:
            if name == "":
                raise BadRequest(GROUP_NAME_ERROR, f"{kind.key} must not be ''.")
            info = info or {}
            if not isinstance(info, dict) or {"name", "description"} & set(info):
                raise BadRequest(PARAM_ERROR, "info must be an object without name or description.")
        elif info is not None and (not isinstance(info, dict) or "description" in info):
            raise BadRequest(PARAM_ERROR, "info must be an object without description.")
        return cls(name, description, info)


class GroupSection:
    def __init__(self, kind: GroupKind, store: Store, gallery: Gallery) -> None:
        self.kind = kind
        self.store = store
        self.gallery = gallery

    def register(self, api: Blueprint) -> None:
        for method, view in (("POST", self.create), ("GET", self.read), ("PUT", self.update), ("DELETE", self.delete)):
            api.add_url_rule(self.kind.path, f"{self.kind.kind}_{method.lower()}", view, methods=[method])

    def create(self):
        group = GroupBody.read(self.kind, creating=True)
        if not self.store.save_local_group(self.kind.kind, group.name, group.description, group.info, create=True):
            raise BadRequest(GROUP_NAME_ERROR, f"{group.name!r} exists already.")
        return data({"info": {"name": group.name, "description": group.description}})

    def read(self):
        name = request.args.get(self.kind.key)
        found = self.store.local_groups(self.kind.kind, name)
        if name is not None and not found:
            raise BadRequest(NOT_FOUND, f"no group {name!r}.", 404)
        return data({self.kind.list_key: found})

    def update(self):
        group = GroupBody.read(self.kind, creating=False)
        if not self.store.save_local_group(self.kind.kind, group.name, group.description, group.info, create=False):
            raise BadRequest(NOT_FOUND, f"no group {group.name!r}.", 404)
        return data({"info": {"name": group.name, "description": group.description}})

    def delete(self):
        values = body()
        name, recursive = text(values, self.kind.key), flag(values, "user_recursive_delete")
        if not self.store.delete_local_group(self.kind.kind, name):
            raise BadRequest(NOT_FOUND, f"no group {name!r}.", 404)
        tag = self.kind.tag(name)
        members = self.gallery.members(tag)
        if recursive:
            for identity_id in members:
                self.gallery.delete(identity_id)
            message = f"delete the group info and the {len(members)} user(s) in it"
        else:
            for identity_id in members:
                person = self.gallery.get(identity_id)
                self.gallery.set_groups(identity_id, [g for g in person.groups if g != tag])
            message = "just delete the group info, the users remain"
        return data({"message": message, self.kind.key: name})


class GroupRoutes:
    """§4.1, §4.2, and §4.2's GroupUsers: people put into or taken out of a comparison group."""

    def __init__(self, store: Store, gallery: Gallery) -> None:
        self.store = store
        self.gallery = gallery

    def register(self, api: Blueprint) -> None:
        GroupSection(PERMISSIONS, self.store, self.gallery).register(api)
        GroupSection(FACE_GROUPS, self.store, self.gallery).register(api)
        api.add_url_rule("/GroupUsers", "group_users_put", lambda: self.members(True), methods=["PUT"])
        api.add_url_rule("/GroupUsers", "group_users_delete", lambda: self.members(False), methods=["DELETE"])

    def members(self, adding: bool):
        values = body()
        name, ids, with_ids = text(values, "group_name"), id_list(values), flag(values, "with_identity_id")
        if not self.store.local_groups("face", name):
            raise BadRequest(NOT_FOUND, f"no group {name!r}.", 404)
        missing = [i for i in ids if i not in self.gallery]
        if missing:
            raise BadRequest(ID_NOT_FOUND, f"unknown identity_id: {', '.join(missing[:20])}.", 404)
        tag = FACE_PREFIX + name
        for identity_id in ids:
            groups = [g for g in self.gallery.get(identity_id).groups if g != tag]
            self.gallery.set_groups(identity_id, groups + [tag] if adding else groups)
        reply = {"group_name": name}
        if not adding:
            reply["message"] = f"{len(ids)} user(s) removed from the group"
        if with_ids:
            reply["identity_id"] = self.gallery.members(tag)
        return data(reply)
