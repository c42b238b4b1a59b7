"""The box's people, groups and events as data: the default comparison group, and wiping.

Comparison groups (part 2 §4.2, "face groups") decide whom a face is compared with: a
person is recognised only while in at least one, and an event's `group_name` names the
groups of the person matched, so it is always true. `default_group` exists on every
box: upstream v1.0.2 creates a comparison group by default when users are sent, so the
people the cloud sends (add_users_plus) are in it, and part 2's own examples
(`POST users {"group_name": "default_group", ...}`) work on a fresh box.

Wiping (MQ `wipe_data`, upstream 01 §5.2, and local `WipeData`, part 2 §4.5.4) is one
function honouring `wipe_options`: `users` erases the people, their photos and the local
permission and comparison groups (default_group comes back at once); `events` erases the
stored events.
"""
from __future__ import annotations

import uuid

from .events import EventStore
from .face.gallery import Gallery, Person
from .photos import PhotoStore
from .store import Store

FACE_PREFIX = "face:"  # a comparison group among a person's groups; permission ids stand as they are
DEFAULT_GROUP = "default_group"
DEFAULT_TAG = FACE_PREFIX + DEFAULT_GROUP
DEFAULT_GROUP_DESCRIPTION = "默认比对用户组"  # part 2 §4.2.1's example
WIPE_KEYS = ("users", "events")
IMAGE_ID = "image_id"  # part 2 §4.3: the id of a person's enrolled face, new with each photo


def ensure_default_group(store: Store) -> None:
    store.save_local_group("face", DEFAULT_GROUP, DEFAULT_GROUP_DESCRIPTION, {}, create=True)


def comparison_tags(gallery: Gallery) -> list[str]:
    """The comparison groups that have members, as the gallery names them."""
    return [group for group in gallery.groups() if group.startswith(FACE_PREFIX)]


def face_groups(groups: tuple[str, ...] | list[str]) -> list[str]:
    return [g[len(FACE_PREFIX):] for g in groups if g.startswith(FACE_PREFIX)]


def prepare(store: Store, gallery: Gallery) -> None:
    """At start: default_group exists; people enrolled before comparison groups were kept
    (none of their groups is one) are put in it once, as they were compared with everyone."""
    ensure_default_group(store)
    if store.get("comparison_groups_ready"):
        return
    for identity_id in gallery.identity_ids():
        person = gallery.get(identity_id)
        if person is not None and not face_groups(person.groups):
            gallery.set_groups(identity_id, person.groups + (DEFAULT_TAG,))
    store.set("comparison_groups_ready", True)


def new_image_id() -> str:
    return str(uuid.uuid4())


def image_id_of(person: Person) -> str:
    """The person's image_id; one enrolled before image ids were kept gets a stable one."""
    return str(person.extra.get(IMAGE_ID) or uuid.uuid5(uuid.NAMESPACE_URL, "aibox-person:" + person.identity_id))


def wipe_options(options: object) -> dict[str, bool]:
    """Both options are required booleans (upstream 01 §5.2, part 2 §4.5.4); ValueError otherwise.
    Further keys (upstream reserves them) are kept, so the answer echoes what was asked."""
    if not isinstance(options, dict) or not all(isinstance(options.get(key), bool) for key in WIPE_KEYS):
        raise ValueError("wipe_options {users: true|false, events: true|false} is required")
    return options


def wipe(options: dict, store: Store, gallery: Gallery, photos: PhotoStore, events: EventStore) -> dict:
    """Erase what `options` (checked by wipe_options) says; returns the options."""
    if options["users"]:
        gallery.clear()
        photos.clear()
        for kind in ("permission", "face"):
            for group in store.local_groups(kind):
                store.delete_local_group(kind, group["name"])
        ensure_default_group(store)
    if options["events"]:
        events.clear()
    return options
