"""Writes that change a box: its record and its broker identity move together."""
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from audit.services import operation
from cloudplatform import live
from cloudplatform.contract import BAD_REQUEST, ID_NOT_FOUND, PARAM_ERROR, SERVER_PROCESS_FAILED, ContractError
from cloudplatform.db.prepared import PreparedUpdate

from .broker import BrokerAdmin, BrokerAdminError, BrokerSnapshot, broker_admin, fingerprint
from .codes import generate_dev_sno, normalise_mac
from .models import Area, Box, hash_token
from .selectors import boxes_within, site_of, within
from .signals import announce_boxes_moved

logger = logging.getLogger(__name__)


def _new_broker_password() -> str:
    return secrets.token_urlsafe(24)


def create_box(*, name: str, record_upload_period: int | None = None, device_monitor_period: int | None = None,
               area: Area | None = None) -> Box:
    """A new box with a fresh dev_sno; its broker identity exists before the code is shown to anyone."""
    box = Box(name=name, broker_password=_new_broker_password(), area=area)
    if record_upload_period is not None:
        box.record_upload_period = record_upload_period
    if device_monitor_period is not None:
        box.device_monitor_period = device_monitor_period
    with transaction.atomic():
        box.dev_sno = _unused_dev_sno()
        box.save()
        provision_box(box)
        announce_boxes_moved([box] if area else [])
    logger.info("created box %s", box)
    return box


def _unused_dev_sno() -> str:
    while True:
        dev_sno = generate_dev_sno()
        if not Box.objects.filter(dev_sno=dev_sno).exists():
            return dev_sno


def disable_box(box: Box) -> None:
    """Refuse its logins and tokens, remove its broker user and drop its connections."""
    box.refresh_from_db()
    with transaction.atomic(), operation("box_disabled"):
        box.enabled, box.token_hash, box.broker_provisioned = False, "", ""
        box.save(update_fields=["enabled", "token_hash", "broker_provisioned"])
        broker_admin().revoke_box_access(box)
    logger.info("disabled box %s", box)


def enable_box(box: Box) -> None:
    box.refresh_from_db()
    with transaction.atomic(), operation("box_enabled"):
        box.enabled = True
        box.save(update_fields=["enabled"])
        provision_box(box)
    logger.info("enabled box %s", box)


def update_box(box: Box, **fields) -> Box:
    """Save the box's editable fields; a new area syncs whom it serves (the groups of its area
    and of the areas above it)."""
    with transaction.atomic():
        moved = "area" in fields and fields["area"] != box.area
        for key, value in fields.items():
            setattr(box, key, value)
        box.save()
        announce_boxes_moved([box] if moved else [])
    return box


class AreaError(ValueError):
    """A change to the areas tree that would break it (a loop) or lose something (boxes)."""


def save_area(area: Area, *, name: str, parent: Area | None) -> Area:
    """Create (`area` unsaved), rename or move an area. Moving one changes which areas are above
    its boxes, so whom they serve: they are synced."""
    if area.pk is not None and parent is not None and parent.pk in within([area.pk]):
        raise AreaError(gettext("An area cannot move inside itself or an area below it."))
    with transaction.atomic():
        moved = area.pk is not None and area.parent_id != (parent.pk if parent else None)
        area.name, area.parent = name, parent
        area.save()
        announce_boxes_moved(boxes_within([area.pk]) if moved else [])
    return area


def delete_area(area: Area) -> None:
    """Only an empty area goes: no area below it and no box in it."""
    if area.children.exists():
        raise AreaError(gettext("Move or delete the areas inside it first."))
    if area.boxes.exists():
        raise AreaError(gettext("Move its boxes to another area first."))
    area.delete()


def release_binding(box: Box) -> None:
    """Let the next box to log in with this code bind its own MAC (a replaced box)."""
    box.refresh_from_db()
    with operation("binding_released"):
        box.hex_mac = ""
        box.save(update_fields=["hex_mac"])
    logger.info("released MAC binding of box %s", box)


def rotate_credentials(box: Box) -> None:
    """New broker password, old token void, open connections dropped: the box must log in again."""
    with transaction.atomic(), operation("credentials_rotated"):
        box.broker_password = _new_broker_password()
        box.token_hash = ""
        box.save(update_fields=["broker_password", "token_hash"])
        admin = broker_admin()
        if box.enabled:
            provision_box(box, admin)
        admin.close_connections(box.broker_username)
    logger.info("rotated credentials of box %s", box)


def delete_box(box: Box) -> None:
    with transaction.atomic():
        broker_admin().delete_box_resources(box)
        box.delete()


@dataclass(frozen=True)
class LoginGrant:
    box: Box
    token: str


def login_box(*, dev_sno: str, hex_mac: str, client_ip: str | None) -> LoginGrant:
    """Upstream §4 login. Refusals raise ContractError and change nothing.

    The broker is checked before the box's row is locked: no database lock (SQLite's is the
    whole database) is held while RabbitMQ answers. The row is then checked again under the
    lock, since the box may have been disabled or bound meanwhile."""
    mac = normalise_mac(hex_mac)
    if mac is None:
        raise ContractError(PARAM_ERROR, gettext("hex_mac must be a MAC address such as 0xe0a50900062b."))
    box = _admitted(Box.objects.filter(dev_sno=dev_sno).first(), mac)
    try:
        provide_for_login(box)
    except BrokerAdminError as exc:
        logger.error("login of %s: broker provisioning failed: %s", dev_sno, exc)
        raise ContractError(SERVER_PROCESS_FAILED, gettext("Message broker unavailable; retry later."),
                            503) from exc
    with transaction.atomic():
        box = Box.objects.select_for_update().filter(dev_sno=dev_sno).first()
        if box is not None and not box.enabled:
            # Disabled while its identity was checked: whatever the check made again goes.
            _revoke_quietly(box)
        box = _admitted(box, mac)
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        box.hex_mac = mac
        box.token_hash = hash_token(token)
        box.last_login_at = now
        box.last_login_ip = client_ip
        box.said_offline = False  # a box logging in is up, whatever its last report said
        box.save(update_fields=["hex_mac", "token_hash", "last_login_at", "last_login_ip", "said_offline"])
        mark_seen(box, now)
    logger.info("box %s logged in from %s (%s)", dev_sno, client_ip, mac)
    return LoginGrant(box=box, token=token)


def _admitted(box: Box | None, mac: str) -> Box:
    """The box, when it may log in with this MAC; else the contract's refusal."""
    if box is None:
        raise ContractError(ID_NOT_FOUND, gettext("Unknown dev_sno."), 404)
    if not box.enabled:
        raise ContractError(BAD_REQUEST, gettext("This box is disabled on the platform."), 403)
    if box.hex_mac and box.hex_mac != mac:
        raise ContractError(
            BAD_REQUEST,
            gettext("This dev_sno is bound to another box; an administrator must release the binding first."),
            403,
        )
    return box


def _revoke_quietly(box: Box) -> None:
    try:
        broker_admin().revoke_box_access(box)
    except BrokerAdminError as exc:  # beat's reconcile_broker_identities removes it then
        logger.error("could not revoke the broker user of disabled box %s: %s", box, exc)


def provision_box(box: Box, admin: BrokerAdmin | None = None) -> None:
    """Make every part of the box's broker identity and remember what was made (its fingerprint)."""
    box.broker_provisioned = (admin or broker_admin()).ensure_box_identity(box)
    Box.objects.filter(pk=box.pk).update(broker_provisioned=box.broker_provisioned)


def provide_for_login(box: Box) -> int:
    """The box's broker identity at a login, without making it all again each time (see
    repair_broker_identity), checked by reads of this box's parts alone."""
    admin = broker_admin()
    return repair_broker_identity(box, admin, lambda: admin.box_snapshot(box))


def repair_broker_identity(box: Box, admin: BrokerAdmin, snapshot: Callable[[], BrokerSnapshot]) -> int:
    """Made whole when the record says it never was with these credentials, else checked
    against a snapshot of the broker and only the missing parts made again (a broker reset, a
    user or permission deleted by hand). How many parts were made."""
    calls = admin.box_identity(box)
    if box.broker_provisioned != fingerprint(calls):
        provision_box(box, admin)
        return len(calls)
    try:
        missing = snapshot().missing(calls)
    except BrokerAdminError as exc:
        # A read can fail on its own (RabbitMQ answered 500 while another client deleted a
        # vhost, seen in a suite run): making every part again costs more, refuses nothing.
        logger.warning("box %s: broker not checked (%s); its identity made again", box.dev_sno, exc)
        missing = calls
    if missing:
        logger.warning("box %s: broker identity repaired (%s)", box.dev_sno, ", ".join(c.path for c in missing))
        admin.provide(missing)
    return len(missing)


def box_state(box: Box) -> dict:
    """What the console shows live about a box."""
    return {"id": box.pk, "name": box.name, "dev_sno": box.dev_sno, "online": box.is_online,
            "last_seen_at": box.last_seen_at.isoformat() if box.last_seen_at else None}


def mark_seen(box: Box, now=None) -> None:
    """The box spoke: it is online from now, unless its last status report said
    `gateway_status: offline` (its own word wins until it reports otherwise or logs in);
    the console hears of every change."""
    now = now or timezone.now()
    online = not box.said_offline
    Box.objects.filter(pk=box.pk).update(last_seen_at=now, online=online)
    _now_seen(box, now, online)


def _now_seen(box: Box, now: datetime, online: bool) -> None:
    changed = box.online != online
    box.last_seen_at, box.online = now, online
    if changed:
        logger.info("box %s is %s", box.dev_sno, "online" if online else "offline (as it reported)")
        live.publish("box", box_state(box), site=site_of(box.area_id))


def reported_state_write(box: Box, gateway_status: str, now: datetime) -> Callable[[], None]:
    """The write of a status report's gateway_status (part 2 §4.5.3: online or offline), which
    sets what the console shows and marks the box seen: its statement made now, to be run in
    the report's write transaction (cloudplatform/db/prepared.py)."""
    said_offline = gateway_status.strip().lower() == "offline"
    update = PreparedUpdate(Box.objects.filter(pk=box.pk), said_offline=said_offline, last_seen_at=now,
                            online=not said_offline)

    def run() -> None:
        update.run()
        box.said_offline = said_offline
        _now_seen(box, now, not said_offline)
    return run


def mark_offline_if_silent(box: Box) -> bool:
    """Offline after three status periods of silence; False when the box spoke meanwhile."""
    if not box.online or not box.silent_for_too_long:
        return False
    # Conditional on the last_seen_at we judged by: a report arriving meanwhile wins.
    changed = Box.objects.filter(pk=box.pk, online=True, last_seen_at=box.last_seen_at).update(online=False)
    if changed:
        box.online = False
        logger.info("box %s is offline (silent since %s)", box.dev_sno, box.last_seen_at)
        live.publish("box", box_state(box), site=site_of(box.area_id))
    return bool(changed)
