"""Box-facing endpoints for people: details (upstream §6.1), photos, and command results (§5.4)."""
from __future__ import annotations

import base64
import mimetypes
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from cloudplatform.contract import ID_NOT_FOUND, PARAM_ERROR, ContractAPIView, ContractError
from devices.box_auth import authenticate_box
from devices.models import Box

from .models import Person
from .photos import photo_file
from .results import record_result

AUTH_PARAMETERS = [
    OpenApiParameter("dev_sno", str, required=True),
    OpenApiParameter("token", str, description="The box's current token (or message_id of the command)."),
    OpenApiParameter("message_id", str, description="The command's messageId, on the URLs a command carries."),
]
MAX_IDS_PER_REQUEST = 1000


def entitled_people(box: Box):
    return Person.objects.filter(permission_groups__boxes=box).distinct()


def person_details(person: Person, auth_query: str, inline_photo: bool) -> dict:
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
    if not person.photo:
        return entry
    if inline_photo:
        entry["reg_photo"] = base64.b64encode(photo_file(person.photo).read_bytes()).decode()
    else:
        # A path from the platform root carrying the caller's credentials: it resolves the
        # same whether a box joins it to imgServerAddr's host or to the login URL's (§9).
        name = person.photo.rsplit("/", 1)[-1]
        entry["relative_pic_url"] = f"/box/photos/{name}?{auth_query}"
    return entry


class PersonDetailsView(ContractAPIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="box_person_details",
        tags=["box"],
        parameters=AUTH_PARAMETERS,
        request=inline_serializer("UserIdList", {"userid_list": serializers.ListField(child=serializers.CharField())}),
        responses={200: inline_serializer("UserListReply", {"data": serializers.DictField()})},
    )
    def post(self, request: Request) -> Response:
        """Details of the requested people this box serves; others are left out (not found)."""
        box = authenticate_box(request)
        ids = request.data.get("userid_list") if isinstance(request.data, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str | int) for i in ids):
            raise ContractError(PARAM_ERROR, "Body must be {\"userid_list\": [ids...]}.")
        if len(ids) > MAX_IDS_PER_REQUEST:
            raise ContractError(PARAM_ERROR, f"At most {MAX_IDS_PER_REQUEST} ids per request.")
        params = request.query_params
        auth_query = urlencode({key: params[key] for key in ("dev_sno", "token", "message_id") if key in params})
        people = (
            entitled_people(box)
            .filter(identity_id__in=[str(i) for i in ids])
            .prefetch_related("permission_groups", "face_groups")
        )
        inline = settings.BOX_INLINE_PHOTOS
        return Response({"data": {"user_list": [person_details(p, auth_query, inline) for p in people]}})


class PhotoView(ContractAPIView):
    @extend_schema(operation_id="box_photo", tags=["box"], parameters=AUTH_PARAMETERS,
                   responses={(200, "image/*"): bytes})
    def get(self, request: Request, name: str) -> HttpResponse:
        """A person's photo, to a box that serves that person."""
        box = authenticate_box(request)
        digest = name.split(".", 1)[0]
        person = entitled_people(box).filter(photo_sha256=digest).exclude(photo="").first()
        if person is None or not photo_file(person.photo).exists():
            raise ContractError(ID_NOT_FOUND, "No such photo for this box.", 404)
        # Photos are small and immutable (named by content hash): one read, no streaming.
        content_type = mimetypes.guess_type(person.photo)[0] or "application/octet-stream"
        response = HttpResponse(photo_file(person.photo).read_bytes(), content_type=content_type)
        response["Cache-Control"] = "private, max-age=86400, immutable"
        return response


class ResultView(ContractAPIView):
    parser_classes = []  # the raw body is kept as sent, even when it is not JSON

    @extend_schema(operation_id="box_command_result", tags=["box"], parameters=AUTH_PARAMETERS,
                   request={"application/json": dict},
                   responses={200: inline_serializer("ResultAccepted", {"data": serializers.DictField()})})
    def post(self, request: Request) -> Response:
        """A command's result (the commands' notify_path). Idempotent by messageId."""
        box = authenticate_box(request)
        received = record_result(request.body, "http", box.dev_sno)
        if received.error:
            raise ContractError(PARAM_ERROR, f"Result not applied: {received.error}")
        return Response({"data": {"messageId": received.message_id, "applied": True}})
