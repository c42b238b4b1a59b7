"""The MQ commands of upstream §5 (CONTRACT.md §3), applied to the box's gallery.

Every message yields exactly one result (upstream §5.4): malformed messages, unknown
methods and missing fields get code 40071, never an exception. Per person, the
contract's codes: 50073 photo or details not fetched, 50074 bad data from the
platform (a details answer that is not §6.1's JSON included), 4000x from the face
engine (no face, low quality, face too small, ...). add_users_plus succeeds as a
command when it ran, listing who failed (§5.1.1); it fails as a whole only when
nobody's details could be had.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass

import requests

from aibox_contract.codes import (
    MQ_PARAM_ERROR,
    NO_FACE,
    REMOTE_DATA_FAILED,
    REMOTE_SERVER_FAILED,
    SERVER_PROCESS_FAILED,
    ContractCodeError,
)

from .enrolment import CUSTOM, HIGH, Enroller
from .events import EventStore
from .face.engine import FaceEngine
from .face.gallery import Gallery, Person
from .local_data import DEFAULT_TAG, FACE_PREFIX, IMAGE_ID, ensure_default_group, wipe, wipe_options
from .photos import PhotoStore
from .platform import PlatformClient, RemoteDataError, Session
from .store import Store

logger = logging.getLogger(__name__)
DETAILS_CHUNK = 50
METHODS = ("add_users_plus", "delete_users", "wipe_data", "fiqa")


@dataclass
class Outcome:
    message_id: str | None
    method: str
    result: dict
    extend_params: dict


class BadCommand(ValueError):
    pass


class CommandProcessor:
    def __init__(self, enroller: Enroller, engine: FaceEngine, gallery: Gallery, store: Store,
                 platform: PlatformClient, photos: PhotoStore, events: EventStore) -> None:
        self.enroller = enroller
        self.engine = engine
        self.gallery = gallery
        self.store = store
        self.platform = platform
        self.photos = photos
        self.events = events

    def process(self, body: bytes, session: Session) -> Outcome:
        message_id, method, extend = None, "unknown", {}
        try:
            command = json.loads(body)
            if not isinstance(command, dict):
                raise BadCommand("the message is not a JSON object")
            message_id = str(command["messageId"]) if command.get("messageId") else None
            method = str(command.get("method") or "unknown")
            extend = command.get("extend_params")
            if not isinstance(extend, dict):
                raise BadCommand("extend_params (an object) is required")
            if method not in METHODS:
                raise BadCommand(f"unknown method {method!r}")
            if message_id and (done := self.store.handled_result(message_id)) is not None:
                logger.info("%s %s already handled: answering again", method, message_id)
                return Outcome(message_id, method, done, extend)
            result = getattr(self, f"_{method}")(command, session, message_id)
        except (ValueError, KeyError, TypeError, BadCommand) as exc:  # JSONDecodeError is a ValueError
            result = {"success": False, "code": MQ_PARAM_ERROR, "message": f"bad command: {exc}", "result": {}}
        except Exception as exc:  # keep the agent alive; say what went wrong
            logger.exception("command %s failed", method)
            result = {"success": False, "code": SERVER_PROCESS_FAILED, "message": str(exc)[:300], "result": {}}
        envelope = {"success": result["success"], "code": result["code"], "message": result["message"],
                    "dev_sno": session.dev_sno, "messageKey": method, "result": result["result"]}
        if message_id:
            envelope["messageId"] = message_id
        return Outcome(message_id, method, envelope, extend if isinstance(extend, dict) else {})

    # --- add_users_plus ------------------------------------------------------------
    def _add_users_plus(self, command: dict, session: Session, message_id: str | None) -> dict:
        ensure_default_group(self.store)  # upstream v1.0.2: created by default when users are sent
        done = self.store.progress(message_id) if message_id else {}
        entries, failures = self._people(command, session, skip=set(done))
        outcomes = dict(done)
        for identity_id, (code, message) in failures.items():
            outcomes[identity_id] = {"userid": identity_id, "username": "", "code": code, "message": message}
        for entry in entries:
            identity_id = str(entry.get("identity_id") or "")
            if not identity_id or identity_id in outcomes:
                continue
            outcome = self._enrol(entry, session)
            outcomes[identity_id] = outcome
            if message_id:
                self.store.record_progress(message_id, identity_id, outcome)
        succeeded = [o for o in outcomes.values() if o["code"] == 0]
        failed = [o for o in outcomes.values() if o["code"] != 0]
        result = {"success_users": succeeded, "failed_users": failed}
        message = f"{len(succeeded)} enrolled, {len(failed)} failed"
        if failures and len(failures) == len(outcomes):
            # Nobody's details could be had: the command as a whole failed (upstream §5.4).
            codes = {code for code, _ in failures.values()}
            code = REMOTE_SERVER_FAILED if REMOTE_SERVER_FAILED in codes else REMOTE_DATA_FAILED
            return {"success": False, "code": code, "message": message, "result": result}
        # Upstream §5.1.1: the command ran; people who failed are listed with their own codes.
        return {"success": True, "code": 0, "message": message, "result": result}

    def _people(self, command: dict, session: Session, skip: set[str]) -> tuple[list[dict], dict]:
        if isinstance(command.get("user_info_list"), list):
            return [e for e in command["user_info_list"] if isinstance(e, dict)], {}
        ids = command.get("userid_list")
        if not isinstance(ids, list):
            raise BadCommand("userid_list or user_info_list is required")
        ids = [str(i) for i in ids if str(i) not in skip]
        path = command["extend_params"].get("path")
        if not path:
            raise BadCommand("extend_params.path is required with userid_list")
        url = session.platform_url(path)
        entries, failures = [], {}
        for start in range(0, len(ids), DETAILS_CHUNK):
            chunk = ids[start : start + DETAILS_CHUNK]
            try:
                found = self.platform.details(url, chunk)
            except RemoteDataError as exc:  # it answered, but not with §6.1's data
                failures.update({i: (REMOTE_DATA_FAILED, f"bad details: {exc}"[:300]) for i in chunk})
                continue
            except (requests.RequestException, ValueError) as exc:
                failures.update({i: (REMOTE_SERVER_FAILED, f"details not fetched: {exc}"[:300]) for i in chunk})
                continue
            entries += found
            returned = {str(e.get("identity_id")) for e in found if isinstance(e, dict)}
            failures.update({i: (REMOTE_DATA_FAILED, "the platform returned no details") for i in chunk
                             if i not in returned})
        return entries, failures

    def _enrol(self, entry: dict, session: Session) -> dict:
        identity_id = str(entry["identity_id"])
        info = entry.get("info") if isinstance(entry.get("info"), dict) else {}
        name = str(info.get("name", ""))
        outcome = {"userid": identity_id, "username": name}
        permissions = tuple(str(g) for g in info.get("permission_ids") or ["0"])
        existing = self.gallery.get(identity_id)
        comparison = [g for g in (existing.groups if existing else ()) if g.startswith(FACE_PREFIX)]
        if DEFAULT_TAG not in comparison:
            comparison.append(DEFAULT_TAG)  # sent by the cloud: in the default comparison group
        extra = {k: v for k, v in info.items() if k not in ("name", "type", "permission_ids", IMAGE_ID)}
        person = Person(identity_id, name, int(info.get("type", 1) or 1), permissions + tuple(comparison), extra)
        try:
            photos = self._photos(entry, session)
            self.enroller.enrol_all(person, photos, CUSTOM if int(entry.get("register_type", 1) or 1) == 2 else HIGH)
        except ContractCodeError as exc:
            return {**outcome, "code": exc.code, "message": exc.message}
        self.photos.hold(identity_id, photos)
        return {**outcome, "code": 0, "message": "enrolled"}

    def _photos(self, entry: dict, session: Session) -> list[bytes]:
        """The person's photos: every one our platform lists in `ext_photos` (its extension,
        docs/contract-extensions.md), the primary first, else the one §6.1 photo. A further photo
        that cannot be fetched is left out (the person still enrols with the others); the first's
        failure is the person's, as a lone photo's is."""
        extra = entry.get("ext_photos")
        if not isinstance(extra, list) or not extra or not all(isinstance(e, dict) for e in extra):
            return [self._photo(entry, session)]
        photos = [self._photo(extra[0], session)]
        for further in extra[1:]:
            try:
                photos.append(self._photo(further, session))
            except ContractCodeError as exc:
                logger.warning("person %s: a further photo is left out: %s", entry.get("identity_id"), exc.message)
        return photos

    def _photo(self, entry: dict, session: Session) -> bytes:
        """The photo an entry gives: inline, or fetched, unless the entry names it by its hash
        (`sha256`, our platform's ext_photos) and the box already holds it."""
        if entry.get("sha256") and (held := self.photos.held(str(entry["sha256"]))) is not None:
            return held
        if entry.get("reg_photo"):
            try:
                return base64.b64decode(entry["reg_photo"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ContractCodeError(REMOTE_DATA_FAILED, "reg_photo is not valid base64") from exc
        if entry.get("reg_url"):
            url = str(entry["reg_url"])
        elif entry.get("relative_pic_url"):
            url = session.photo_url(str(entry["relative_pic_url"]))
        else:
            raise ContractCodeError(REMOTE_DATA_FAILED, "no reg_photo, reg_url or relative_pic_url")
        try:
            return self.platform.photo(url)
        except requests.RequestException as exc:
            raise ContractCodeError(REMOTE_SERVER_FAILED, f"photo not fetched: {exc}"[:300]) from exc

    # --- the others ---------------------------------------------------------------------
    def _delete_users(self, command: dict, session: Session, message_id: str | None) -> dict:
        ids = command.get("userid_list")
        if not isinstance(ids, list):
            raise BadCommand("userid_list is required")
        deleted = []
        for identity_id in map(str, ids):
            removed = self.gallery.delete(identity_id)
            self.photos.delete(identity_id)
            deleted.append({"userid": identity_id, "code": 0, "message": "deleted" if removed else "not on this box"})
        return {"success": True, "code": 0, "message": f"{len(deleted)} deleted",
                "result": {"success_users": deleted, "failed_users": []}}

    def _wipe_data(self, command: dict, session: Session, message_id: str | None) -> dict:
        try:
            options = wipe_options(command.get("wipe_options"))
        except ValueError as exc:
            raise BadCommand(str(exc)) from exc
        wipe(options, self.store, self.gallery, self.photos, self.events)
        return {"success": True, "code": 0, "message": "wiped", "result": {"wipe_options": options}}

    def _fiqa(self, command: dict, session: Session, message_id: str | None) -> dict:
        info = command.get("info")
        if not isinstance(info, dict) or not info.get("image_base64_str"):
            raise BadCommand("info.image_base64_str is required")
        level = info.get("fiqa_level") or "high"
        try:
            image = base64.b64decode(info["image_base64_str"], validate=True)
            faces = self.engine.analyse(image, embed=False).faces
            reports = [face.fiqa(level) for face in faces]
        except (binascii.Error, ValueError) as exc:
            raise BadCommand(f"bad image or level: {exc}") from exc
        except ContractCodeError as exc:
            return {"success": False, "code": exc.code, "message": exc.message, "result": {"data": []}}
        if not reports:
            return {"success": False, "code": NO_FACE, "message": "no face", "result": {"data": []}}
        return {"success": True, "code": 0, "message": "quality assessed", "result": {"data": reports}}
