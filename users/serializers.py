import base64
import binascii

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cloudplatform.api_fields import TextSlugRelatedField
from devices.models import Area, Box
from distribution.serializers import EnrolmentSerializer

from .models import FaceGroup, PermissionGroup, Person


class PersonSerializer(serializers.ModelSerializer):
    permission_groups = TextSlugRelatedField(
        slug_field="name", many=True, queryset=PermissionGroup.objects.all(), required=False
    )
    face_groups = TextSlugRelatedField(
        slug_field="name", many=True, queryset=FaceGroup.objects.all(), required=False
    )
    photo_base64 = serializers.CharField(write_only=True, required=False, help_text="The face photo, base64.")
    identity_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    enrolments = EnrolmentSerializer(many=True, read_only=True)
    has_photo = serializers.SerializerMethodField()
    needs_photo = serializers.SerializerMethodField(
        help_text=_("Held back from every box until a photo is added (upstream §6.1 requires one)."))

    class Meta:
        model = Person
        fields = [
            "id", "identity_id", "name", "person_type", "permission_groups", "face_groups", "info",
            "photo_base64", "has_photo", "needs_photo", "photo_sha256", "enrolments", "created_at", "updated_at",
        ]
        read_only_fields = ["photo_sha256", "created_at", "updated_at"]

    def get_has_photo(self, person: Person) -> bool:
        return bool(person.photo)

    def get_needs_photo(self, person: Person) -> bool:
        return not person.photo

    def validate_photo_base64(self, value: str) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError("Not valid base64.") from exc

    def validate_info(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("info must be a JSON object.")
        return value


class PermissionGroupSerializer(serializers.ModelSerializer):
    boxes = TextSlugRelatedField(slug_field="dev_sno", many=True, queryset=Box.objects.all(), required=False)
    areas = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Area.objects.all(), required=False,
        help_text="Area ids: the group's people are served to every box in these areas and below them.")
    member_count = serializers.IntegerField(source="people.count", read_only=True)

    class Meta:
        model = PermissionGroup
        fields = ["id", "key", "name", "description", "boxes", "areas", "member_count"]
        read_only_fields = ["key"]
