"""Photo bytes a box downloads: the real edge agent given `--people` people, then all of them again.

The platform's processes (uvicorn, Celery worker, results consumer) on a temporary SQLite
database (or DATABASE_URL), in vhosts of their own; the real agent (edge_agent.box.EdgeBox, its
face models) in this process, logging in with its own code. Each person has two photos of their
own (the shared dataset's faces, each made distinct by a small crop), so every photo is one
download. The bench counts the bytes of every HTTP answer the agent receives, split into photos
and the rest, for the first sending and for the second (as after an edit: the same people and
photos, which the agent already holds).

    .venv/bin/python bench/photo_bytes.py --people 100 [--port 8791]
"""
from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

import common


def variant(data: bytes, n: int) -> bytes:
    """The photo cropped by a few pixels: another file (another hash) of the same face."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    cut = 1 + n % 7
    buffer = io.BytesIO()
    image.crop((cut, cut, image.width - cut, image.height - cut)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def create_people(count: int):
    from users import services
    from users.models import PermissionGroup

    sources = sorted(common.FACES.glob("enroll/*/*.jpg"))
    group = PermissionGroup.objects.create(name="bench")
    ids = []
    for i in range(count):
        data = sources[i % len(sources)].read_bytes()
        person = services.create_person(name=f"Person {i}", identity_id=f"P{i:04d}", photo=variant(data, 2 * i),
                                        permission_groups=[group], distribute=False)
        services.add_person_photo(person, variant(data, 2 * i + 1))
        ids.append(person.identity_id)
    return ids, group


def wait_enrolled(box, ids: list[str], after_command: int, timeout: float = 1800) -> None:
    from distribution.models import Enrolment

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = Enrolment.objects.filter(box=box, identity_id__in=ids, command_id__gt=after_command,
                                        state__in=("enrolled", "failed")).count()
        if done == len(ids):
            return
        time.sleep(1)
    raise SystemExit("the agent did not answer in time")


def run(args) -> None:
    from devices.broker import broker_admin
    from devices.services import create_box
    from distribution.models import Command, Enrolment
    from distribution.services import sync_people
    from edge_agent.box import EdgeBox
    from edge_agent.config import BoxConfig
    from users.services import set_group_boxes

    broker_admin().ensure_platform_topology()
    box = create_box(name="bench agent")
    processes = common.start_platform()
    received = {"photos": 0, "other": 0}

    def count(response, *_, **__):
        received["photos" if "/box/photos/" in response.url else "other"] += len(response.content)

    try:
        import requests

        common.wait_until_up(requests.Session(), f"http://127.0.0.1:{args.port}")
        with tempfile.TemporaryDirectory() as data_dir:
            agent = EdgeBox(BoxConfig(Path(data_dir), mac="0x0000bbbbcccc", dev_sno=box.dev_sno,
                                      login_url=f"http://127.0.0.1:{args.port}/box/login"))
            agent.platform.session.hooks["response"].append(count)
            agent.start()
            ids, group = create_people(args.people)
            rows = []
            for name in ("first sending", "sent again (held)"):
                before, received["photos"], received["other"] = time.perf_counter(), 0, 0
                last = Command.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                if rows:
                    sync_people(ids, refresh=True)  # as after an edit: the same people and photos
                else:
                    set_group_boxes(group, [box])
                wait_enrolled(box, ids, last)
                enrolled = Enrolment.objects.filter(box=box, state="enrolled").count()
                rows.append((name, dict(received), time.perf_counter() - before, enrolled))
            agent.stop()
    finally:
        common.stop(processes)
        broker_admin().delete_box_resources(box)
    print(f"\n{args.people} people of two photos each, the real agent, load average {os.getloadavg()[0]:.1f}\n")
    print("| sending | photo bytes downloaded | other bytes (login, details, ...) | time | enrolled |")
    print("| --- | --- | --- | --- | --- |")
    for name, counted, elapsed, enrolled in rows:
        print(f"| {name} | {counted['photos']:,} | {counted['other']:,} | {elapsed:.1f} s | {enrolled} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    common.PORT = args.port
    common.run_on_own_vhosts(run, args, "photos")


if __name__ == "__main__":
    main()
