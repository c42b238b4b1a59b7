"""What boxes send to (and get from) the distribution endpoints, as DRF serializers mirroring
upstream 01's tables: the person details request and reply (§6.1) and a command's result (§5.4),
which arrives by HTTP (notify_path) or on the upload queue and is validated the same way."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cloudplatform.wire import BoxBodySerializer, KeptBool, KeptInt, KeptText, LenientObject, WireText

MAX_IDS_PER_REQUEST = 1000


@extend_schema_field(OpenApiTypes.STR)
class UserId(serializers.Field):
    """An identity_id: text, or a number read as its digits."""

    default_error_messages = {"invalid": "must be a list of ids (text or numbers)."}

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str | int):
            self.fail("invalid")
        return str(data)

    def to_representation(self, value) -> str:
        return value


class UserIdListSerializer(BoxBodySerializer):
    """The person details request (upstream 01 §6.1)."""

    userid_list = serializers.ListField(
        child=UserId(), max_length=MAX_IDS_PER_REQUEST, help_text="identity_ids, at most 1000 per request.",
        error_messages={"not_a_list": "must be a list of ids.", "max_length": f"has more than "
                        f"{MAX_IDS_PER_REQUEST} ids (at most {MAX_IDS_PER_REQUEST} per request)."})
    ext_photos = serializers.BooleanField(
        required=False, default=False, help_text="Extension (docs/contract-extensions.md): true asks for every "
        "photo of each person in `ext_photos`. A stock box never sends it and gets the §6.1 reply unchanged.")


class PersonInfoSerializer(serializers.Serializer):
    permission_ids = serializers.ListField(child=serializers.CharField(), help_text='Permission group keys; ["0"] '
                                           "when in none.")
    name = serializers.CharField()
    type = serializers.IntegerField(help_text="1 staff, 2 visitor, 3 blacklist, 4 stranger, 5 VIP.")
    group_name = serializers.CharField(help_text="The person's face groups, joined by commas (extension).")


class PhotoQualitySerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="Levels passed plus sharpness and size (users/quality.py).")
    passes = serializers.ListField(child=serializers.CharField(), help_text="FIQA levels the photo passes.")
    face_size = serializers.IntegerField(allow_null=True)
    sharpness = serializers.FloatField(allow_null=True)


class ExtPhotoSerializer(serializers.Serializer):
    reg_photo = serializers.CharField(required=False, help_text="The photo, base64 (with BOX_INLINE_PHOTOS).")
    relative_pic_url = serializers.CharField(required=False, help_text="As the entry's own; otherwise.")
    sha256 = serializers.CharField(help_text="The photo's content hash.")
    primary = serializers.BooleanField(help_text="The entry's own photo (reg_photo / relative_pic_url).")
    quality = PhotoQualitySerializer(allow_null=True, help_text="The platform's verdict; null when unassessed.")


class PersonDetailSerializer(serializers.Serializer):
    identity_id = serializers.CharField()
    reg_photo = serializers.CharField(required=False, help_text="The photo, base64 (with BOX_INLINE_PHOTOS).")
    relative_pic_url = serializers.CharField(required=False, help_text="The photo's path with its query, from the "
                                             "host's root (upstream §9); otherwise.")
    register_type = serializers.IntegerField(help_text="1 regular, 2 stranger (FIQA level high or custom).")
    info = PersonInfoSerializer()
    ext_photos = ExtPhotoSerializer(many=True, required=False, help_text="Extension, only when the request asked "
                                    "for it: every photo of the person, the primary first (at most 5).")


class UserListSerializer(serializers.Serializer):
    user_list = PersonDetailSerializer(many=True, help_text="The requested people this box serves (others are "
                                       "left out).")


class PersonDetailsReplySerializer(serializers.Serializer):
    """The person details reply (upstream 01 §6.1)."""

    data = UserListSerializer()


class CommandResultSerializer(BoxBodySerializer):
    """A command's result (upstream 01 §5.4). What the platform uses is validated; the body is
    kept as sent (with the command) whatever else it holds, and `result`'s shape depends on the
    command (success_users / failed_users, wipe_options, FIQA data)."""

    success = KeptBool(help_text="Upstream: required.")
    code = KeptInt(help_text="0 on success, else the contract's code. Upstream: required.")
    message = KeptText(help_text="Upstream: required.")
    dev_sno = WireText(help_text="Upstream: required; by HTTP, the token's box must be this one.")
    messageKey = KeptText(help_text="The command's method. Upstream: required.")
    messageId = WireText(help_text="The command's messageId (optional: a notify_path names it too).")
    result = LenientObject(help_text="Upstream: required.")
