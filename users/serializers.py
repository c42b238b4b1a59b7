import base64
import binascii

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cloudplatform.api_fields import TextSlugRelatedField
from devices.models import Area, Box
from distribution.serializers import EnrolmentSerializer

from .models import FaceGroup, PermissionGroup, Person, PersonPhoto
from .quality import badge
from .services import MAX_PHOTOS_PER_PERSON


class Base64Image(serializers.CharField):
    """A photo sent as base64 text, read as its bytes."""

    def to_internal_value(self, data) -> bytes:
        try:
            return base64.b64decode(super().to_internal_value(data), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError("Not valid base64.") from exc


class PersonPhotoSerializer(serializers.ModelSerializer):
    """One of a person's photos with the verdict the boxes' face engine gave it at upload."""

    face_found = serializers.BooleanField(read_only=True)
    gate_level = serializers.CharField(source="person.gate_level", read_only=True,
                                       help_text="The FIQA level the person's boxes enrol at (high, or custom for "
                                       "a stranger).")
    passes_gate = serializers.BooleanField(read_only=True, help_text="Whether a box would enrol this photo.")
    badge = serializers.SerializerMethodField(help_text="pass, warn, fail or unknown, with the reason in the "
                                              "request's language.")
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PersonPhoto
        fields = ["id", "sha256", "position", "is_primary", "pinned", "assessed", "face_found", "face_count",
                  "face_size", "sharpness", "brightness", "yaw", "pitch", "roll", "partial", "levels", "score",
                  "gate_level", "passes_gate", "badge", "uploaded_by", "uploaded_at"]
        read_only_fields = fields

    def get_badge(self, photo: PersonPhoto) -> dict:
        verdict = badge(photo, photo.person.gate_level)
        return {"kind": verdict.kind, "reason": verdict.reason}


class PhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField(required=False, help_text="The photo as a file (multipart).")
    photo_base64 = Base64Image(required=False, help_text="Or the photo as base64 (JSON).")
    primary = serializers.BooleanField(default=False, help_text="Make it the primary photo (what a stock box gets).")
    require_gate = serializers.BooleanField(
        default=False, help_text="Refuse the photo (400) when a box would; else it is kept and flagged.")

    def validate(self, data: dict) -> dict:
        if ("photo" in data) == ("photo_base64" in data):
            raise serializers.ValidationError({"photo": [_("Send one photo: `photo` (a file) or `photo_base64`.")]})
        data["image"] = data.pop("photo").read() if "photo" in data else data.pop("photo_base64")
        return data


class PersonSerializer(serializers.ModelSerializer):
    permission_groups = TextSlugRelatedField(
        slug_field="name", many=True, queryset=PermissionGroup.objects.all(), required=False
    )
    face_groups = TextSlugRelatedField(
        slug_field="name", many=True, queryset=FaceGroup.objects.all(), required=False
    )
    photo_base64 = serializers.CharField(write_only=True, required=False, help_text="The face photo, base64: on "
                                         "update it replaces the primary photo (the others stay).")
    identity_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    enrolments = EnrolmentSerializer(many=True, read_only=True)
    has_photo = serializers.SerializerMethodField()
    needs_photo = serializers.SerializerMethodField(
        help_text=_("Held back from every box until a photo is added (upstream §6.1 requires one)."))
    photos = PersonPhotoSerializer(many=True, read_only=True, help_text=f"Up to {MAX_PHOTOS_PER_PERSON} photos, "
                                   "each with its quality verdict; /photos/ adds and removes them.")

    class Meta:
        model = Person
        fields = [
            "id", "identity_id", "name", "person_type", "permission_groups", "face_groups", "info",
            "photo_base64", "has_photo", "needs_photo", "photo_sha256", "photos", "enrolments", "created_at",
            "updated_at",
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
