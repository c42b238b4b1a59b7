from rest_framework import serializers

from .models import Area, Box, BoxStatus, SubDevice


class AreaSerializer(serializers.ModelSerializer):
    """A site (`parent` null) or an area inside one; `boxes` counts those directly in it."""

    box_count = serializers.IntegerField(source="boxes.count", read_only=True)

    class Meta:
        model = Area
        fields = ["id", "name", "parent", "box_count"]
        # Checked by save_area and the database (one name per parent); DRF's own check would
        # miss sites (a null parent) anyway.
        validators: list = []


class BoxSerializer(serializers.ModelSerializer):
    online = serializers.BooleanField(source="is_online", read_only=True)
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all(), allow_null=True, required=False,
                                              help_text="The area (or site) the box stands in; null for none.")

    class Meta:
        model = Box
        fields = [
            "id",
            "name",
            "dev_sno",
            "hex_mac",
            "enabled",
            "online",
            "area",
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


class SubDeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubDevice
        fields = ["ep_id", "name", "ip", "status", "location", "device_type", "stream_url", "updated_at"]


class BoxStatusSerializer(serializers.Serializer):
    """A box's state as the console shows it: online flag, the latest report and the sub-devices."""

    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    dev_sno = serializers.CharField()
    online = serializers.BooleanField(source="is_online")
    last_seen_at = serializers.DateTimeField(allow_null=True)
    report = serializers.SerializerMethodField()
    sub_devices = SubDeviceSerializer(many=True)

    def get_report(self, box: Box) -> dict | None:
        try:
            status = box.status
        except BoxStatus.DoesNotExist:
            return None
        return {field: getattr(status, field) for field in (
            "reported_at", "gateway_ip", "gateway_name", "gateway_status", "gateway_sn", "sw_version", "sdk_version",
            "gateway_mac", "cpu_usage", "memory_size", "memory_usage", "disk_size", "disk_free_size")}
