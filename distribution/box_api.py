"""Box-facing endpoints of distribution: the details (upstream §6.1) and photos of the people a
box serves, and command results (§5.4)."""
from __future__ import annotations

import base64
import mimetypes

from django.conf import settings
from django.http import HttpResponse
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
from users.models import Person
from users.photos import photo_file

from .box_serializers import CommandResultSerializer, PersonDetailsReplySerializer, UserIdListSerializer
from .models import Command
from .results import is_uuid, record_result
from .selectors import entitled_people

SCOPE_PARAMETER = OpenApiParameter(
    "messageId", str, description="On a command's path/notify_path: the command the call is about. It limits "
    "what the call returns or applies to that command; it authenticates nothing.")


def person_details(person: Person, auth_query: str, inline_photo: bool, prefix: str = "") -> dict:
    entry = {
        "identity_id": person.identity_id,
        "register_type": person.register_type,
        "info": {
            **person.info,
            "name": person.name,
            "type": person.person_type,
            "permission_ids": [str(key) for key in person.permission_groups.values_list("key", flat=True)]
            or ["0"],
            "group_name": ",".join(person.face_groups.values_list("name", flat=True)),
        },
    }
    if inline_photo:
        entry["reg_photo"] = base64.b64encode(photo_file(person.photo).read_bytes()).decode()
    else:
        # A path from the host's root carrying the caller's dev_sno and current token: the
        # same URL whether a box appends it to imgServerAddr or joins it to the login host (§9).
        name = person.photo.rsplit("/", 1)[-1]
        entry["relative_pic_url"] = f"{prefix}/box/photos/{name}?{auth_query}"
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
        command lists); others are left out (not found)."""
        box = self.box
        wanted = set(validated(UserIdListSerializer, request.data)["userid_list"])
        command = scoped_command(box, request, (Command.Method.ADD_USERS,))
        if command is not None:
            wanted &= {str(i) for i in command.payload.get("userid_list", [])}
        query = auth_query(box.dev_sno, current_token(request))
        people = (
            entitled_people(box)
            .filter(identity_id__in=sorted(wanted))
            .prefetch_related("permission_groups", "face_groups")
        )
        inline, prefix = settings.BOX_INLINE_PHOTOS, root_prefix(public_root(request))
        return Response({"data": {"user_list": [person_details(p, query, inline, prefix) for p in people]}})


class PhotoView(BoxAPIView):
    @extend_schema(operation_id="box_photo", tags=["box"], parameters=AUTH_PARAMETERS,
                   responses={(200, "image/*"): bytes, **BOX_REFUSALS, 404: ContractErrorSerializer})
    def get(self, request: Request, name: str) -> HttpResponse:
        """A person's photo, to a box that serves that person."""
        digest = name.split(".", 1)[0]
        person = entitled_people(self.box).filter(photo_sha256=digest).first()
        if person is None or not photo_file(person.photo).exists():
            raise ContractError(ID_NOT_FOUND, gettext("No such photo for this box."), 404)
        # Photos are small and immutable (named by content hash): one read, no streaming.
        content_type = mimetypes.guess_type(person.photo)[0] or "application/octet-stream"
        response = HttpResponse(photo_file(person.photo).read_bytes(), content_type=content_type)
        response["Cache-Control"] = "private, max-age=86400, immutable"
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
