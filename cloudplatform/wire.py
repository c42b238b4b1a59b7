"""DRF pieces for the bodies boxes send: fields that read values as leniently as the platform
always has (boxes in the field send numbers as text, nulls for empty), the contract's error
envelope for the OpenAPI schema, and `validated()`, which turns a serializer's refusal into
the contract's error (upstream §3: 400 PARAM_ERROR) instead of DRF's default 400 body.

Field names in box serializers are exactly upstream's (snake_case and camelCase mixed).
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from .contract import PARAM_ERROR, ContractError


class _NullIsAValue:
    """null reaches to_internal_value (as "nothing") instead of DRF's "may not be null"."""

    def validate_empty_values(self, data):
        if data is None:
            return False, data
        return super().validate_empty_values(data)


@extend_schema_field(OpenApiTypes.STR)
class WireText(_NullIsAValue, serializers.Field):
    """Text as stored: a number comes as its digits, null, absent and false-like values as "",
    cut to the column (`limit`) rather than refused. `strip` trims spaces; `drop_nul` removes
    NUL (PostgreSQL cannot hold it). `allow_blank=False`: an empty value is refused as missing."""

    default_error_messages = {"required": "is required.", "blank": "is required."}

    def __init__(self, limit: int | None = None, *, strip: bool = False, drop_nul: bool = False,
                 allow_blank: bool = True, **kwargs) -> None:
        self.limit, self.strip, self.drop_nul, self.allow_blank = limit, strip, drop_nul, allow_blank
        if not kwargs.get("required"):
            kwargs.setdefault("default", "")
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        text = str(data or "")
        if self.drop_nul:
            text = text.replace("\x00", "")
        if self.strip:
            text = text.strip()
        text = text[:self.limit] if self.limit else text
        if not text and not self.allow_blank:
            self.fail("blank")
        return text

    def to_representation(self, value) -> str:
        return value


@extend_schema_field(OpenApiTypes.NUMBER)
class WireNumber(_NullIsAValue, serializers.Field):
    """A number, or a number sent as text; null and "" are no value (None) unless `required`
    (then "is required."). A boolean is not a number. `whole` keeps the whole part (int);
    `finite` refuses NaN and infinities; otherwise an int stays an int and text becomes one
    when it can."""

    default_error_messages = {"required": "is required.", "invalid": "must be a number.",
                              "finite": "must be a finite number."}

    def __init__(self, *, whole: bool = False, finite: bool = False, **kwargs) -> None:
        self.whole, self.finite = whole, finite
        if not kwargs.get("required"):
            kwargs.setdefault("default", None)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> int | float | None:
        if data is None or data == "":
            if self.default is not None:  # required, or absent means a value (person_type: 1)
                self.fail("required")
            return None
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("invalid")
        number = self._parse(data) if isinstance(data, str) else data
        if self.finite and isinstance(number, float) and not math.isfinite(number):
            self.fail("finite")
        return int(number) if self.whole else number

    def _parse(self, text: str) -> int | float:
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                self.fail("invalid")

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.INT)
class WireInteger(WireNumber):
    """A number upstream types as an integer (read as WireNumber: text and decimals too)."""


@extend_schema_field(OpenApiTypes.STR)
class DigitsText(WireNumber):
    """A number upstream types as a string holding digits (`device_type`, `ep_type`: "1")."""


def kept_field(openapi_type: OpenApiTypes) -> type[serializers.Field]:
    """A field documented with its upstream type whose value is kept as sent, unjudged: a
    value the platform stores only as the box's details (it never refused these)."""

    @extend_schema_field(openapi_type)
    class Kept(_NullIsAValue, serializers.Field):
        def __init__(self, **kwargs) -> None:
            kwargs.setdefault("required", False)
            super().__init__(**kwargs)

        def to_internal_value(self, data):
            return data

        def to_representation(self, value):
            return value

    Kept.__name__ = f"Kept{openapi_type.name.title()}"
    return Kept


KeptAny = kept_field(OpenApiTypes.ANY)
KeptInt = kept_field(OpenApiTypes.INT)
KeptText = kept_field(OpenApiTypes.STR)
KeptBool = kept_field(OpenApiTypes.BOOL)


@extend_schema_field(OpenApiTypes.BYTE)
class PictureField(KeptAny):
    """A picture as base64 text (or, from a form, a file): passed on as sent; the picture
    store judges it, so a bad picture flags its event instead of refusing it."""


@extend_schema_field(OpenApiTypes.OBJECT)
class LenientObject(_NullIsAValue, serializers.Field):
    """A JSON object; anything else counts as an empty one (as the platform always read it)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", dict)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> dict:
        return data if isinstance(data, dict) else {}

    def to_representation(self, value):
        return value


class ExtraKeysMixin:
    """Keeps the keys a serializer does not declare, under `extra_key` of its validated data:
    upstream marks these objects extensible (可迭代添加), and what a box adds is kept."""

    extra_key = "extra"

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        values[self.extra_key] = {key: value for key, value in data.items() if key not in self.fields}
        return values


class BoxBodySerializer(serializers.Serializer):
    """Base of the serializers of box bodies: refusals read "<field path> <what is wrong>"."""

    default_error_messages = {"invalid": "must be an object.", "required": "is required.", "null": "is required.",
                              "not_a_list": "must be a list.", "empty": "must not be empty."}

    @classmethod
    def many_init(cls, *args, **kwargs):
        # The list takes the same wording ("must be a list.") as its items.
        kwargs["error_messages"] = {**cls.default_error_messages, **kwargs.get("error_messages", {})}
        return super().many_init(*args, **kwargs)


class ContractErrorBodySerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="The contract's status code (upstream §3), e.g. 40091.")
    message = serializers.CharField()
    status = serializers.CharField(help_text="The code's name, e.g. PARAM_ERROR.")


class ContractErrorSerializer(serializers.Serializer):
    """The contract's error envelope (upstream §3), every /box/ refusal."""

    error = ContractErrorBodySerializer()


def refusals(errors: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, message) for each of a serializer's errors, in field order; list items
    as `name[i]`, nested objects as `name.field`."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == serializers.api_settings.NON_FIELD_ERRORS_KEY:
                yield from refusals(value, path)
            elif isinstance(key, int):
                yield from refusals(value, f"{path}[{key}]")
            else:
                yield from refusals(value, f"{path}.{key}" if path else str(key))
    elif isinstance(errors, list):
        if errors and all(isinstance(item, dict) for item in errors):  # a nested list of objects
            for index, item in enumerate(errors):
                yield from refusals(item, f"{path}[{index}]")
        else:
            for item in errors:
                yield from refusals(item, path)
    else:
        yield path, str(errors)


def refusal_message(errors: Any) -> str:
    return " ".join(f"{path or 'The body'} {message}" for path, message in refusals(errors))


def validated(serializer_class: type[serializers.Serializer], data=empty, **kwargs) -> dict:
    """The body's validated data, or the contract's 400 PARAM_ERROR naming what is wrong."""
    serializer = serializer_class(data=data, **kwargs)
    if not serializer.is_valid():
        raise ContractError(PARAM_ERROR, refusal_message(serializer.errors))
    return serializer.validated_data
