"""The edge agent against the real platform (Django's live server), broker and face models."""
import hashlib
import json

import pytest

from distribution.models import Command, Enrolment
from edge_agent.box import EdgeBox
from edge_agent.config import BoxConfig
from edge_agent.face.engine import default_model_dir
from users import services
from users.models import PermissionGroup

from .helpers import AGENT_KEY, configure, wait_for
from .paths import FACES


@pytest.fixture
def box(make_box):
    return make_box("agent box")


def test_configured_agent_logs_in_and_enrols_people_the_platform_assigns(agent, agent_api, box, live_server, tmp_path):
    configure(agent_api, box, live_server)
    wait_for(lambda: agent.health.broker == "connected")
    group = PermissionGroup.objects.create(name="staff")
    services.set_group_boxes(group, [box])
    for identity in ("obama", "biden", "rose_leslie"):
        services.create_person(name=identity, identity_id=identity, permission_groups=[group],
                               photo=(FACES / "enroll" / identity / "1.jpg").read_bytes())
    from PIL import Image

    blank = tmp_path / "blank.jpg"
    Image.new("RGB", (400, 300), (120, 120, 120)).save(blank)
    services.create_person(name="No face", identity_id="blank", permission_groups=[group], photo=blank.read_bytes())

    def settled():
        states = dict(Enrolment.objects.filter(box=box).values_list("identity_id", "state"))
        return states if len(states) == 4 and "pending" not in states.values() else None

    states = wait_for(settled, timeout=60)
    assert states == {"obama": "enrolled", "biden": "enrolled", "rose_leslie": "enrolled", "blank": "failed"}
    failed = Enrolment.objects.get(box=box, identity_id="blank")
    assert failed.code == 40004 and failed.message
    assert len(agent.gallery) == 3
    health = agent_api.get("/health", headers={"X-API-Key": AGENT_KEY}).json  # the full report needs the key
    assert health["login"] == "logged in" and health["broker"] == "connected" and health["gallery_size"] == 3

    # Delete one, then wipe: effects on the box, results on the platform.
    services.delete_person(services.Person.objects.get(identity_id="biden"))
    wait_for(lambda: "biden" not in agent.gallery and not Enrolment.objects.filter(identity_id="biden").exists())
    from distribution.services import wipe_box

    wipe = wipe_box(box)
    wait_for(lambda: Command.objects.get(pk=wipe.pk).state == "done")
    assert len(agent.gallery) == 0 and not Enrolment.objects.filter(box=box).exists()


def test_fiqa_command_reports_each_face(agent, agent_api, box, live_server):
    configure(agent_api, box, live_server)
    wait_for(lambda: agent.health.broker == "connected")
    from distribution.services import send_fiqa

    command = send_fiqa(box, (FACES / "quality/partial_face_1.jpg").read_bytes(), "high")
    result = wait_for(lambda: Command.objects.get(pk=command.pk).result)
    [face] = result["result"]["data"]
    assert face["info"]["partial"] is True and face["fiqa_result"] is False
    assert Command.objects.get(pk=command.pk).state == "done"


def test_local_api_refuses_requests_without_the_key_and_bad_bodies(agent_api):
    assert agent_api.get("/SophonMQ/api/DevSno").status_code == 401
    assert agent_api.get(f"/SophonMQ/api/DevSno?api_key={AGENT_KEY}").json["error"]["code"] == 40000  # header only
    bad = agent_api.put("/SophonMQ/api/DevSno", json={"dev": "x"}, headers={"X-API-Key": AGENT_KEY})
    assert bad.status_code == 400 and bad.json["error"]["code"] == 40091
    bad = agent_api.put("/SophonMQ/api/LoginUrl", json={"login_url": "ftp://x"}, headers={"X-API-Key": AGENT_KEY})
    assert bad.status_code == 400
    assert agent_api.get("/health").json == {"status": "ok"}  # liveness for monitoring, nothing identifying


def test_malformed_commands_are_answered_with_40071_and_the_agent_keeps_going(agent, agent_api, box, live_server):
    configure(agent_api, box, live_server)
    wait_for(lambda: agent.health.broker == "connected")
    from distribution.publisher import publisher

    for payload in ({"method": "reboot", "messageId": "x1", "extend_params": {}},
                    {"method": "delete_users", "messageId": "x2"}):
        publisher().publish(box, payload)
    wait_for(lambda: agent.health.commands_handled >= 2)
    assert agent.store.handled_result("x1")["code"] == 40071
    assert agent.store.handled_result("x2")["code"] == 40071
    assert agent.health.broker == "connected"


def test_platform_down_at_first_then_the_agent_logs_in(tmp_path, transactional_db, box, live_server, broker_admin):
    agent = EdgeBox(BoxConfig(tmp_path / "late", dev_sno=box.dev_sno, login_url="http://127.0.0.1:9/box/login",
                              mac="0x0000aabbccde"))
    agent.start()
    try:
        wait_for(lambda: "unreachable" in agent.health.last_error, timeout=10)
        agent.configure(login_url=live_server.url + "/box/login")
        wait_for(lambda: agent.health.broker == "connected", timeout=20)
    finally:
        agent.stop()
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


def test_undeliverable_results_wait_in_the_outbox_until_they_can_go(tmp_path, transactional_db, box, live_server,
                                                                      broker_admin):
    import json

    from distribution.models import ReceivedResult

    agent = EdgeBox(BoxConfig(tmp_path / "outbox", mac="0x0000aabbccdf"))
    result = {"success": True, "code": 0, "message": "ok", "dev_sno": box.dev_sno, "messageKey": "wipe_data",
              "messageId": "00000000-0000-0000-0000-00000000beef", "result": {}}
    from django.conf import settings

    agent.store.finish("m-1", "wipe_data", result, "mq:" + json.dumps([settings.BOX_UPLOAD_VHOST,
                                                                        settings.BOX_UPLOAD_QUEUE]))
    agent.start()
    try:
        wait_for(lambda: agent.store._db().execute("SELECT attempts FROM outbox").fetchone()[0] >= 1, timeout=10)
        assert agent.store.backlog() == 1  # not logged in: kept, not lost
        agent.configure(dev_sno=box.dev_sno, login_url=live_server.url + "/box/login")
        wait_for(lambda: agent.store.backlog() == 0, timeout=60)
    finally:
        agent.stop()
    wait_for(lambda: ReceivedResult.objects.filter(message_id=result["messageId"]).exists())


def test_agent_reports_its_status_every_period(tmp_path, transactional_db, box, live_server, broker_admin):
    from devices.models import Box, BoxStatus

    Box.objects.filter(pk=box.pk).update(device_monitor_period=1)
    agent = EdgeBox(BoxConfig(tmp_path / "status", dev_sno=box.dev_sno, login_url=live_server.url + "/box/login",
                              mac="0x0000aabbcce0"))
    agent.start()
    try:
        status = wait_for(lambda: BoxStatus.objects.filter(box=box).first(), timeout=20)
        first = status.reported_at
        wait_for(lambda: BoxStatus.objects.get(box=box).reported_at > first, timeout=10)
    finally:
        agent.stop()
    status = BoxStatus.objects.get(box=box)
    assert status.gateway_mac == "00:00:aa:bb:cc:e0" and 0 <= status.cpu_usage <= 100
    assert 0 < status.memory_usage < 1 and status.disk_size > status.disk_free_size > 0
    # The models' digest: sha256 of the pinned files' sha256sum listing (edge_agent/face/provenance.py).
    manifest = json.loads((default_model_dir() / "manifest.json").read_text())
    listing = "".join(f"{digest}  {name}\n" for name, digest in sorted(manifest["sha256"].items()))
    models_sha256 = hashlib.sha256(listing.encode()).hexdigest()
    assert status.sdk_version == f"dlib_face_recognition_resnet_model_v1 sha256:{models_sha256[:16]}"
    assert Box.objects.get(pk=box.pk).is_online
