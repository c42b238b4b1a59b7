"""Status reports (part 2 §4.5.3) and device operate events (upstream §7.2) from boxes."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import Box, BoxStatus, SubDevice
from .services import record_reported_state

GATEWAY_TEXT = ("gateway_ip", "gateway_name", "gateway_status", "gateway_sn")
EXT_FIELDS = ("sw_version", "sdk_version", "gateway_mac", "cpu_usage", "memory_size", "memory_usage", "disk_size",
              "disk_free_size")
EP_STATUS = {"1": "online", "2": "offline", "3": "unknown"}  # upstream 01 §7.2's epStatus


def record_status(box: Box, report: dict, raw: dict) -> BoxStatus:
    """Keep the latest report (validated by devices.box_serializers.StatusReportSerializer; `raw`
    as sent) and the sub-devices it lists; all or nothing."""
    values = {key: report[key] for key in GATEWAY_TEXT}
    values.update({key: report["gateway_ext_data"][key] for key in EXT_FIELDS})
    now = timezone.now()
    with transaction.atomic():
        status, _ = BoxStatus.objects.update_or_create(box=box, defaults={**values, "reported_at": now, "raw": raw})
        listed = []
        for device in report["sub_devices"]:
            SubDevice.objects.update_or_create(box=box, ep_id=device["ep_id"], defaults={
                "name": device["ep_name"], "ip": device["ep_ip"], "status": device["ep_status"],
                "location": device["ep_location"], "device_type": device["ep_type"], "stream_url": device["ep_url"]})
            listed.append(device["ep_id"])
        # A report lists every device the box has; those it no longer lists are not reachable.
        SubDevice.objects.filter(box=box).exclude(ep_id__in=listed).update(status="offline")
        record_reported_state(box, values["gateway_status"], now)
    return status


def record_device_operation(box: Box, action: int, device: dict) -> SubDevice | None:
    """action 1: a device was added (or changed) on the box; 2: removed. `device` is a validated
    deviceInfo (devices.box_serializers.DeviceInfoSerializer)."""
    if action == 2:
        SubDevice.objects.filter(box=box, ep_id=device["epId"]).delete()
        return None
    status = EP_STATUS.get(device["epStatus"], device["epStatus"])
    sub_device, _ = SubDevice.objects.update_or_create(box=box, ep_id=device["epId"], defaults={
        "name": device["epName"], "ip": device["epIp"], "status": status, "device_type": device["epType"],
        "stream_url": device["epStreamUrl"], "details": device["details"],
    })
    return sub_device
