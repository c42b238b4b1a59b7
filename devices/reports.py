"""Status reports (part 2 §4.5.3) and device operate events (upstream §7.2) from boxes."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from cloudplatform.contract import PARAM_ERROR, ContractError

from .models import Box, BoxStatus, SubDevice
from .services import record_reported_state

GATEWAY_TEXT = ("gateway_ip", "gateway_name", "gateway_status", "gateway_sn")
EXT_TEXT = ("sw_version", "sdk_version", "gateway_mac")
EXT_NUMBERS = ("cpu_usage", "memory_size", "memory_usage", "disk_size", "disk_free_size")


def _number(value, field: str) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ContractError(PARAM_ERROR, gettext("%(field)s must be a number.") % {"field": field})
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ContractError(PARAM_ERROR, gettext("%(field)s must be a number.") % {"field": field}) from exc


def _device_type(value, field: str) -> int | None:
    number = _number(value, field)
    return None if number is None else int(number)


def record_status(box: Box, body) -> BoxStatus:
    """Keep the latest report and the sub-devices it lists; all or nothing."""
    if not isinstance(body, dict):
        raise ContractError(PARAM_ERROR, gettext("The status report must be a JSON object."))
    ext = body.get("gateway_ext_data") or {}
    devices = body.get("sub_devices") or []
    if not isinstance(ext, dict) or not isinstance(devices, list) or not all(isinstance(d, dict) for d in devices):
        raise ContractError(PARAM_ERROR,
                            gettext("gateway_ext_data must be an object and sub_devices a list of objects."))
    values = {key: str(body.get(key) or "").strip()[:100] for key in GATEWAY_TEXT}
    values.update({key: str(ext.get(key) or "")[:2000] for key in EXT_TEXT})
    values.update({key: _number(ext.get(key), f"gateway_ext_data.{key}") for key in EXT_NUMBERS})
    parsed = []
    for position, device in enumerate(devices):
        if not device.get("ep_id"):
            raise ContractError(PARAM_ERROR,
                                gettext("sub_devices[%(position)d].ep_id is required.") % {"position": position})
        parsed.append((str(device["ep_id"])[:120], {
            "name": str(device.get("ep_name") or "")[:100], "ip": str(device.get("ep_ip") or "")[:64],
            "status": str(device.get("ep_status") or "")[:20], "location": str(device.get("ep_location") or "")[:120],
            "device_type": _device_type(device.get("ep_type"), f"sub_devices[{position}].ep_type"),
            "stream_url": str(device.get("ep_url") or "")[:500],
        }))
    now = timezone.now()
    with transaction.atomic():
        status, _ = BoxStatus.objects.update_or_create(box=box, defaults={**values, "reported_at": now, "raw": body})
        listed = []
        for ep_id, fields in parsed:
            SubDevice.objects.update_or_create(box=box, ep_id=ep_id, defaults=fields)
            listed.append(ep_id)
        # A report lists every device the box has; those it no longer lists are not reachable.
        SubDevice.objects.filter(box=box).exclude(ep_id__in=listed).update(status="offline")
        record_reported_state(box, values["gateway_status"], now)
    return status


def record_device_operation(box: Box, body) -> SubDevice | None:
    """actionType 1: a device was added (or changed) on the box; 2: removed."""
    if not isinstance(body, dict) or not isinstance(body.get("deviceInfo"), dict):
        raise ContractError(PARAM_ERROR, gettext("Body must be {actionType, deviceInfo{...}}."))
    action = body.get("actionType", body.get("actiontype"))
    info = body["deviceInfo"]
    ep_id = str(info.get("epId") or "")[:120]
    if action not in (1, 2, "1", "2") or not ep_id:
        raise ContractError(PARAM_ERROR,
                            gettext("actionType must be 1 (add) or 2 (delete) and deviceInfo.epId is required."))
    if int(action) == 2:
        SubDevice.objects.filter(box=box, ep_id=ep_id).delete()
        return None
    known = {"epId", "epName", "epIp", "epStatus", "epType", "epStreamUrl", "devSno"}
    reported = str(info.get("epStatus") or "")
    status = {"1": "online", "2": "offline", "3": "unknown"}.get(reported, reported)
    device, _ = SubDevice.objects.update_or_create(box=box, ep_id=ep_id, defaults={
        "name": str(info.get("epName") or "")[:100], "ip": str(info.get("epIp") or "")[:64], "status": status[:20],
        "device_type": _device_type(info.get("epType"), "deviceInfo.epType"),
        "stream_url": str(info.get("epStreamUrl") or "")[:500],
        "details": {k: v for k, v in info.items() if k not in known},
    })
    return device
