"""The box's inputs over HTTP (extensions of part 2, under the same prefix and conventions).

- `POST /SophonFogSys/api/recognize`: a picture pushed by a door pad or snapshot camera,
  as JSON `{"image": base64, "device_ip"?}` or multipart (`image` file, `device_ip`
  field). Answers every face found with its match; each face also becomes an event.
  Without `device_ip` the sender's address picks the registered device, if any.
- `/SophonFogSys/api/devices`: the front-end devices (GET lists them, POST adds or
  changes one, DELETE `{"ep_ip"}` removes one); each change is reported to the platform.
  A `folder` (or a video file as `ep_url`) must lie under the box's input roots, an
  `ep_url` stream be rtsp, rtsps, http or https: anything else answers 40091.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, request

from aibox_contract.codes import ContractCodeError
from aibox_contract.devices import DEVICE_TYPES

from ..recognition import Device, Recognition
from ..sources import DeviceRegistry, InputRoots
from .bodies import NOT_FOUND, PARAM_ERROR, BadRequest, base64_bytes, body, data, text


@dataclass(frozen=True)
class Picture:
    """POST recognize: the picture and the device it names, if any."""

    image: bytes
    device_ip: str | None

    @classmethod
    def read(cls) -> Picture:
        if request.files.get("image"):
            return cls(request.files["image"].read(), request.form.get("device_ip"))
        if request.mimetype == "multipart/form-data":
            raise BadRequest(PARAM_ERROR, "image (a multipart file) is required.")
        values = body()
        value = values.get("image")
        if not isinstance(value, str) or not value:
            raise BadRequest(PARAM_ERROR, "image (base64 text, or a multipart file) is required.")
        if "," in value[:100] and value.startswith("data:"):
            value = value.split(",", 1)[1]  # a data: URL, as a browser sends it
        return cls(base64_bytes(value, PARAM_ERROR, "image"), values.get("device_ip"))


def _whole(value):
    return int(value) if isinstance(value, str) and value.isdigit() else value


def device_of(values: dict) -> Device:
    """POST devices' body as a Device (its folder and stream not yet checked against the roots)."""
    ip = text(values, "ep_ip").strip()
    try:
        ipaddress.ip_address(ip)
    except ValueError as exc:
        raise BadRequest(PARAM_ERROR, "ep_ip must be an IP address.") from exc
    ep_type = _whole(values.get("ep_type", 1))
    if ep_type not in DEVICE_TYPES:
        raise BadRequest(PARAM_ERROR, "ep_type must be 0 gate, 1 snapshot camera, 2 IPC static, 3 IPC dynamic "
                                      "or 4 door access.")
    direction = _whole(values.get("direction", 0))
    if direction not in (0, 1) or isinstance(direction, bool):
        raise BadRequest(PARAM_ERROR, "direction must be 0 (in) or 1 (out).")
    fps = values.get("fps", 2.0)
    if isinstance(fps, bool) or not isinstance(fps, int | float) or not 0 < fps <= 30:
        raise BadRequest(PARAM_ERROR, "fps must be a number above 0 and at most 30.")
    fields = {key: values.get(key, "") for key in ("ep_name", "ep_location", "ep_url", "folder")}
    if not all(isinstance(v, str) for v in fields.values()):
        raise BadRequest(PARAM_ERROR, "ep_name, ep_location, ep_url and folder must be strings.")
    if fields["ep_url"] and fields["folder"]:
        raise BadRequest(PARAM_ERROR, "a device has either a stream (ep_url) or a folder, not both.")
    return Device(ip=ip, name=fields["ep_name"], ep_type=ep_type, location=fields["ep_location"],
                  stream_url=fields["ep_url"], folder=fields["folder"], fps=float(fps), direction=direction)


class InputRoutes:
    def __init__(self, devices: DeviceRegistry, roots: InputRoots,
                 recognise: Callable[[bytes, Device | None], list[Recognition]], dev_sno: Callable[[], str]) -> None:
        self.devices = devices
        self.roots = roots
        self.recognise = recognise
        self.dev_sno = dev_sno

    def register(self, api: Blueprint) -> None:
        api.add_url_rule("/recognize", "recognize", self.recognize, methods=["POST"])
        api.add_url_rule("/devices", "list_devices", self.list_devices, methods=["GET"])
        api.add_url_rule("/devices", "save_device", self.save_device, methods=["POST"])
        api.add_url_rule("/devices", "delete_device", self.delete_device, methods=["DELETE"])

    def describe(self, device: Device, status: str | None = None) -> dict:
        return {"ep_id": device.ep_id(self.dev_sno()), "ep_ip": device.ip, "ep_name": device.name,
                "ep_type": device.ep_type, "ep_location": device.location, "ep_url": device.stream_url,
                "folder": device.folder, "fps": device.fps, "direction": device.direction,
                "ep_status": status or self.devices.status(device)}

    def recognize(self):
        picture = Picture.read()
        device = self.devices.get(picture.device_ip or request.remote_addr or "")
        if picture.device_ip and device is None:
            raise BadRequest(NOT_FOUND, f"no device {picture.device_ip} on this box (POST /SophonFogSys/api/devices).",
                             404)
        if device is not None:
            self.devices.touch(device)
        try:
            recognitions = self.recognise(picture.image, device)
        except ContractCodeError as exc:
            raise BadRequest(exc.code, exc.message) from exc
        return data({"faces": [r.to_dict() for r in recognitions],
                     "ep_id": device.ep_id(self.dev_sno()) if device else ""})

    def list_devices(self):
        return data({"devices": [self.describe(d) for d in self.devices.all()]})

    def save_device(self):
        try:
            device = self.roots.check(device_of(body()))
        except ValueError as exc:
            raise BadRequest(PARAM_ERROR, str(exc)) from exc
        status = self.devices.save(device)
        return data(self.describe(device, status))

    def delete_device(self):
        ip = text(body(), "ep_ip")
        device = self.devices.remove(ip)
        if device is None:
            raise BadRequest(NOT_FOUND, f"no device {ip} on this box.", 404)
        return data({"ep_id": device.ep_id(self.dev_sno()), "message": "removed"})
