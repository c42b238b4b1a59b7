"""Status reports (part 2 §4.5.3) and device operate events (upstream §7.2) from boxes."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from cloudplatform import grouped_writes
from cloudplatform.db.prepared import PreparedRows, PreparedUpdate

from .models import Box, BoxStatus, SubDevice
from .services import reported_state_write

GATEWAY_TEXT = ("gateway_ip", "gateway_name", "gateway_status", "gateway_sn")
EXT_FIELDS = ("sw_version", "sdk_version", "gateway_mac", "cpu_usage", "memory_size", "memory_usage", "disk_size",
              "disk_free_size")
EP_STATUS = {"1": "online", "2": "offline", "3": "unknown"}  # upstream 01 §7.2's epStatus


SUB_DEVICE_FIELDS = {"name": "ep_name", "ip": "ep_ip", "status": "ep_status", "location": "ep_location",
                     "device_type": "ep_type", "stream_url": "ep_url"}
# A stored sub-device as _StatusWrite reads it: its id, its ep_id, then SUB_DEVICE_FIELDS in order.
STORED_FIELDS = 2
STORED_STATUS = STORED_FIELDS + list(SUB_DEVICE_FIELDS).index("status")


def record_status(box: Box, report: dict, raw: dict) -> BoxStatus:
    """Keep the latest report (validated by devices.box_serializers.StatusReportSerializer; `raw`
    as sent) and the sub-devices it lists; all or nothing. Most reports change only figures and
    the time: one UPDATE for the report, none for unchanged sub-devices (a fleet's reports are
    the chattiest writes the platform has; bench/fleet.py). The usual statements are made here,
    before the write transaction (cloudplatform/db/prepared.py)."""
    values = {key: report[key] for key in GATEWAY_TEXT}
    values.update({key: report["gateway_ext_data"][key] for key in EXT_FIELDS})
    now = timezone.now()
    fields = {**values, "reported_at": now, "raw": raw}
    write = _StatusWrite(box, fields, report["sub_devices"], now)
    grouped_writes.write(write.run)
    return BoxStatus(box=box, **fields)


class _StatusWrite:
    def __init__(self, box: Box, fields: dict, sub_devices: list[dict], now: datetime) -> None:
        self.box, self.fields, self.reported, self.now = box, fields, sub_devices, now
        self.update = PreparedUpdate(BoxStatus.objects.filter(box=box), **fields)
        self.known = PreparedRows(SubDevice.objects.filter(box=box).order_by().values_list(
            "pk", "ep_id", *SUB_DEVICE_FIELDS))
        self.state = reported_state_write(box, fields["gateway_status"], now)

    def run(self) -> None:
        if not self.update.run():
            BoxStatus.objects.update_or_create(box=self.box, defaults=self.fields)  # its first report
        self._record_sub_devices({row[1]: row for row in self.known.run()})
        self.state()

    def _record_sub_devices(self, known: dict[str, tuple]) -> None:
        for device in self.reported:
            fields = {name: device[wire] for name, wire in SUB_DEVICE_FIELDS.items()}
            current = known.get(device["ep_id"])
            if current is None:
                SubDevice.objects.update_or_create(box=self.box, ep_id=device["ep_id"], defaults=fields)
            elif tuple(fields.values()) != current[STORED_FIELDS:]:
                SubDevice.objects.filter(pk=current[0]).update(**fields, updated_at=self.now)
        # A report lists every device the box has; those it no longer lists are not reachable.
        listed = {device["ep_id"] for device in self.reported}
        unlisted = [row[0] for ep_id, row in known.items() if ep_id not in listed and row[STORED_STATUS] != "offline"]
        if unlisted:
            SubDevice.objects.filter(pk__in=unlisted).update(status="offline", updated_at=self.now)


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
