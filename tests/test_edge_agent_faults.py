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

from .fakebox import drain_results
from .helpers import broker_restart, small_photos, wait_for
from .paths import FACES, REPO

PEOPLE, PER_COMMAND = 150, 30  # five commands, as 500 people make in the default 100 a command, at a third the cost


def start_agent(data_dir, box, live_server) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "edge_agent", "run", "--data-dir", str(data_dir), "--port", "0",
         "--dev-sno", box.dev_sno, "--login-url", live_server.url + "/box/login", "--mac", "0x00000000abcd",
         "--log-level", "WARNING"],
        cwd=REPO,
    )


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

        def progress() -> tuple[int, int]:
            """Commands the agent finished, and people it enrolled of the command it is on."""
            import sqlite3

            if not progress_db.exists():
                return 0, 0
            try:
                with sqlite3.connect(progress_db) as db:
                    handled = db.execute("SELECT COUNT(*) FROM handled").fetchone()[0]
                    partial = db.execute("SELECT COUNT(*) FROM progress").fetchone()[0]
            except sqlite3.OperationalError:
                return 0, 0
            return handled, partial

        def mid_way(done: tuple[int, int]) -> bool:  # through a later command
            return done[0] >= 1 and done[1] >= 10

        wait_for(lambda: mid_way(progress()), timeout=120, step=0.05)
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait()
        killed_at = progress()
        assert mid_way(killed_at) and killed_at[0] < 5, killed_at  # the kill landed inside a command
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
