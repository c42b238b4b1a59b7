"""Two sites for the role tests: Campus (site A, with areas below it) and Harbour (site B), each
with a box, a permission group, a person, events (one with a picture), a quarantined event, the
commands that sending their people queued, a shift and a correction; a site manager of Campus
and a viewer. Everything of B carries "Bravo" or "Harbour" in its name, and `b_markers` lists
the strings of B that no page, API answer, export or live message shown to A's manager may hold."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from django.utils import timezone

from accounts.models import Role
from accounts.services import set_role
from attendance import services as attendance_services
from attendance.models import Shift
from devices import services as device_services
from devices.models import Area, Box
from distribution.models import Command
from events.models import Event, QuarantinedEvent
from events.services import intake_events
from faces.models import StrangerCluster, StrangerSighting
from users import services as people
from users.models import PermissionGroup, Person

from .helpers import event
from .paths import FACES

PASSWORD = "correct horse battery"


@dataclass
class World:
    campus: Area
    floor: Area
    harbour: Area
    pier: Area
    box_a: Box
    box_b: Box
    group_a: PermissionGroup
    group_b: PermissionGroup
    person_a: Person
    person_b: Person
    event_a: Event
    event_b: Event
    kept_a: QuarantinedEvent
    kept_b: QuarantinedEvent
    command_a: Command
    command_b: Command
    manager: object
    viewer: object
    b_markers: list[str] = field(default_factory=list)
    stranger_a: StrangerCluster | None = None
    stranger_b: StrangerCluster | None = None


def _events(box: Box, identity: str, name: str) -> tuple[Event, QuarantinedEvent]:
    now = int(timezone.now().timestamp() * 1000)
    picture = (FACES / "probe/obama/1.jpg").read_bytes()
    passage = event(identity, now - 60_000, picture)
    passage["identity_name"] = name
    broken = {"identity_id": identity, "identity_name": name}  # no timestamp: quarantined
    intake_events(box, [passage, broken])
    return Event.objects.get(box=box), QuarantinedEvent.objects.get(box=box)


def _stranger(event: Event) -> StrangerCluster:
    """A stranger cluster seen once, at the event's box (its face's vector does not matter here)."""
    cluster = StrangerCluster.objects.create(model="roles", centroid=bytes(512), sightings_count=1, box_count=1,
                                             first_seen=event.occurred_at, last_seen=event.occurred_at)
    StrangerSighting.objects.create(cluster=cluster, event=event, box=event.box, occurred_at=event.occurred_at,
                                    score=1.0)
    return cluster


def build_world(make_box, site_areas, django_user_model) -> World:
    campus, _building, floor, harbour = site_areas
    pier = device_services.save_area(Area(), name="Bravo Pier", parent=harbour)
    box_a, box_b = make_box("Alpha gate", area=floor), make_box("Bravo gate", area=pier)
    photo = (FACES / "enroll/obama/1.jpg").read_bytes()
    group_a = people.save_group(PermissionGroup(), name="Alpha staff", areas=[campus])
    group_b = people.save_group(PermissionGroup(), name="Bravo crew", boxes=[box_b])
    person_a = people.create_person(name="Alice Alpha", identity_id="alpha-1", photo=photo, permission_groups=[group_a])
    person_b = people.create_person(name="Bob Bravo", identity_id="bravo-7", photo=photo, permission_groups=[group_b])
    event_a, kept_a = _events(box_a, "alpha-1", "Alice Alpha")
    event_b, kept_b = _events(box_b, "bravo-7", "Bob Bravo")
    shift = Shift(name="Day shift", start=time(9), end=time(17), grace_minutes=5, weekdays=[0, 1, 2, 3, 4, 5, 6])
    attendance_services.save_shift(shift, groups=[group_a, group_b], people=[])
    for person in (person_a, person_b):
        attendance_services.correct_day(person, timezone.localdate(), reason=f"{person.name} was ill", made_by=None)
    manager = django_user_model.objects.create_user("alice-manager", password=PASSWORD)
    set_role(manager, Role.SITE_MANAGER, [campus])
    viewer = django_user_model.objects.create_user("victor-viewer", password=PASSWORD)
    set_role(viewer, Role.VIEWER)
    return World(campus=campus, floor=floor, harbour=harbour, pier=pier, box_a=box_a, box_b=box_b,
                 group_a=group_a, group_b=group_b, person_a=person_a, person_b=person_b, event_a=event_a,
                 event_b=event_b, kept_a=kept_a, kept_b=kept_b,
                 command_a=Command.objects.filter(box=box_a).first(),
                 command_b=Command.objects.filter(box=box_b).first(), manager=manager, viewer=viewer,
                 b_markers=["Bravo", "bravo-7", "Harbour", box_b.dev_sno],
                 stranger_a=_stranger(event_a), stranger_b=_stranger(event_b))
