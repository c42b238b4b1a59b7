"""Box-facing endpoints of distribution: the details (upstream §6.1) and photos of the people a
box serves, and command results (§5.4)."""
from __future__ import annotations

import base64
import mimetypes

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from aibox_contract.urls import auth_query
from cloudplatform.contract import ID_NOT_FOUND, PARAM_ERROR, ContractError
from cloudplatform.wire import ContractErrorSerializer, validated
from devices.box_api import public_root, root_prefix
from devices.box_auth import AUTH_PARAMETERS, BOX_REFUSALS, BoxAPIView, command_scope, current_token
from devices.models import Box
from users.models import Person, PersonPhoto
from users.photos import photo_file

from .box_serializers import CommandResultSerializer, PersonDetailsReplySerializer, UserIdListSerializer
from .models import Command
from .results import is_uuid, record_result
from .selectors import box_photo_path, entitled_people

SCOPE_PARAMETER = OpenApiParameter(
    "messageId", str, description="On a command's path/notify_path: the command the call is about. It limits "
    "what the call returns or applies to that command; it authenticates nothing.")


def photo_reference(path: str, auth_query: str, inline_photo: bool, prefix: str = "") -> dict:
    """Where a box gets a photo (upstream §6.1): `reg_photo` (base64, with BOX_INLINE_PHOTOS) or
    `relative_pic_url`, a path from the host's root carrying the caller's dev_sno and current
    token: the same URL whether a box appends it to imgServerAddr or joins it to the login host (§9)."""
    if inline_photo:
        return {"reg_photo": base64.b64encode(photo_file(path).read_bytes()).decode()}
    name = path.rsplit("/", 1)[-1]
    return {"relative_pic_url": f"{prefix}/box/photos/{name}?{auth_query}"}


def all_photos(person: Person, auth_query: str, inline_photo: bool, prefix: str = "") -> list[dict]:
    """The `ext_photos` extension (docs/contract-extensions.md): every photo of the person, the
    primary one (the §6.1 photo) first, then best first, each with its content hash and quality."""
    photos = sorted(person.photos.all(), key=lambda p: (not p.is_primary, -p.score, p.position))
    if not photos:  # a photo set without a PersonPhoto (written directly): that one alone
        return [{**photo_reference(person.photo, auth_query, inline_photo, prefix), "sha256": person.photo_sha256,
                 "primary": True, "quality": None}]
    return [{**photo_reference(photo.path, auth_query, inline_photo, prefix), "sha256": photo.sha256,
             "primary": photo.is_primary, "quality": photo_quality(photo)} for photo in photos]


def photo_quality(photo: PersonPhoto) -> dict | None:
    if not photo.assessed:
        return None
    return {"score": round(photo.score, 3), "passes": [level for level in photo.levels if photo.passes(level)],
            "face_size": photo.face_size, "sharpness": photo.sharpness}


def person_details(person: Person, auth_query: str, inline_photo: bool, prefix: str = "",
                   every_photo: bool = False) -> dict:
    """A person's §6.1 entry; with `every_photo` (our agent asks for it) also `ext_photos`."""
    entry = {
        "identity_id": person.identity_id,
        "register_type": person.register_type,
        "info": {
            **person.info,
            "name": person.name,
            "type": person.person_type,
            # .all(), not values_list(): the caller's prefetch answers them, not a query a person
            "permission_ids": [str(group.key) for group in person.permission_groups.all()] or ["0"],
            "group_name": ",".join(group.name for group in person.face_groups.all()),
        },
    }
    entry.update(photo_reference(person.photo, auth_query, inline_photo, prefix))
    if every_photo:
        entry["ext_photos"] = all_photos(person, auth_query, inline_photo, prefix)
    return entry


def scoped_command(box: Box, request: Request, methods: tuple[str, ...]) -> Command | None:
    """The command a path or notify_path names by messageId, which must be this box's."""
    message_id = command_scope(request)
    if message_id is None:
        return None
    command = box.commands.filter(message_id=message_id).first() if is_uuid(message_id) else None
    if command is None or command.method not in methods:
        raise ContractError(ID_NOT_FOUND, gettext("No command %(id)s was sent to this box.") % {"id": message_id}, 404)
    return command


class PersonDetailsView(BoxAPIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="box_person_details",
        tags=["box"],
        parameters=[*AUTH_PARAMETERS, SCOPE_PARAMETER],
        request=UserIdListSerializer,
        responses={200: PersonDetailsReplySerializer, **BOX_REFUSALS, 404: ContractErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        """Details of the requested people this box serves (and, on a command's path, that the
        command lists); others are left out (not found). With `ext_photos: true` in the request
        (our agent), each entry also lists every photo of the person (`ext_photos`)."""
        box = self.box
        body = validated(UserIdListSerializer, request.data)
        wanted = set(body["userid_list"])
        command = scoped_command(box, request, (Command.Method.ADD_USERS,))
        if command is not None:
            wanted &= {str(i) for i in command.payload.get("userid_list", [])}
        query = auth_query(box.dev_sno, current_token(request))
        people = (
            entitled_people(box)
            .filter(identity_id__in=sorted(wanted))
            .prefetch_related("permission_groups", "face_groups", *(["photos"] if body["ext_photos"] else []))
        )
        inline, prefix = settings.BOX_INLINE_PHOTOS, root_prefix(public_root(request))
        user_list = [person_details(p, query, inline, prefix, every_photo=body["ext_photos"]) for p in people]
        return Response({"data": {"user_list": user_list}})


class PhotoView(BoxAPIView):
    @extend_schema(operation_id="box_photo", tags=["box"], parameters=AUTH_PARAMETERS,
                   responses={(200, "image/*"): bytes, 304: None, **BOX_REFUSALS, 404: ContractErrorSerializer})
    def get(self, request: Request, name: str) -> HttpResponse:
        """A person's photo (any of theirs), to a box that serves that person. Named by its
        content hash, so it never changes: immutable, its ETag the hash, and a box that sends
        If-None-Match (or If-Modified-Since) with it gets 304 and no body."""
        digest = name.split(".", 1)[0]
        path = box_photo_path(self.box, digest)
        if path is None or not photo_file(path).exists():
            raise ContractError(ID_NOT_FOUND, gettext("No such photo for this box."), 404)
        file = photo_file(path)
        etag, last_modified = f'"{digest}"', file.stat().st_mtime
        response = get_conditional_response(request, etag=etag, last_modified=int(last_modified))
        if response is None:
            # Photos are small: one read, no streaming.
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            response = HttpResponse(file.read_bytes(), content_type=content_type)
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        # Private: the URL carries the box's token; a year, and never revalidated while fresh.
        response["Cache-Control"] = "private, max-age=31536000, immutable"
        return response


RESULT_ACCEPTED = inline_serializer("ResultAccepted", {"data": inline_serializer("ResultAcceptedData", {
    "messageId": serializers.CharField(), "applied": serializers.BooleanField()})})


class ResultView(BoxAPIView):
    parser_classes = []  # the raw body is kept as sent, even when it is not JSON

    @extend_schema(operation_id="box_command_result", tags=["box"], parameters=[*AUTH_PARAMETERS, SCOPE_PARAMETER],
                   request={"application/json": CommandResultSerializer},
                   responses={200: RESULT_ACCEPTED, **BOX_REFUSALS})
    def post(self, request: Request) -> Response:
        """A command's result (the commands' notify_path), for the calling box only. Idempotent
        by messageId; a body without messageId takes the one its notify_path names (upstream
        §5.4 makes it optional). The body is kept as sent, even when refused (with the reason);
        record_result validates it (CommandResultSerializer) as it does a result from the queue."""
        box = self.box
        received = record_result(request.body, "http", box.dev_sno, message_id=command_scope(request) or "",
                                 authenticated=True)
        if received.error:
            raise ContractError(PARAM_ERROR, gettext("Result not applied: %(error)s") % {"error": received.error})
        return Response({"data": {"messageId": received.message_id, "applied": True}})
