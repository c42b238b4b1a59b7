from rest_framework import serializers

from .models import Box


class BoxSerializer(serializers.ModelSerializer):
    online = serializers.BooleanField(source="is_online", read_only=True)

    class Meta:
        model = Box
        fields = [
            "id",
            "name",
            "dev_sno",
            "hex_mac",
            "enabled",
            "online",
            "record_upload_period",
            "device_monitor_period",
            "created_at",
            "last_login_at",
            "last_login_ip",
            "last_seen_at",
        ]
        read_only_fields = [
            "dev_sno",
            "hex_mac",
            "enabled",
            "created_at",
            "last_login_at",
            "last_login_ip",
            "last_seen_at",
        ]
