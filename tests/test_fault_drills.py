"""Fault drills: broker restart mid-distribution, agent killed mid-upload, database away
during intake, and one box's credentials against another's endpoints."""
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection

from distribution.models import Enrolment
from edge_agent.events import EventStore
from events.models import Event
from users import services
from users.models import PermissionGroup, Person

from .helpers import broker_restart, small_photos, wait_for
from .paths import REPO

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


def run_agent(data_dir, box, server) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "edge_agent", "run", "--data-dir", str(data_dir), "--port", "0",
         "--dev-sno", box.dev_sno, "--login-url", server.url + "/box/login", "--mac", "0x00000000d011",
         "--log-level", "WARNING"], cwd=REPO)


def stop_agent(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def fill_event_store(data_dir, count: int) -> None:
    """Events recognised while the box was cut off from the platform, waiting to go."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = EventStore(data_dir / "events.sqlite3")
    start = int(time.time() * 1000) - count
    for i in range(count):
        store.add({"identity_id": f"p{i % 50}", "identity_name": f"Person {i % 50}", "group_name": "default_group",
                   "timestamp": start + i, "score": 0.7,
                   "ext_data": {"device_ip": "10.0.0.3", "ep_id": "", "person_type": 1, "device_type": "0",
                                "grab_fiqa_info": {}, "box_fiqa_info": {}}},
                  spot_pic=b"\xff\xd8 a picture %d" % (i % 7))


def test_rabbitmq_restarted_during_a_distribution_every_box_ends_with_exactly_the_right_people(
        tmp_path, make_box, asgi_server):
    from edge_agent.box import EdgeBox
    from edge_agent.config import BoxConfig

    boxes = [make_box("drill a"), make_box("drill b")]
    agents = [EdgeBox(BoxConfig(tmp_path / box.dev_sno, dev_sno=box.dev_sno, login_url=asgi_server.url + "/box/login",
                                mac=f"0x0000000d0{i:03x}")) for i, box in enumerate(boxes)]
    for agent in agents:
        agent.start()
    try:
        for agent in agents:
            wait_for(lambda agent=agent: agent.health.broker == "connected")
        everyone, some = PermissionGroup.objects.create(name="everyone"), PermissionGroup.objects.create(name="a")
        photos = small_photos()
        for i in range(40):
            identity, photo = photos[i % len(photos)]
            services.create_person(name=f"{identity} {i}", identity_id=f"d{i:02d}", photo=photo, distribute=False)
        everyone.people.set(Person.objects.filter(identity_id__lt="d30"))
        some.people.set(Person.objects.filter(identity_id__gte="d30"))
        services.set_group_boxes(everyone, boxes)
        services.set_group_boxes(some, boxes[:1])
        broker_restart()  # while the boxes are enrolling
        services.delete_person(Person.objects.get(identity_id="d05"))
        services.set_group_boxes(some, [])  # box a loses d30..d39 again
        expected = {f"d{i:02d}" for i in range(30)} - {"d05"}

        def settled() -> bool:
            return all(agent.gallery.identity_ids() == expected for agent in agents)

        def enrolled(box) -> set[str]:
            return set(Enrolment.objects.filter(box=box, state="enrolled").values_list("identity_id", flat=True))

        # The boxes hold exactly the right people, and the platform knows it from their results.
        def platform_agrees() -> bool:
            pending = Enrolment.objects.exclude(state="enrolled").exists()  # e.g. a deletion not yet confirmed
            return not pending and all(enrolled(box) == expected for box in boxes)

        wait_for(lambda: settled() and platform_agrees(), timeout=180, step=0.5)
    finally:
        for agent in agents:
            agent.stop(10)


def test_an_agent_killed_during_history_upload_loses_and_doubles_nothing(tmp_path, make_box, asgi_server):
    box = make_box("killed uploader", record_upload_period=1)
    data_dir = tmp_path / "box"
    fill_event_store(data_dir, 3000)
    agent = run_agent(data_dir, box, asgi_server)
    try:
        wait_for(lambda: 0 < Event.objects.filter(box=box).count(), timeout=60, step=0.02)
        os.kill(agent.pid, signal.SIGKILL)  # mid-way: some batches stored, the rest still on the box
        agent.wait()
        stored_before = Event.objects.filter(box=box).count()
        assert stored_before < 3000
        agent = run_agent(data_dir, box, asgi_server)
        wait_for(lambda: Event.objects.filter(box=box).count() >= 3000, timeout=120, step=0.5)
        time.sleep(2)  # and nothing more arrives
    finally:
        stop_agent(agent)
    assert Event.objects.filter(box=box).count() == 3000
    assert Event.objects.filter(box=box).values("dedup_key").distinct().count() == 3000


class DatabaseAway:
    """Make the platform's database unusable for a while, from outside the platform: an
    exclusive lock on the events table (PostgreSQL) or on the whole file (SQLite)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.held = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        settings = connection.settings_dict
        if connection.vendor == "sqlite":
            db = sqlite3.connect(settings["NAME"], timeout=30, isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            self.held.set()
            time.sleep(self.seconds)
            db.execute("ROLLBACK")
            db.close()
        else:
            import psycopg

            with psycopg.connect(host=settings["HOST"] or "localhost", port=settings["PORT"] or 5432,
                                 user=settings["USER"], password=settings["PASSWORD"] or None,
                                 dbname=settings["NAME"]) as db:
                db.execute("LOCK TABLE events_event IN ACCESS EXCLUSIVE MODE")
                self.held.set()
                time.sleep(self.seconds)
                db.rollback()

    def __enter__(self):
        self.thread.start()
        assert self.held.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.thread.join(self.seconds + 30)


def test_the_database_away_during_intake_boxes_retry_and_nothing_is_lost(tmp_path, make_box, asgi_server):
    box = make_box("db drill", record_upload_period=1)
    data_dir = tmp_path / "box"
    fill_event_store(data_dir, 500)
    connection.close()  # the lock holder must not wait for this thread's connection
    with DatabaseAway(8):
        agent = run_agent(data_dir, box, asgi_server)
        try:
            time.sleep(6)  # the box keeps trying meanwhile
        except BaseException:
            stop_agent(agent)
            raise
    try:
        wait_for(lambda: Event.objects.filter(box=box).count() >= 500, timeout=120, step=0.5)
        time.sleep(2)
    finally:
        stop_agent(agent)
    assert Event.objects.filter(box=box).count() == 500


@pytest.mark.parametrize("path", ["/box/status", "/box/events/history", "/box/events/realtime", "/box/devices",
                                  "/box/persons", "/box/results"])
def test_one_box_token_cannot_act_as_another_and_a_replaced_token_is_refused(client, make_box, path):
    first, second = make_box("first"), make_box("second")
    token_a = client.get("/box/login", {"dev_sno": first.dev_sno, "hex_mac": "0x0000000000a1"}).json()["token"]
    client.get("/box/login", {"dev_sno": second.dev_sno, "hex_mac": "0x0000000000a2"})
    as_other = client.post(f"{path}?dev_sno={second.dev_sno}&token={token_a}", {}, content_type="application/json")
    assert as_other.status_code == 401 and as_other.json()["error"]["code"] == 40000
    # A new login replaces the token: the old one is refused from then on.
    client.get("/box/login", {"dev_sno": first.dev_sno, "hex_mac": "0x0000000000a1"})
    stale = client.post(f"{path}?dev_sno={first.dev_sno}&token={token_a}", {}, content_type="application/json")
    assert stale.status_code == 401
    assert Event.objects.count() == 0
