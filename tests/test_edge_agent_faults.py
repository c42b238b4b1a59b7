"""The agent under faults: killed mid-command, broker restarted."""
import os
import signal
import subprocess
import sys

import pytest

from distribution.models import Command, CommandOutcome, Enrolment
from edge_agent.face.gallery import Gallery
from users import services
from users.models import PermissionGroup, Person

from .face.conftest import FACES, REPO
from .fakebox import drain_results
from .helpers import broker_restart, small_photos, wait_for


def start_agent(data_dir, box, live_server) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "edge_agent", "run", "--data-dir", str(data_dir), "--port", "0",
         "--dev-sno", box.dev_sno, "--login-url", live_server.url + "/box/login", "--mac", "0x00000000abcd",
         "--log-level", "WARNING"],
        cwd=REPO,
    )


PEOPLE, PER_COMMAND = 150, 30  # five commands, as with 500 people in the default 100 a command, at a third the cost


def test_killed_mid_command_every_person_is_enrolled_once_and_every_result_arrives(
        tmp_path, transactional_db, make_box, live_server, settings):
    settings.COMMAND_BATCH_SIZE = PER_COMMAND
    box = make_box("killed")
    group = PermissionGroup.objects.create(name="crowd")
    photos = small_photos()
    for i in range(PEOPLE):
        identity, photo = photos[i % len(photos)]
        services.create_person(name=f"{identity} {i}", identity_id=f"k{i:03d}", photo=photo, distribute=False)
    group.people.set(Person.objects.all())
    services.set_group_boxes(group, [box])
    assert Command.objects.filter(box=box).count() == 5

    data_dir = tmp_path / "box"
    agent = start_agent(data_dir, box, live_server)
    try:
        progress_db = data_dir / "agent.sqlite3"

        def some_progress() -> bool:
            import sqlite3

            if not progress_db.exists():
                return False
            try:
                with sqlite3.connect(progress_db) as db:
                    handled = db.execute("SELECT COUNT(*) FROM handled").fetchone()[0]
                    partial = db.execute("SELECT COUNT(*) FROM progress").fetchone()[0]
            except sqlite3.OperationalError:
                return False
            return handled >= 1 and partial >= 10  # mid-way through a later command

        wait_for(some_progress, timeout=120, step=0.05)
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait()
        agent = start_agent(data_dir, box, live_server)
        wait_for(lambda: Enrolment.objects.filter(box=box, state="enrolled").count() == PEOPLE, timeout=180, step=1)
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=30)
    assert Command.objects.filter(box=box, state="done").count() == 5
    per_person = CommandOutcome.objects.filter(command__box=box).values_list("identity_id", flat=True)
    assert sorted(per_person) == [f"k{i:03d}" for i in range(PEOPLE)]  # one outcome each
    gallery = Gallery(data_dir / "gallery.sqlite3")
    assert len(gallery) == PEOPLE


def test_agent_reconnects_after_a_broker_restart(tmp_path, transactional_db, make_box, live_server):
    from edge_agent.box import EdgeBox
    from edge_agent.config import BoxConfig

    box = make_box("restart")
    agent = EdgeBox(BoxConfig(tmp_path / "box", dev_sno=box.dev_sno, login_url=live_server.url + "/box/login",
                              mac="0x00000000abce"))
    agent.start()
    try:
        wait_for(lambda: agent.health.broker == "connected")
        broker_restart()
        group = PermissionGroup.objects.create(name="after")
        services.create_person(name="Obama", identity_id="after-1", permission_groups=[group],
                               photo=(FACES / "enroll/obama/1.jpg").read_bytes())
        services.set_group_boxes(group, [box])
        wait_for(lambda: Enrolment.objects.filter(box=box, identity_id="after-1", state="enrolled").exists(),
                 timeout=90)
        assert agent.health.broker == "connected"
    finally:
        agent.stop()
    drain_results()


pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
