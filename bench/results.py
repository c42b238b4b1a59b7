"""Outcome storage: how fast the results consumer stores what boxes answer.

`--boxes` boxes each given one add_users_plus of `--people` people (rows as distribution leaves
them: the command published, every person pending on the box); every box's result (one person
in 50 failed, the rest enrolled) waits in the upload queue; then the platform's results consumer
(`manage.py consume_results`, its own process) starts, and the bench times it until every
command is finished, then checks each outcome was stored once.

    .venv/bin/python bench/results.py --boxes 1000 --people 100

Temporary SQLite database (or DATABASE_URL), vhosts of its own (BENCH_VHOST, default
aibox-bench-results). The boxes need no broker account here: only the consumer is measured.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import common


def create_commands(boxes: int, people: int) -> list:
    from devices.models import Box
    from distribution.models import Command, Enrolment

    made = Box.objects.bulk_create(Box(name=f"bench {b:04d}", dev_sno=f"BENCH{b:019d}", broker_password="-")
                                   for b in range(boxes))
    commands = Command.objects.bulk_create(
        Command(box=box, method=Command.Method.ADD_USERS, state=Command.State.PUBLISHED,
                payload={"method": "add_users_plus", "userid_list": [f"P{p:05d}" for p in range(people)]})
        for box in made)
    Enrolment.objects.bulk_create((Enrolment(box=c.box, identity_id=i, command=c)
                                   for c in commands for i in c.payload["userid_list"]), batch_size=5000)
    return commands


def entry(identity_id: str, code: int, message: str) -> dict:
    return {"userid": identity_id, "username": "", "code": code, "message": message}


def result_of(command) -> dict:
    ids = command.payload["userid_list"]
    return {"success": True, "code": 0, "message": "done", "dev_sno": command.box.dev_sno,
            "messageKey": "add_users_plus", "messageId": str(command.message_id),
            "result": {"success_users": [entry(i, 0, "enrolled") for n, i in enumerate(ids) if n % 50],
                       "failed_users": [entry(i, 40001, "no face") for n, i in enumerate(ids) if not n % 50]}}


def publish(commands: list) -> None:
    import pika
    from django.conf import settings

    from cloudplatform.amqp import connection_parameters

    with pika.BlockingConnection(connection_parameters(settings.BOX_UPLOAD_VHOST)) as connection:
        channel = connection.channel()
        channel.queue_purge(settings.BOX_UPLOAD_QUEUE)
        for command in commands:
            channel.basic_publish("", settings.BOX_UPLOAD_QUEUE, json.dumps(result_of(command)).encode(),
                                  pika.BasicProperties(delivery_mode=2))


def run(args) -> None:
    from devices.broker import broker_admin
    from distribution.models import Command, CommandOutcome

    broker_admin().ensure_platform_topology()
    commands = create_commands(args.boxes, args.people)
    publish(commands)
    load = os.getloadavg()[0]
    consumer = subprocess.Popen([sys.executable, "manage.py", "consume_results"], cwd=common.REPO,
                                start_new_session=True)
    try:
        started = time.perf_counter()
        while Command.objects.filter(state=Command.State.PUBLISHED).exists():
            if consumer.poll() is not None:
                raise SystemExit("the consumer stopped")
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        cpu = common.cpu_seconds([consumer.pid])
    finally:
        common.stop([consumer])
    outcomes = CommandOutcome.objects.count()
    distinct = CommandOutcome.objects.values("command_id", "identity_id").distinct().count()
    expected = args.boxes * args.people
    print(f"\n{args.boxes} results of {args.people} people ({expected} outcomes), "
          f"{os.environ.get('DATABASE_URL', 'SQLite').split('@')[-1]}, load average {load:.1f}\n")
    print("| results stored | outcomes/s | results/s | consumer CPU | stored once (lost / doubled) |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| {elapsed:.1f} s | {outcomes / elapsed:.0f} | {args.boxes / elapsed:.1f} | {cpu:.1f} s "
          f"| {expected - distinct} / {outcomes - distinct} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=1000)
    parser.add_argument("--people", type=int, default=100)
    args = parser.parse_args()
    common.run_on_own_vhosts(run, args, "results")


if __name__ == "__main__":
    main()
