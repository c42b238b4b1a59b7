"""Status reports (part 2 §4.5.3) and device operate events (upstream §7.2) from boxes."""
from __future__ import annotations

from django.utils import timezone

from cloudplatform import grouped_writes

from .models import Box, BoxStatus, SubDevice
from .services import record_reported_state

GATEWAY_TEXT = ("gateway_ip", "gateway_name", "gateway_status", "gateway_sn")
EXT_FIELDS = ("sw_version", "sdk_version", "gateway_mac", "cpu_usage", "memory_size", "memory_usage", "disk_size",
              "disk_free_size")
EP_STATUS = {"1": "online", "2": "offline", "3": "unknown"}  # upstream 01 §7.2's epStatus


def record_status(box: Box, report: dict, raw: dict) -> BoxStatus:
    """Keep the latest report (validated by devices.box_serializers.StatusReportSerializer; `raw`
    as sent) and the sub-devices it lists; all or nothing. Most reports change only figures and
    the time: one UPDATE for the report, none for unchanged sub-devices (a fleet's reports are
    the chattiest writes the platform has; bench/fleet.py)."""
    values = {key: report[key] for key in GATEWAY_TEXT}
    values.update({key: report["gateway_ext_data"][key] for key in EXT_FIELDS})
    now = timezone.now()
    fields = {**values, "reported_at": now, "raw": raw}
    grouped_writes.write(lambda: _store_status(box, fields, report["sub_devices"], now))
    return BoxStatus(box=box, **fields)


def _store_status(box: Box, fields: dict, sub_devices: list[dict], now) -> None:
    if not BoxStatus.objects.filter(box=box).update(**fields):
        BoxStatus.objects.update_or_create(box=box, defaults=fields)  # its first report
    _record_sub_devices(box, sub_devices, now)
    record_reported_state(box, fields["gateway_status"], now)


def _record_sub_devices(box: Box, reported: list[dict], now) -> None:
    known = {device.ep_id: device for device in SubDevice.objects.filter(box=box)}
    for device in reported:
        fields = {"name": device["ep_name"], "ip": device["ep_ip"], "status": device["ep_status"],
                  "location": device["ep_location"], "device_type": device["ep_type"], "stream_url": device["ep_url"]}
        current = known.get(device["ep_id"])
        if current is None:
            SubDevice.objects.update_or_create(box=box, ep_id=device["ep_id"], defaults=fields)
        elif any(getattr(current, name) != value for name, value in fields.items()):
            SubDevice.objects.filter(pk=current.pk).update(**fields, updated_at=now)
    # A report lists every device the box has; those it no longer lists are not reachable.
    listed = {device["ep_id"] for device in reported}
    unlisted = [device.pk for device in known.values() if device.ep_id not in listed and device.status != "offline"]
    if unlisted:
        SubDevice.objects.filter(pk__in=unlisted).update(status="offline", updated_at=now)


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
