"""A passage record as boxes report it (part 2 §4.4.6 realtime, §4.4.9 history; upstream 01 §7.1),
validated one event at a time while events/bodies.py streams the body: the body is never held
whole, and each event is judged on its own (a refused one is quarantined with the reason).

Values are read as the platform always read them (docs/contract-extensions.md): `timestamp` in
seconds or milliseconds, numbers also as text, text cut to its column, pictures passed on to the
picture store (a bad picture flags its event, it does not refuse it)."""
from __future__ import annotations

import threading
from datetime import UTC, datetime

from rest_framework import serializers

from cloudplatform.wire import (
    BoxBodySerializer,
    DigitsText,
    ExtraKeysMixin,
    LenientObject,
    PictureField,
    WireInteger,
    WireNumber,
    WireText,
    refusals,
)

# Upstream types `timestamp` as int32 seconds while its examples are milliseconds. Below 10^11
# a value is seconds (10^11 s is the year 5138; 10^11 ms is March 1973, before any box).
SECONDS_BELOW = 10**11
SMALLINT = 32767  # person_type and device_type columns


def timestamp_ms(number: int | float) -> int:
    """An event's time in milliseconds, from seconds or milliseconds (see SECONDS_BELOW)."""
    return round(number * 1000 if abs(number) < SECONDS_BELOW else number)


class ExtDataSerializer(ExtraKeysMixin, BoxBodySerializer):
    """ext_data of a passage record; further keys a box adds (upstream: 可迭代添加) are kept."""

    default_error_messages = {"invalid": "(an object) is required.", "required": "(an object) is required.",
                              "null": "(an object) is required."}

    device_ip = WireText(64, drop_nul=True, help_text="Realtime: required.")
    ep_id = WireText(120, drop_nul=True, help_text="<dev_sno>__<ip> of the camera (history).")
    spot_pic = PictureField(help_text="The scene's picture, base64.")
    person_type = WireInteger(whole=True, finite=True, default=1,
                             help_text="1 staff (also when absent), 2 visitor, 3 blacklist, 4 stranger, 5 VIP.")
    device_type = DigitsText(whole=True, finite=True, help_text="0 gate, 1 snapshot camera, 2 IPC static, "
                                                                "3 IPC dynamic, 4 door access.")
    grab_fiqa_info = LenientObject(help_text="The snapshot camera's face quality report ({} otherwise).")
    box_fiqa_info = LenientObject(help_text="The box's face quality report ({} otherwise).")
    dev_sno = WireText(help_text="History: required.")


class PassageRecordSerializer(BoxBodySerializer):
    """A passage record (part 2 §4.4.6, §4.4.9). A record that does not validate is kept in the
    quarantine and named in the answer; the rest of the batch is stored."""

    identity_id = WireText(64, drop_nul=True, help_text="Upstream: required.")
    identity_name = WireText(100, drop_nul=True, help_text="Upstream: required.")
    group_name = WireText(200, drop_nul=True, help_text="Upstream: required.")
    reg_pic = PictureField(help_text="The matched person's registered face, base64.")
    timestamp = WireInteger(required=True, finite=True, help_text="Milliseconds (or seconds: below 10^11) since "
                                                                  "1970; decimals and digits as text are read too.")
    score = WireNumber(required=True, finite=True)
    ext_data = ExtDataSerializer()

    def validate(self, attrs: dict) -> dict:
        milliseconds = timestamp_ms(attrs["timestamp"])
        try:
            attrs["occurred_at"] = datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise serializers.ValidationError("timestamp is not a time (seconds or milliseconds since 1970).") from exc
        ext = attrs["ext_data"]
        if not (0 <= ext["person_type"] <= SMALLINT and (ext["device_type"] is None
                                                         or 0 <= ext["device_type"] <= SMALLINT)):
            raise serializers.ValidationError("ext_data.person_type or device_type out of range.")
        attrs["timestamp_ms"] = milliseconds  # with occurred_at: what the event is stored with
        return attrs


_per_thread = threading.local()


def validated_record(raw: dict) -> dict:
    """A passage record's validated data, or serializers.ValidationError (its `detail` the errors).
    One serializer per thread serves every event: building one copies its fields, which cost
    several times the validation itself, once per event of a batch of 100."""
    record = getattr(_per_thread, "record", None)
    if record is None:
        record = _per_thread.record = PassageRecordSerializer()
    return record.run_validation(raw)


def refusal_reason(errors: dict) -> str:
    """The one reason an event is quarantined with: ext_data not being an object first, then the
    first field in the body's order (timestamp, score, ext_data.person_type, ...)."""
    found = list(refusals(errors))
    path, message = min(found, key=lambda refusal: refusal[0] != "ext_data")
    return f"{path} {message}" if path else message
