"""Where a box's small calls spend the platform's CPU: a history batch, a status report, a photo
and a details request, each `--calls` times through Django's test client (the request path
without the ASGI server; the box calls' middleware, or the console's with --console-middleware):
CPU per call, then cProfile's table.

    .venv/bin/python bench/box_calls.py [--calls 300] [--only history,status] [--sort tottime] [--callees NAME]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time

from common import run_on_fresh_platform
from fleet_boxes import DETAILS_CHUNK, history_event, status_report


def box_calls(client, box, query: str, people: int = 5) -> dict:
    """The calls a box makes, each one request: {name: (label, call)}; the box serves `people`
    people, and asks for details of up to 50 of them at once, as the agent does."""
    from fleet import create_people

    from users import services
    from users.models import Person

    services.set_group_boxes(create_people(people), [box])
    asked = [f"F{i:05d}" for i in range(min(people, DETAILS_CHUNK))]
    photo_url = f"/box/photos/{Person.objects.get(identity_id='F00000').photo_sha256}.jpg?{query}"
    sequence = [0]

    def post(path: str, body) -> None:
        reply = client.post(f"{path}?{query}", json.dumps(body), content_type="application/json")
        assert reply.status_code == 200, reply.content

    def history() -> None:
        sequence[0] += 2
        post("/box/events/history", [history_event(box.dev_sno, "F00001", int(time.time() * 1000) + sequence[0] + i)
                                     for i in range(2)])

    def photo() -> None:
        reply = client.get(photo_url)
        assert reply.status_code == 200, reply.content

    return {"history": ("history (2 events)", history),
            "status": ("status", lambda: post("/box/status", status_report(box.dev_sno, "0x0000f1ee0001"))),
            "photo": ("photo", photo),
            "details": (f"details ({len(asked)} people)", lambda: post("/box/persons", {"userid_list": asked}))}


def statements_per_call(call, calls: int = 20) -> float:
    """SQL statements a call runs, on any thread (the grouped writes' thread included): each is
    a release and re-acquisition of the interpreter lock, a wait when other threads are busy."""
    from django.db.backends.utils import CursorWrapper

    counted = [0]
    execute, executemany = CursorWrapper._execute, CursorWrapper._executemany

    def counting(original):
        def run(self, *args, **kwargs):
            counted[0] += 1
            return original(self, *args, **kwargs)
        return run

    CursorWrapper._execute, CursorWrapper._executemany = counting(execute), counting(executemany)
    try:
        for _ in range(calls):
            call()
    finally:
        CursorWrapper._execute, CursorWrapper._executemany = execute, executemany
    return counted[0] / calls


def measure(label: str, call, args) -> None:
    """CPU per call unprofiled, then cProfile's table (and callees when asked)."""
    for _ in range(20):
        call()
    started = time.process_time()
    for _ in range(args.calls):
        call()
    cpu = (time.process_time() - started) / args.calls * 1000
    print(f"{label}: {cpu:.2f} ms CPU a call (unprofiled), {statements_per_call(call):.1f} SQL statements")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.calls):
        call()
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats(args.sort)
    stats.print_stats(args.top)
    if args.callees:
        stats.print_callees(args.callees)
    print(out.getvalue())


def run(args) -> None:
    from django.conf import settings
    from django.test import Client, override_settings

    from devices.broker import broker_admin
    from devices.services import create_box, login_box

    broker = broker_admin()
    broker.ensure_platform_topology()
    box = create_box(name="profiled")
    try:
        grant = login_box(dev_sno=box.dev_sno, hex_mac="0x0000f1ee0001", client_ip="127.0.0.1")
        # The middleware a box's call goes through on the server (cloudplatform/box_calls.py).
        middleware = settings.MIDDLEWARE if args.console_middleware else settings.BOX_MIDDLEWARE
        with override_settings(MIDDLEWARE=middleware):
            calls = box_calls(Client(), box, f"dev_sno={box.dev_sno}&token={grant.token}", args.people)
            for name in args.only.split(","):
                measure(*calls[name], args)
    finally:
        broker.delete_box_resources(box)  # its broker account and queues do not outlive the bench


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--only", default="history,status,photo,details")
    parser.add_argument("--people", type=int, default=5, help="people the box serves (details: up to 50 a call)")
    parser.add_argument("--callees", default="", help="also print what functions matching this call")
    parser.add_argument("--console-middleware", action="store_true",
                        help="through the console's middleware (MIDDLEWARE), as box calls went before 2026-11-30")
    args = parser.parse_args()
    run_on_fresh_platform(run, args, prefix="aibox-profile-", vhost="aibox-profile")


if __name__ == "__main__":
    main()
