from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import AuditEntry
from .selectors import action_label, kind_label


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", help_text="The operator's username at the time.")
    actor_id = serializers.IntegerField(allow_null=True, help_text="The operator's account, while it exists.")
    address = serializers.IPAddressField(source="remote_addr", allow_null=True)
    kind = serializers.CharField(help_text="app_label.model of the changed object.")
    kind_label = serializers.SerializerMethodField()
    object = serializers.CharField(source="object_pk")
    action = serializers.CharField(source="what", help_text="create, update, delete, or an operation's name.")
    action_label = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField(help_text="Field name → [before, after].")
    details = serializers.JSONField(source="additional_data", allow_null=True,
                                    help_text="What an operation did beyond field changes (commands sent...).")

    class Meta:
        model = AuditEntry
        fields = ["id", "timestamp", "actor", "actor_id", "address", "kind", "kind_label", "object", "object_repr",
                  "action", "action_label", "changes", "details"]
        read_only_fields = fields

    def get_kind_label(self, entry: AuditEntry) -> str:
        return kind_label(entry)

    def get_action_label(self, entry: AuditEntry) -> str:
        return action_label(entry)

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2}})
    def get_changes(self, entry: AuditEntry) -> dict:
        return entry.changes or {}
