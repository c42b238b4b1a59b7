"""Where a box's small calls spend the platform's CPU: cProfile of N history batches and status
reports through Django's test client (the request path without the ASGI server)."""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time

from common import run_on_fresh_platform
from fleet_boxes import history_event, status_report


def run(args) -> None:
    from django.test import Client

    from devices.broker import broker_admin
    from devices.services import create_box, login_box

    broker_admin().ensure_platform_topology()
    box = create_box(name="profiled")
    grant = login_box(dev_sno=box.dev_sno, hex_mac="0x0000f1ee0001", client_ip="127.0.0.1")
    query = f"dev_sno={box.dev_sno}&token={grant.token}"
    client = Client()
    sequence = [0]

    def history() -> None:
        sequence[0] += 2
        batch = [history_event(box.dev_sno, "F00001", int(time.time() * 1000) + sequence[0] + i) for i in range(2)]
        reply = client.post(f"/box/events/history?{query}", json.dumps(batch), content_type="application/json")
        assert reply.status_code == 200, reply.content

    def status() -> None:
        reply = client.post(f"/box/status?{query}", json.dumps(status_report(box.dev_sno, "0x0000f1ee0001")),
                            content_type="application/json")
        assert reply.status_code == 200, reply.content

    from fleet import create_people

    from users import services
    from users.models import Person

    group = create_people(5)
    services.set_group_boxes(group, [box])
    person = Person.objects.get(identity_id="F00001")
    photo_url = f"/box/photos/{person.photo_sha256}.jpg?{query}"

    def photo() -> None:
        reply = client.get(photo_url)
        assert reply.status_code == 200, reply.content

    def details() -> None:
        reply = client.post(f"/box/persons?{query}", json.dumps({"userid_list": ["F00001", "F00002"]}),
                            content_type="application/json")
        assert reply.status_code == 200, reply.content

    calls = {"history": ("history (2 events)", history), "status": ("status", status), "photo": ("photo", photo),
             "details": ("details (2 people)", details)}
    for name, call in (calls[c] for c in args.only.split(",")):
        for _ in range(20):
            call()
        started = time.process_time()
        for _ in range(args.calls):
            call()
        print(f"{name}: {(time.process_time() - started) / args.calls * 1000:.2f} ms CPU a call (unprofiled)")
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--only", default="history,status,photo,details")
    parser.add_argument("--callees", default="", help="also print what functions matching this call")
    args = parser.parse_args()
    run_on_fresh_platform(run, args, prefix="aibox-profile-", vhost="aibox-profile")


if __name__ == "__main__":
    main()
