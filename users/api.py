"""Administrators' REST API for people and groups."""
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from aibox_contract.codes import ContractCodeError

from . import services
from .filters import PersonFilterSet
from .models import PermissionGroup, Person
from .serializers import PermissionGroupSerializer, PersonSerializer


def photo_error(exc: ContractCodeError) -> Response:
    return Response({"photo_base64": [exc.message], "code": exc.code, "status": exc.status},
                    status=status.HTTP_400_BAD_REQUEST)


class PersonViewSet(viewsets.ModelViewSet):
    serializer_class = PersonSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PersonFilterSet
    lookup_field = "identity_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return Person.objects.prefetch_related("permission_groups", "face_groups", "enrolments__box",
                                               "enrolments__command").distinct()

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            person = services.create_person(photo=data.pop("photo_base64", None), **data)
        except ContractCodeError as exc:
            return photo_error(exc)
        except services.DuplicateIdentity as exc:
            return Response({"identity_id": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(person).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args, **kwargs) -> Response:
        person = self.get_object()
        serializer = self.get_serializer(person, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.get("identity_id", person.identity_id) != person.identity_id:
            raise serializers.ValidationError({"identity_id": ["identity_id cannot change."]})
        data.pop("identity_id", None)
        try:
            person = services.update_person(person, photo=data.pop("photo_base64", None), **data)
        except ContractCodeError as exc:
            return photo_error(exc)
        # Read again: the update may have queued enrolments the prefetched object does not show.
        return Response(self.get_serializer(self.get_queryset().get(pk=person.pk)).data)

    def perform_destroy(self, person: Person) -> None:
        services.delete_person(person)


class PermissionGroupViewSet(viewsets.ModelViewSet):
    """Permission groups; attaching a box, or an area (every box in it and below it), sends it
    the group's people, detaching removes them."""

    queryset = PermissionGroup.objects.prefetch_related("boxes", "areas")
    serializer_class = PermissionGroupSerializer

    def perform_create(self, serializer) -> None:
        fields = dict(serializer.validated_data)
        serializer.instance = services.save_group(PermissionGroup(), boxes=fields.pop("boxes", []),
                                                  areas=fields.pop("areas", []), **fields)

    def perform_update(self, serializer) -> None:
        fields = dict(serializer.validated_data)
        serializer.instance = services.save_group(serializer.instance, boxes=fields.pop("boxes", None),
                                                  areas=fields.pop("areas", None), **fields)

    def perform_destroy(self, group: PermissionGroup) -> None:
        services.delete_group(group)
