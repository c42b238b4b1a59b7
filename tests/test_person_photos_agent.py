"""Our agent gets every photo of a person (`ext_photos`, docs/contract-extensions.md) and
matches a person by their best-matching photo: the real agent, the real platform (ASGI under
uvicorn), the real broker and engine."""
from distribution.models import Enrolment
from events.models import Event
from users import services
from users.models import PermissionGroup

from .helpers import push, wait_for
from .paths import FACES


def read(path: str) -> bytes:
    return (FACES / path).read_bytes()


def test_a_probe_matching_only_the_second_photo_is_recognised(start_agent, box):
    agent = start_agent()
    group = PermissionGroup.objects.create(name="staff")
    services.set_group_boxes(group, [box])
    # One record with two faces (a contrived person, so a probe can match only the second photo):
    # the primary photo, the one a stock box would get, is Kit's; the second is Rose's.
    person = services.create_person(name="Two faces", identity_id="two", permission_groups=[group],
                                    photo=read("enroll/kit_harington/1.jpg"))
    services.make_primary_photo(person.photos.get())
    services.add_person_photo(person, read("enroll/rose_leslie/1.jpg"))
    services.create_person(name="Biden", identity_id="biden", permission_groups=[group],
                           photo=read("enroll/biden/1.jpg"))
    wait_for(lambda: Enrolment.objects.filter(box=box, state="enrolled", identity_id="biden").exists()
             and agent.gallery.face_count == 3, timeout=60)
    assert agent.gallery.embeddings("two").shape[0] == 2

    push(agent, FACES / "probe" / "rose_leslie" / "1.jpg")  # only the second photo is hers
    event = wait_for(lambda: Event.objects.filter(box=box).first(), timeout=30)
    assert event.identity_id == "two", event.identity_id
    push(agent, FACES / "probe" / "kit_harington" / "1.jpg")
    wait_for(lambda: Event.objects.filter(box=box).count() == 2, timeout=30)
    assert set(Event.objects.filter(box=box).values_list("identity_id", flat=True)) == {"two"}
    push(agent, FACES / "probe" / "stranger" / "1.png")
    wait_for(lambda: Event.objects.filter(box=box).count() == 3, timeout=30)
    assert Event.objects.filter(box=box, person_type=4).count() == 1
