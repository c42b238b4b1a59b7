"""Part 2 §4.3: people on the box, created from a base64 photo through the one enrolment
path (edge_agent/enrolment.py) the platform's add_users_plus takes too."""
from __future__ import annotations

import base64
from dataclasses import dataclass, replace

from flask import Blueprint, request

from aibox_contract.codes import ContractCodeError

from ..enrolment import CUSTOM, HIGH, Enroller
from ..face.gallery import Gallery, Person
from ..local_data import FACE_PREFIX, IMAGE_ID, face_groups, image_id_of
from ..photos import PhotoStore
from ..store import Store
from .bodies import (
    GROUP_NAME_ERROR,
    ID_NOT_FOUND,
    NOT_FOUND,
    PARAM_ERROR,
    BadRequest,
    base64_bytes,
    body,
    data,
    flag,
    text,
)

BAD_BASE64 = 40003
NOT_EXTRA = ("name", "type", "permission_ids", "user_id", IMAGE_ID)


def info_of(values: dict) -> dict:
    info = values.get("info")
    if not isinstance(info, dict):
        raise BadRequest(PARAM_ERROR, "info (an object) is required.")
    if "type" in info and info["type"] not in (1, 2, 3, 4, 5):
        raise BadRequest(PARAM_ERROR, "info.type must be 1..5.")
    ids = info.get("permission_ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
        raise BadRequest(PARAM_ERROR, "info.permission_ids must be a list of strings.")
    return info


def extra_of(info: dict) -> dict:
    """What info holds beyond the fields the box keeps itself: kept as the person's extra details."""
    return {k: v for k, v in info.items() if k not in NOT_EXTRA}


def photo_of(value) -> bytes:
    if not isinstance(value, str) or not value:
        raise BadRequest(PARAM_ERROR, "reg_photo (base64) is required.")
    return base64_bytes(value, BAD_BASE64, "reg_photo")


def level_of(person_type: int) -> str:
    return CUSTOM if person_type == 4 else HIGH


@dataclass(frozen=True)
class NewPerson:
    """POST users (§4.3.1). The photo stays base64 until the groups are checked, as before."""

    identity_id: str
    groups: list[str]
    info: dict
    name: str
    ignore_exist: bool
    create_permissions: bool
    reg_photo: object

    @classmethod
    def read(cls) -> NewPerson:
        values = body()
        identity_id, group_text = text(values, "identity_id"), text(values, "group_name")
        info = info_of(values)
        name = info.get("name")
        if not isinstance(name, str):
            raise BadRequest(PARAM_ERROR, "info.name is required.")
        ignore_exist, create_permissions = flag(values, "ignore_exist"), flag(values, "create_no_exit_permission")
        if identity_id == "":
            raise BadRequest(PARAM_ERROR, "identity_id must not be ''.")
        groups = [g.strip() for g in group_text.split(",") if g.strip()]
        return cls(identity_id, groups, info, name, ignore_exist, create_permissions, values.get("reg_photo"))

    @property
    def permissions(self) -> list[str]:
        return self.info.get("permission_ids") or ["0"]

    @property
    def extra(self) -> dict:
        return extra_of(self.info)


@dataclass(frozen=True)
class PersonChange:
    """PUT users (§4.3.3): new details, and a new photo (base64) when reg_photo is set."""

    identity_id: str
    info: dict
    reg_photo: object

    @classmethod
    def read(cls) -> PersonChange:
        values = body()
        return cls(text(values, "identity_id"), info_of(values), values.get("reg_photo"))


class PeopleRoutes:
    def __init__(self, groups: Store, gallery: Gallery, photos: PhotoStore, enroller: Enroller) -> None:
        self.groups = groups
        self.gallery = gallery
        self.photos = photos
        self.enroller = enroller

    def register(self, api: Blueprint) -> None:
        api.add_url_rule("/users", "create_user", self.create, methods=["POST"])
        api.add_url_rule("/users", "read_users", self.read, methods=["GET"])
        api.add_url_rule("/users", "update_user", self.update, methods=["PUT"])
        api.add_url_rule("/users", "delete_user", self.delete, methods=["DELETE"])

    def enrol(self, person: Person, photo: bytes) -> Person:
        try:
            return self.enroller.enrol(person, photo, level_of(person.person_type))
        except ContractCodeError as exc:
            raise BadRequest(exc.code, exc.message) from exc

    def describe(self, person: Person, with_photo: bool) -> dict:
        photo = self.photos.load(person.identity_id) if with_photo else None
        return {
            "identity_id": person.identity_id,
            "group_name": face_groups(person.groups),
            "info": {**person.extra, "name": person.name, "type": person.person_type,
                     "permission_ids": permission_ids(person), "user_id": person.identity_id,
                     IMAGE_ID: image_id_of(person)},
            "reg_photo": base64.b64encode(photo).decode() if photo else "",
        }

    def create(self):
        new = NewPerson.read()
        existing = self.gallery.get(new.identity_id)
        if existing is not None and not new.ignore_exist:
            raise BadRequest(40011, f"identity_id {new.identity_id!r} already exists.", 409)
        groups = new.groups
        if not groups:  # upstream 40012: a face group name that is empty
            raise BadRequest(GROUP_NAME_ERROR, "group_name must name at least one group.")
        unknown = [g for g in groups if not self.groups.local_groups("face", g)]
        if unknown:
            raise BadRequest(NOT_FOUND, f"no group {', '.join(unknown)}.", 404)
        if new.create_permissions:
            for permission in new.permissions:
                self.groups.save_local_group("permission", permission, "", {}, create=True)
        person_type = int(new.info.get("type", 1))
        photo = photo_of(new.reg_photo)
        if existing is not None:  # ignore_exist: keep its groups, add these
            kept = face_groups(existing.groups)
            groups = kept + [g for g in groups if g not in kept]
        person = Person(new.identity_id, new.name, person_type,
                        tuple(new.permissions) + tuple(FACE_PREFIX + g for g in groups), new.extra)
        reply = self.describe(self.enrol(person, photo), with_photo=False)
        reply["group_name"] = ",".join(groups)
        return data(reply)

    def read(self):
        identity_id, group = request.args.get("identity_id"), request.args.get("group_name")
        if identity_id is not None:
            person = self.gallery.get(identity_id)
            if person is None:
                raise BadRequest(ID_NOT_FOUND, f"no person {identity_id!r}.", 404)
            return data({"identities_list": [self.describe(person, with_photo=True)]})
        if group is None:
            raise BadRequest(PARAM_ERROR, "identity_id or group_name is required.")
        try:
            limit = int(request.args.get("limit", 10))
            skip = int(request.args.get("skip_num", 0))
        except ValueError as exc:
            raise BadRequest(PARAM_ERROR, "limit and skip_num must be integers.") from exc
        if limit < 1 or skip < 0:
            raise BadRequest(PARAM_ERROR, "limit must be at least 1 and skip_num not negative.")
        members = sorted(self.gallery.members(FACE_PREFIX + group))
        page = [self.describe(self.gallery.get(i), with_photo=True) for i in members[skip : skip + limit]]
        return data({"identities_list": page, "total": len(members)})

    def update(self):
        change = PersonChange.read()
        info = change.info
        person = self.gallery.get(change.identity_id)
        if person is None:
            raise BadRequest(ID_NOT_FOUND, f"no person {change.identity_id!r}.", 404)
        permissions = info.get("permission_ids")
        groups = (tuple(permissions) if permissions is not None else tuple(permission_ids(person))) + tuple(
            FACE_PREFIX + g for g in face_groups(person.groups))
        extra = {**person.extra, **extra_of(info), IMAGE_ID: image_id_of(person)}
        updated = replace(person, name=info.get("name", person.name),
                          person_type=int(info.get("type", person.person_type)), groups=groups, extra=extra)
        if change.reg_photo:
            updated = self.enrol(updated, photo_of(change.reg_photo))
        else:
            self.enroller.update(updated)
        reply = self.describe(updated, with_photo=False)
        del reply["reg_photo"]
        reply[IMAGE_ID] = updated.extra[IMAGE_ID]  # part 2 §4.3.3
        return data(reply)

    def delete(self):
        identity_id = text(body(), "identity_id")
        person = self.gallery.get(identity_id)
        if person is None:
            raise BadRequest(ID_NOT_FOUND, f"no person {identity_id!r}.", 404)
        self.gallery.delete(identity_id)
        self.photos.delete(identity_id)
        return data({"identity_id": identity_id, "group_name": face_groups(person.groups),
                     "message": "have remove from group success"})


def permission_ids(person: Person) -> list[str]:
    return [g for g in person.groups if not g.startswith(FACE_PREFIX)] or ["0"]
