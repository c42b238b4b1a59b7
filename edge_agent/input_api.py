"""The box's inputs over HTTP (extensions of part 2, under the same prefix and conventions).

- `POST /SophonFogSys/api/recognize`: a picture pushed by a door pad or snapshot camera,
  as JSON `{"image": base64, "device_ip"?}` or multipart (`image` file, `device_ip`
  field). Answers every face found with its match; each face also becomes an event.
  Without `device_ip` the sender's address picks the registered device, if any.
- `/SophonFogSys/api/devices`: the front-end devices (GET lists them, POST adds or
  changes one, DELETE `{"ep_ip"}` removes one); each change is reported to the platform.
  A `folder` (or a video file as `ep_url`) must lie under the box's input roots, an
  `ep_url` stream be rtsp, rtsps, http or https: anything else answers 40091.
- `GET /SophonFogSys/api/events?limit=`: the latest stored events, without pictures.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress

from flask import Blueprint, jsonify, request

from aibox_contract.codes import ContractCodeError
from aibox_contract.devices import DEVICE_TYPES

from .local_api import NOT_FOUND, PARAM_ERROR, BadRequest, body, text
from .recognition import Device


def _picture() -> tuple[bytes, str | None]:
    if request.files.get("image"):
        return request.files["image"].read(), request.form.get("device_ip")
    if request.mimetype == "multipart/form-data":
        raise BadRequest(PARAM_ERROR, "image (a multipart file) is required.")
    data = body()
    value = data.get("image")
    if not isinstance(value, str) or not value:
        raise BadRequest(PARAM_ERROR, "image (base64 text, or a multipart file) is required.")
    if "," in value[:100] and value.startswith("data:"):
        value = value.split(",", 1)[1]  # a data: URL, as a browser sends it
    try:
        return base64.b64decode(value, validate=True), data.get("device_ip")
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(PARAM_ERROR, "image is not valid base64.") from exc


def _device_from(data: dict) -> Device:
    ip = text(data, "ep_ip").strip()
    try:
        ipaddress.ip_address(ip)
    except ValueError as exc:
        raise BadRequest(PARAM_ERROR, "ep_ip must be an IP address.") from exc
    ep_type = data.get("ep_type", 1)
    if isinstance(ep_type, str) and ep_type.isdigit():
        ep_type = int(ep_type)
    if ep_type not in DEVICE_TYPES:
        raise BadRequest(PARAM_ERROR, "ep_type must be 0 gate, 1 snapshot camera, 2 IPC static, 3 IPC dynamic "
                                      "or 4 door access.")
    direction = data.get("direction", 0)
    if isinstance(direction, str) and direction.isdigit():
        direction = int(direction)
    if direction not in (0, 1) or isinstance(direction, bool):
        raise BadRequest(PARAM_ERROR, "direction must be 0 (in) or 1 (out).")
    fps = data.get("fps", 2.0)
    if isinstance(fps, bool) or not isinstance(fps, int | float) or not 0 < fps <= 30:
        raise BadRequest(PARAM_ERROR, "fps must be a number above 0 and at most 30.")
    fields = {key: data.get(key, "") for key in ("ep_name", "ep_location", "ep_url", "folder")}
    if not all(isinstance(v, str) for v in fields.values()):
        raise BadRequest(PARAM_ERROR, "ep_name, ep_location, ep_url and folder must be strings.")
    if fields["ep_url"] and fields["folder"]:
        raise BadRequest(PARAM_ERROR, "a device has either a stream (ep_url) or a folder, not both.")
    return Device(ip=ip, name=fields["ep_name"], ep_type=ep_type, location=fields["ep_location"],
                  stream_url=fields["ep_url"], folder=fields["folder"], fps=float(fps), direction=direction)


def _describe(agent, device: Device, status: str | None = None) -> dict:
    return {"ep_id": device.ep_id(agent.dev_sno), "ep_ip": device.ip, "ep_name": device.name,
            "ep_type": device.ep_type, "ep_location": device.location, "ep_url": device.stream_url,
            "folder": device.folder, "fps": device.fps, "direction": device.direction,
            "ep_status": status or agent.devices.status(device)}


def input_routes(api: Blueprint, agent) -> None:
    @api.post("/recognize")
    def recognize():
        image, device_ip = _picture()
        device = agent.devices.get(device_ip or request.remote_addr or "")
        if device_ip and device is None:
            raise BadRequest(NOT_FOUND, f"no device {device_ip} on this box (POST /SophonFogSys/api/devices).", 404)
        if device is not None:
            agent.devices.touch(device)
        try:
            recognitions = agent.recognizer.recognise(image, device)
        except ContractCodeError as exc:
            raise BadRequest(exc.code, exc.message) from exc
        return jsonify({"data": {"faces": [r.to_dict() for r in recognitions],
                                 "ep_id": device.ep_id(agent.dev_sno) if device else ""}})

    @api.get("/devices")
    def list_devices():
        return jsonify({"data": {"devices": [_describe(agent, d) for d in agent.devices.all()]}})

    @api.post("/devices")
    def save_device():
        try:
            device = agent.input_roots.check(_device_from(body()))
        except ValueError as exc:
            raise BadRequest(PARAM_ERROR, str(exc)) from exc
        status = agent.devices.save(device)
        return jsonify({"data": _describe(agent, device, status)})

    @api.delete("/devices")
    def delete_device():
        ip = text(body(), "ep_ip")
        device = agent.devices.remove(ip)
        if device is None:
            raise BadRequest(NOT_FOUND, f"no device {ip} on this box.", 404)
        return jsonify({"data": {"ep_id": device.ep_id(agent.dev_sno), "message": "removed"}})

    @api.get("/events")
    def recent_events():
        limit = request.args.get("limit", "50")
        if not limit.isdigit() or not 1 <= int(limit) <= 1000:
            raise BadRequest(PARAM_ERROR, "limit must be 1 to 1000.")
        return jsonify({"data": {"total": len(agent.events),
                                 "events": [{"id": e.id, **e.body} for e in agent.events.recent(int(limit))]}})
