"""The REST API for people and groups: what the operator's scope reaches (accounts.scope;
users.selectors.visible_* and writable_*)."""
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.console import ADMINISTRATORS_CHANGE
from accounts.permissions import ScopedViewMixin
from aibox_contract.codes import ContractCodeError
from cloudplatform.api_fields import narrow_choices
from devices.selectors import visible_areas, visible_boxes
from distribution.models import Enrolment

from . import services
from .filters import PersonFilterSet
from .models import PermissionGroup, Person, PersonPhoto
from .photos import photo_file
from .quality import badge
from .selectors import groups_out_of_sight, visible_groups, visible_people, writable_groups, writable_people
from .serializers import PermissionGroupSerializer, PersonPhotoSerializer, PersonSerializer, PhotoUploadSerializer


def photo_error(exc: ContractCodeError) -> Response:
    return Response({"photo_base64": [exc.message], "code": exc.code, "status": exc.status},
                    status=status.HTTP_400_BAD_REQUEST)


def site_managers_groups(scope, groups) -> None:
    """Whom a site manager adds or keeps must be in one of their groups: else they would lose
    sight of the person."""
    if not scope.everything and not groups:
        raise serializers.ValidationError({"permission_groups": [_("Choose at least one of your groups.")]})


class PersonViewSet(ScopedViewMixin, viewsets.ModelViewSet):
    serializer_class = PersonSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PersonFilterSet
    lookup_field = "identity_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        # Only the groups and the boxes' enrolments the operator sees are shown.
        scope = self.scope
        enrolments = Enrolment.objects.filter(box__in=visible_boxes(scope)).select_related("box", "command")
        return visible_people(scope).prefetch_related(
            Prefetch("permission_groups", queryset=visible_groups(scope)), "face_groups", "photos",
            Prefetch("enrolments", queryset=enrolments)).distinct()

    def get_serializer(self, *args, **kwargs):
        return narrow_choices(super().get_serializer(*args, **kwargs), permission_groups=writable_groups(self.scope))

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        site_managers_groups(self.scope, data.get("permission_groups"))
        try:
            person = services.create_person(photo=data.pop("photo_base64", None), **data)
        except ContractCodeError as exc:
            return photo_error(exc)
        except services.DuplicateIdentity as exc:
            return Response({"identity_id": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(person).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        person = self.get_object()
        self.require_writable(person, writable_people(self.scope))
        serializer = self.get_serializer(person, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("identity_id", person.identity_id) != person.identity_id:
            raise serializers.ValidationError({"identity_id": ["identity_id cannot change."]})
        data.pop("identity_id", None)
        if "permission_groups" in data:
            site_managers_groups(self.scope, data["permission_groups"])
            data["permission_groups"] = [*data["permission_groups"], *groups_out_of_sight(person, self.scope)]
        try:
            person = services.update_person(person, photo=data.pop("photo_base64", None), **data)
        except ContractCodeError as exc:
            return photo_error(exc)
        # Read again: the update may have queued enrolments the prefetched object does not show.
        return Response(self.get_serializer(self.get_queryset().get(pk=person.pk)).data)

    def perform_destroy(self, person: Person) -> None:
        self.require_writable(person, writable_people(self.scope))
        services.delete_person(person)

    # --- the person's photos (up to MAX_PHOTOS_PER_PERSON, each judged at upload) ---------------
    @extend_schema(methods=["GET"], responses=PersonPhotoSerializer(many=True), request=None,
                   summary="The person's photos with their quality verdicts, the primary first")
    @extend_schema(methods=["POST"], request=PhotoUploadSerializer, responses={201: PersonPhotoSerializer},
                   summary="Add a photo: judged by the boxes' face engine; one a box would refuse is kept and "
                   "flagged, or refused with require_gate")
    @action(detail=True, methods=["get", "post"], url_path="photos", url_name="photos",
            parser_classes=[JSONParser, MultiPartParser, FormParser])
    def photos(self, request: Request, identity_id: str) -> Response:
        person = self.get_object()
        if request.method == "GET":
            photos = sorted(person.photos.all(), key=lambda p: (not p.is_primary, p.position))
            return Response(PersonPhotoSerializer(photos, many=True).data)
        self.require_writable(person, writable_people(self.scope))
        upload = PhotoUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        try:
            photo = services.add_person_photo(person, data["image"], by=request.user, primary=data["primary"],
                                              require_gate=data["require_gate"])
        except services.PhotoRejected as exc:
            return Response({"photo": [exc.message], "code": exc.code}, status=status.HTTP_400_BAD_REQUEST)
        added = PersonPhotoSerializer(PersonPhoto.objects.get(pk=photo.pk)).data
        return Response(added, status=status.HTTP_201_CREATED)

    @extend_schema(request=PhotoUploadSerializer, responses={200: PersonPhotoSerializer},
                   summary="Judge a photo as an upload would, without keeping it (the console's check before saving)")
    @action(detail=True, methods=["post"], url_path="photos/assess", url_name="photo-assess",
            parser_classes=[JSONParser, MultiPartParser, FormParser])
    def assess_photo(self, request: Request, identity_id: str) -> Response:
        person = self.get_object()
        upload = PhotoUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            verdict = services.judge_photo(person, upload.validated_data["image"])
        except services.PhotoRejected as exc:
            return Response({"photo": [exc.message], "code": exc.code}, status=status.HTTP_400_BAD_REQUEST)
        shown = badge(verdict, person.gate_level)
        return Response({**{name: getattr(verdict, name) for name in PHOTO_VERDICT_FIELDS},
                         "face_found": verdict.face_found, "gate_level": person.gate_level,
                         "passes_gate": verdict.passes_gate, "badge": {"kind": shown.kind, "reason": shown.reason}})

    @extend_schema(methods=["DELETE"], request=None, responses={204: None}, summary="Remove a photo")
    @action(detail=True, methods=["delete"], url_path=r"photos/(?P<photo_id>\d+)", url_name="photo-detail")
    def photo_detail(self, request: Request, identity_id: str, photo_id: str) -> Response:
        photo = self._photo(photo_id)
        services.remove_person_photo(photo)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: PersonPhotoSerializer}, summary="Make a photo the primary one "
                   "(pinned: what a stock box gets)")
    @action(detail=True, methods=["post"], url_path=r"photos/(?P<photo_id>\d+)/primary", url_name="photo-primary")
    def photo_primary(self, request: Request, identity_id: str, photo_id: str) -> Response:
        photo = self._photo(photo_id)
        services.make_primary_photo(photo)
        return Response(PersonPhotoSerializer(PersonPhoto.objects.get(pk=photo.pk)).data)

    @extend_schema(request=None, responses={(200, "image/*"): OpenApiTypes.BINARY}, summary="The photo's image")
    @action(detail=True, methods=["get"], url_path=r"photos/(?P<photo_id>\d+)/image", url_name="photo-image")
    def photo_image(self, request: Request, identity_id: str, photo_id: str) -> FileResponse:
        photo = get_object_or_404(self.get_object().photos, pk=photo_id)
        if not photo_file(photo.path).exists():
            raise Http404("no photo file")
        return FileResponse(photo_file(photo.path).open("rb"))

    def _photo(self, photo_id: str) -> PersonPhoto:
        person = self.get_object()
        self.require_writable(person, writable_people(self.scope))
        return get_object_or_404(person.photos, pk=photo_id)


PHOTO_VERDICT_FIELDS = ("assessed", "face_count", "face_size", "sharpness", "brightness", "yaw", "pitch", "roll",
                        "partial", "levels", "score")


class PermissionGroupViewSet(ScopedViewMixin, viewsets.ModelViewSet):
    """Permission groups; attaching a box, or an area (every box in it and below it), sends it
    the group's people, detaching removes them. Groups are shared by all sites (their names are
    unique over them): only administrators create, change or delete them; a site manager reads
    those serving their sites and puts their people in them (/api/persons/)."""

    serializer_class = PermissionGroupSerializer

    def get_queryset(self):
        scope = self.scope
        return visible_groups(scope).prefetch_related(Prefetch("boxes", queryset=visible_boxes(scope)),
                                                      Prefetch("areas", queryset=visible_areas(scope)))

    def create(self, request: Request, *args, **kwargs) -> Response:
        self._administrators_only()
        return super().create(request, *args, **kwargs)

    def update(self, request: Request, *args, **kwargs) -> Response:
        self.get_object()  # another site's group is not found (404), as in a read
        self._administrators_only()
        return super().update(request, *args, **kwargs)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        self.get_object()
        self._administrators_only()
        return super().destroy(request, *args, **kwargs)

    def perform_create(self, serializer) -> None:
        fields = dict(serializer.validated_data)
        boxes, areas = fields.pop("boxes", []), fields.pop("areas", [])
        serializer.instance = services.save_group(PermissionGroup(), boxes=boxes, areas=areas, **fields)

    def perform_update(self, serializer) -> None:
        fields = dict(serializer.validated_data)
        boxes, areas = fields.pop("boxes", None), fields.pop("areas", None)
        serializer.instance = services.save_group(serializer.instance, boxes=boxes, areas=areas, **fields)

    def perform_destroy(self, group: PermissionGroup) -> None:
        services.delete_group(group)

    def _administrators_only(self) -> None:
        if not self.scope.is_administrator:
            raise PermissionDenied(ADMINISTRATORS_CHANGE)
