"""Issue 15 item 3, end to end: a stranger seen three times at two boxes forms one cluster (and
another stranger another), is enrolled in one call, and the next probe is recognised as that
person on both boxes. Two real agents (edge_agent.EdgeBox, their face engine, their event upload
and command handling), the real platform (ASGI under uvicorn), the real broker; the faces task
runs in this process as the suite runs tasks (eagerly, after intake's commit)."""
import pytest
from django.test import Client

from distribution.models import Enrolment
from edge_agent.box import EdgeBox
from edge_agent.config import BoxConfig
from events.models import Event
from faces.models import StrangerCluster, StrangerSighting
from users import services
from users.models import PermissionGroup, Person

from .helpers import push, wait_for
from .paths import FACES

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
# Nobody is enrolled on the boxes: Obama is the stranger seen three times, the shared stranger photo
# another one; Obama's fourth and fifth photos are the probes after enrolment.
SEEN = [("north", "probe/obama/1.jpg"), ("south", "probe/obama/2.jpg"), ("south", "probe/obama/3.jpg")]


@pytest.fixture
def agents(tmp_path, make_box, asgi_server):
    started = {}
    for number, name in enumerate(("north", "south")):
        box = make_box(name, record_upload_period=1, device_monitor_period=1)
        agent = EdgeBox(BoxConfig(tmp_path / name, dev_sno=box.dev_sno, login_url=asgi_server.url + "/box/login",
                                  mac=f"0x0000aabbcc1{number}"))
        agent.start()
        started[name] = (box, agent)
    for _box, agent in started.values():
        wait_for(lambda agent=agent: agent.health.broker == "connected", timeout=30)
    yield started
    for _box, agent in started.values():
        agent.stop(10)


def faces_of(agent: EdgeBox, photo: str) -> list[dict]:
    return push(agent, FACES / photo)["faces"]


def test_a_stranger_seen_at_two_boxes_is_enrolled_in_one_call_and_recognised_on_both(agents, admin_user):
    for box_name, photo in SEEN:
        [face] = faces_of(agents[box_name][1], photo)
        assert not face["matched"], f"{photo} should be a stranger on an empty box"
    [face] = faces_of(agents["north"][1], "probe/stranger/1.png")
    assert not face["matched"]
    wait_for(lambda: StrangerSighting.objects.count() == 4, timeout=60)
    obama = StrangerCluster.objects.filter(sightings__box=agents["south"][0]).distinct().get()
    assert (obama.sightings_count, obama.box_count) == (3, 2)
    assert StrangerCluster.objects.count() == 2  # the other stranger is a cluster of their own

    group = PermissionGroup.objects.create(name="visitors")
    services.set_group_boxes(group, [box for box, _agent in agents.values()])
    client = Client()
    client.force_login(admin_user)
    answer = client.post(f"/api/strangers/{obama.pk}/enrol/", {"name": "Barack", "person_type": 2,
                                                               "permission_groups": ["visitors"]},
                         content_type="application/json")
    assert answer.status_code == 201, answer.content
    person = Person.objects.get(identity_id=answer.json()["identity_id"])
    assert Event.objects.filter(identity_id=person.identity_id).count() == 3  # relabelled

    wait_for(lambda: Enrolment.objects.filter(identity_id=person.identity_id, state="enrolled").count() == 2,
             timeout=90)
    for box_name, probe in (("north", "probe/obama/4.jpg"), ("south", "probe/obama/5.jpg")):
        [face] = faces_of(agents[box_name][1], probe)
        assert face["matched"] and face["identity_id"] == person.identity_id, (box_name, face)
    [face] = faces_of(agents["south"][1], "probe/stranger/1.png")
    assert not face["matched"]  # the other stranger is still nobody
