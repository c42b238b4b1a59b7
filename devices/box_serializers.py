"""What boxes send to the devices endpoints, as DRF serializers mirroring upstream's tables:
the login's query (upstream 01 §4), the status report (part 2 §4.5.3) and the device operate
event (upstream 01 §7.2). Values are read as the platform always read them (cloudplatform.wire):
text cut to its column, numbers also as text, null as empty."""
from __future__ import annotations

from rest_framework import serializers

from cloudplatform.wire import BoxBodySerializer, DigitsText, KeptBool, KeptInt, KeptText, WireNumber, WireText

ACTIONS = (1, 2, "1", "2")  # 1 add, 2 delete; the number or its digits
ACTION_REFUSED = "must be 1 (add) or 2 (delete)."


class LoginQuerySerializer(serializers.Serializer):
    """The login's query string (upstream 01 §4)."""

    dev_sno = serializers.CharField(help_text="Authorisation code issued by the platform.")
    hex_mac = serializers.CharField(help_text="The box's MAC, e.g. 0xe0a50900062b.")


class GatewayExtSerializer(BoxBodySerializer):
    """gateway_ext_data of the status report (part 2 §4.5.3)."""

    sw_version = WireText(2000, help_text="Upstream: required.")
    sdk_version = WireText(2000)
    gateway_mac = WireText(2000)
    cpu_usage = WireNumber(help_text="Percent.")
    memory_size = WireNumber(help_text="GB.")
    memory_usage = WireNumber()
    disk_size = WireNumber(help_text="GB (/data).")
    disk_free_size = WireNumber(help_text="GB (/data).")


class SubDeviceReportSerializer(BoxBodySerializer):
    """One of the status report's sub_devices (part 2 §4.5.3)."""

    ep_id = WireText(120, required=True, allow_blank=False, help_text="<dev_sno>__<ip>.")
    ep_name = WireText(100)
    ep_ip = WireText(64, help_text="Upstream: required.")
    ep_status = WireText(20, help_text="online or offline. Upstream: required.")
    ep_location = WireText(120, help_text="Upstream: required.")
    ep_type = DigitsText(whole=True, help_text="0 gate, 1 snapshot camera, 2 IPC static, 3 IPC dynamic, "
                                               "4 door access. Upstream: required.")
    ep_url = WireText(500)


class StatusReportSerializer(BoxBodySerializer):
    """The status report (part 2 §4.5.3). Upstream requires most fields; a report missing
    some has always been kept with them empty, and still is."""

    gateway_ip = WireText(100, strip=True, help_text="Upstream: required.")
    gateway_name = WireText(100, strip=True, help_text="Upstream: required.")
    gateway_status = WireText(100, strip=True, help_text="online or offline (the box's own word, shown as is). "
                                                         "Upstream: required.")
    gateway_sn = WireText(100, strip=True, help_text="Upstream: required.")
    dev_sno = WireText(help_text="Upstream: required. The query's dev_sno is the one that counts.")
    gateway_ext_data = GatewayExtSerializer(required=False, help_text="Upstream: required.")
    sub_devices = SubDeviceReportSerializer(many=True, required=False,
                                            help_text="Every device the box has. Upstream: required.")

    def to_internal_value(self, data) -> dict:
        if isinstance(data, dict):  # an empty value ("", [], {}) of either has always meant "none"
            data = {**data, "gateway_ext_data": data.get("gateway_ext_data") or {},
                    "sub_devices": data.get("sub_devices") or []}
        return super().to_internal_value(data)


class DeviceInfoSerializer(BoxBodySerializer):
    """deviceInfo of the device operate event (upstream 01 §7.2). The fields the platform does not
    keep in columns, and any further ones the box sends, are kept as sent (the device's details)."""

    STORED = ("epId", "epName", "epIp", "epStatus", "epType", "epStreamUrl", "devSno")

    epId = WireText(120, required=True, allow_blank=False, help_text="The device's id (<dev_sno>__<ip>).")
    devSno = WireText(help_text="Upstream: required.")
    direction = KeptInt(help_text="0 in, 1 out. Upstream: required.")
    epType = DigitsText(whole=True, help_text="0 gate, 1 snapshot camera, 2 IPC static, 3 IPC dynamic, "
                                              "4 door access. Upstream: required.")
    memo = KeptText(help_text="Upstream: required.")
    epName = WireText(100, help_text="Upstream: required.")
    epIp = WireText(64, help_text="Upstream: required.")
    epStatus = WireText(20, help_text="1 online, 2 offline, 3 unknown. Upstream: required.")
    epVersion = KeptText(help_text="Upstream: required.")
    epGroupName = KeptText(help_text="Upstream: required.")
    epStreamUrl = WireText(500, help_text="Upstream: required.")
    lastMonitorTime = KeptInt(help_text="Seconds. Upstream: required.")
    isMonitor = KeptBool(help_text="Upstream: required.")
    privilegeGroupKey = KeptText(help_text="Upstream: required.")

    def to_internal_value(self, data) -> dict:
        values = super().to_internal_value(data)
        values["details"] = {key: value for key, value in data.items() if key not in self.STORED}
        return values


class DeviceOperationSerializer(BoxBodySerializer):
    """The device operate event (upstream 01 §7.2): its table names the action `actiontype`, its
    example and CONTRACT §6 `actionType`; either is read (`actionType` first)."""

    actionType = KeptInt(help_text="1 add (or change), 2 delete.")
    actiontype = KeptInt(help_text="Upstream's table's spelling of actionType.")
    deviceInfo = DeviceInfoSerializer()

    def validate(self, attrs: dict) -> dict:
        action = attrs["actionType"] if "actionType" in attrs else attrs.get("actiontype")
        if action not in ACTIONS:
            raise serializers.ValidationError({"actionType": ACTION_REFUSED})
        return {"action": int(action), "device": attrs["deviceInfo"]}
