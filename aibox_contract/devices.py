"""Front-end device types: `ep_type` in a box's device report, `device_type` in an event."""
from ._text import gettext_noop

GATE, SNAPSHOT_CAMERA, IPC_STATIC, IPC_DYNAMIC, DOOR_ACCESS = 0, 1, 2, 3, 4

DEVICE_TYPES: dict[int, str] = {  # English; the console translates the label
    GATE: gettext_noop("gate"),
    SNAPSHOT_CAMERA: gettext_noop("snapshot camera"),
    IPC_STATIC: gettext_noop("IPC, static"),
    IPC_DYNAMIC: gettext_noop("IPC, dynamic"),
    DOOR_ACCESS: gettext_noop("door access"),
}
