"""Fleet simulation: N protocol-level boxes, in one asyncio process, against the platform's processes.

The boxes are bench/fleet_boxes.py's: each logs in over HTTP, connects to RabbitMQ with its own
account (aio-pika, no thread per box), answers every command after fetching the people's details
and photos (one shared aiohttp connection pool), sends its status every `deviceMonitorPeriod`
and `--event-rate` passage records a second in batches every `recordUploadPeriod`. Prints the
time for all boxes to log in, the time to give `--people` people to every box (until every
enrolment is stored), event intake at steady state with p50 / p99 request latency, the
platform's CPU and memory, the simulated fleet's own CPU and memory, and what was lost or doubled.

    .venv/bin/python bench/fleet.py --boxes 100 [--people 100] [--event-rate 0.4] [--duration 60]

Starts the platform (uvicorn with `--web-workers`, a Celery worker, the results consumer) on a
temporary SQLite database (or DATABASE_URL), in vhosts of its own; refuses to start when its
port is taken.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import time
from concurrent.futures import ThreadPoolExecutor

from common import (
    FACES,
    PORT,
    cpu_seconds,
    cpu_seconds_by_process,
    current_rss_mib,
    machine_cpu_seconds,
    percentile,
    pids_named,
    process_label,
    run_on_fresh_platform,
    start_platform,
    stop,
    wait_until_up,
)
from fleet_boxes import Fleet, raise_file_limit, start_boxes, stop_boxes

BASE = f"http://127.0.0.1:{PORT}"


def run(args) -> None:
    from devices.broker import broker_admin

    admin = broker_admin()
    admin.ensure_platform_topology()
    refuse_a_broker_too_small(admin, args.boxes)
    boxes = create_boxes(args.boxes)
    group = create_people(args.people)
    processes = start_platform(workers=args.web_workers)
    try:
        import requests

        wait_until_up(requests.Session(), BASE)
        figures = asyncio.run(drive(args, boxes, group, [p.pid for p in processes]))
    finally:
        stop(processes)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(admin.delete_box_resources, boxes))
    print_figures(args, figures)


def refuse_a_broker_too_small(admin, boxes: int) -> None:
    """Each box holds two connections; a broker out of sockets leaves new ones hanging (boxes
    never log in, the platform's own publishes time out), which reads like a slow platform."""
    free = admin.free_sockets()
    needed = 2 * boxes + 100
    if free < needed:
        raise SystemExit(f"RabbitMQ has {free} free sockets, {boxes} boxes need about {needed}: "
                         "raise its open-file limit (scripts/broker-open-files.sh) and run again")


def create_boxes(count: int) -> list:
    from django.db import connection

    from devices.services import create_box

    def create(i: int):
        try:
            return create_box(name=f"fleet {i:04d}", record_upload_period=5, device_monitor_period=20)
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        boxes = list(pool.map(create, range(count)))
    print(f"{count} boxes created (broker identities included) in {time.perf_counter() - started:.1f} s", flush=True)
    return boxes


def create_people(count: int):
    """`count` people with photos (the dataset's enrolment photos, repeated) in one group."""
    from users.models import PermissionGroup, Person
    from users.photos import store_photo

    photos = [store_photo(p.read_bytes()) for p in sorted(FACES.glob("enroll/*/1.jpg"))]
    people = Person.objects.bulk_create(
        Person(identity_id=f"F{i:05d}", name=f"Fleet person {i}", photo=photos[i % len(photos)].path,
               photo_sha256=photos[i % len(photos)].sha256, thumbnail=photos[i % len(photos)].thumbnail)
        for i in range(count))
    group = PermissionGroup.objects.create(name="fleet")
    PermissionGroup.people.through.objects.bulk_create(
        PermissionGroup.people.through(person_id=p.pk, permissiongroup_id=group.pk) for p in people)
    return group


async def drive(args, boxes: list, group, pids: list[int]) -> dict:
    """All boxes start together; then the group is given to them; then the steady state is measured."""
    fleet = Fleet(args.http_connections, args.event_rate)
    fleet.tally.measuring = False
    lag_watch = asyncio.create_task(fleet.watch_loop_lag())
    run_cpu, run_wall = time.process_time(), time.perf_counter()
    simulated, login_seconds = await start_boxes(fleet, f"{BASE}/box/login", [b.dev_sno for b in boxes])
    # What the fleet holds from now on lives as long as the run: kept out of its garbage
    # collections, whose full passes over it stalled the boxes' event loop (and so the latencies).
    gc.freeze()
    print(f"{len(simulated)} boxes logged in within {login_seconds:.1f} s", flush=True)
    distribution_seconds, enrolled = await distribute(args, boxes, group)
    if args.settle:
        # The passages the boxes recorded during the distribution queue behind it: their
        # catching up is not the steady state (run with --settle 0 to measure it too).
        print(f"people given to every box in {distribution_seconds:.1f} s; {args.settle:.0f} s to settle", flush=True)
        await asyncio.sleep(args.settle)
    print(f"measuring {args.duration:.0f} s of steady state", flush=True)
    fleet.tally.measuring = True
    stored_before, fleet_cpu_before = fleet.tally.passages_stored, time.process_time()
    by_process_before, wall_before = cpu_seconds_by_process(pids), time.perf_counter()
    brokers = pids_named("beam.smp")
    broker_before, machine_before = cpu_seconds(brokers), machine_cpu_seconds()
    await asyncio.sleep(args.duration)
    wall = time.perf_counter() - wall_before
    by_process = cpu_seconds_by_process(pids)
    machine = [now - before for now, before in zip(machine_cpu_seconds(), machine_before, strict=True)]
    cpu_by_process = sorted(((used - by_process_before.get(pid, 0.0)) / wall, process_label(pid))
                            for pid, used in by_process.items())
    figures = {"login_seconds": login_seconds, "distribution_seconds": distribution_seconds,
               "enrolled": enrolled, "wall": wall, "platform_cpu": sum(share for share, _ in cpu_by_process),
               "cpu_by_process": cpu_by_process, "platform_rss": current_rss_mib(pids),
               "fleet_cpu": (time.process_time() - fleet_cpu_before) / wall,
               "broker_cpu": (cpu_seconds(brokers) - broker_before) / wall,
               "machine_busy": machine[0] / machine[1] if machine[1] else 0.0,
               "intake": (fleet.tally.passages_stored - stored_before) / wall}
    figures["fleet_cpu_run"] = (time.process_time() - run_cpu) / (time.perf_counter() - run_wall)
    await stop_boxes(fleet, simulated)
    await lag_watch
    figures["fleet_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["tally"] = fleet.tally
    figures["platform"] = await asyncio.to_thread(platform_counts, boxes)
    return figures


async def distribute(args, boxes: list, group) -> tuple[float, int]:
    """Give the group (its `--people`) to every box; seconds until every enrolment is stored."""
    from django.db import connection

    from distribution.models import Enrolment
    from users import services

    def assign() -> None:
        services.set_group_boxes(group, boxes)
        connection.close()

    def enrolled() -> int:
        try:
            return Enrolment.objects.filter(box__in=boxes, state="enrolled").count()
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.to_thread(assign)
    wanted = args.people * len(boxes)
    while (done := await asyncio.to_thread(enrolled)) < wanted:
        if time.perf_counter() - started > args.distribution_timeout:
            print(f"distribution: only {done}/{wanted} enrolments stored after {args.distribution_timeout} s")
            break
        await asyncio.sleep(1)
    return time.perf_counter() - started, done


def platform_counts(boxes: list) -> dict:
    """What the platform stored for these boxes, to count against what the boxes did."""
    from django.db import connection

    from distribution.models import Command
    from events.models import Event

    try:
        commands = Command.objects.filter(box__in=boxes)
        return {"commands": commands.count(), "commands_finished": commands.filter(state__in=Command.FINISHED).count(),
                "events": Event.objects.filter(box__in=boxes).count()}
    finally:
        connection.close()


def print_latencies(args, tally) -> None:
    """The history batches' latencies: as sent, without the fleet's socket wait, on the platform."""
    batches = [latency for latency in tally.latencies if latency.kind == "history"]
    history = [batch.seconds for batch in batches]
    # What a box with its own connection would see: the wait for one of the fleet's sockets taken off.
    served = [batch.seconds - batch.socket_wait for batch in batches]
    # What the platform says it spent (Server-Timing): waiting for a web thread, in Django, for the loop.
    timed = [batch for batch in batches if batch.app is not None]
    on_platform = [batch.thread_wait + batch.app + (batch.loop or 0.0) for batch in timed]
    in_django = [batch.app for batch in timed]
    django_cpu = [batch.cpu for batch in timed if batch.cpu is not None]
    write_waits = [batch.write for batch in timed if batch.write is not None]
    loop_waits = [batch.loop for batch in timed if batch.loop is not None]
    print(f"  intake request latency p50 / p99       {percentile(history, 0.5) * 1000:6.1f} / "
          f"{percentile(history, 0.99) * 1000:.1f} ms ({len(history)} batches)")
    print(f"    without the wait for a fleet socket  {percentile(served, 0.5) * 1000:6.1f} / "
          f"{percentile(served, 0.99) * 1000:.1f} ms ({args.http_connections} sockets shared by {args.boxes} boxes)")
    if in_django:
        print(f"    on the platform (Server-Timing)      {percentile(on_platform, 0.5) * 1000:6.1f} / "
              f"{percentile(on_platform, 0.99) * 1000:.1f} ms, of which in Django "
              f"{percentile(in_django, 0.5) * 1000:.1f} / {percentile(in_django, 0.99) * 1000:.1f} ms")
    if django_cpu:
        print(f"      in Django: the thread's CPU        {percentile(django_cpu, 0.5) * 1000:6.1f} / "
              f"{percentile(django_cpu, 0.99) * 1000:.1f} ms, waiting for grouped writes "
              f"{percentile(write_waits, 0.5) * 1000:.1f} / {percentile(write_waits, 0.99) * 1000:.1f} ms")
        print(f"      the answer waiting for the loop    {percentile(loop_waits, 0.5) * 1000:6.1f} / "
              f"{percentile(loop_waits, 0.99) * 1000:.1f} ms")
    if tally.loop_lags:
        print(f"    the fleet's event loop woke late by  {percentile(tally.loop_lags, 0.5) * 1000:6.1f} / "
              f"{percentile(tally.loop_lags, 0.99) * 1000:.1f} ms (p50 / p99; max "
              f"{max(tally.loop_lags) * 1000:.0f} ms); its full garbage collections "
              f"{len(tally.full_collections)}, longest {max(tally.full_collections, default=0) * 1000:.0f} ms")


def print_figures(args, figures: dict) -> None:
    tally, stored = figures["tally"], figures["platform"]
    summary = tally.summary()
    print(f"\nfleet of {args.boxes} boxes, {args.people} people, {args.event_rate} passages/s per box, "
          f"{args.web_workers} web worker(s), {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}, database {'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}")
    print(f"  all boxes logged in within             {figures['login_seconds']:10.1f} s "
          f"({args.boxes / figures['login_seconds']:.1f} logins/s, {tally.login_retries} retries)")
    print(f"  {args.people} people to every box (stored)    {figures['distribution_seconds']:10.1f} s "
          f"({figures['enrolled']} of {args.people * args.boxes} enrolments)")
    print(f"  event intake at steady state           {figures['intake']:10.1f} events/s "
          f"(offered {args.boxes * args.event_rate:.0f}; {figures['wall']:.0f} s from {args.settle:.0f} s after "
          "the distribution)")
    print_latencies(args, tally)
    print(f"  platform CPU (all processes)           {figures['platform_cpu'] * 100:10.0f} %  "
          f"(of {os.cpu_count() * 100} %)")
    busiest = [f"{label} {share * 100:.0f} %" for share, label in reversed(figures["cpu_by_process"]) if share >= 0.01]
    print(f"    by process                           {', '.join(busiest)}")
    print(f"  platform memory (resident, now)        {figures['platform_rss']:10.0f} MiB")
    print(f"  simulated fleet CPU, steady / whole run {figures['fleet_cpu'] * 100:9.0f} % / "
          f"{figures['fleet_cpu_run'] * 100:.0f} %, peak memory {figures['fleet_rss']:.0f} MiB (one process, "
          f"Django's set-up included)")
    print(f"  broker CPU / whole machine busy        {figures['broker_cpu'] * 100:10.0f} % / "
          f"{figures['machine_busy'] * 100:.0f} % of its {os.cpu_count()} cores")
    print(f"  statuses sent / refused                {tally.statuses:10d} / {tally.status_failures}")
    print(f"  commands issued / delivered / answered {stored['commands']:10d} / "
          f"{summary['commands_delivered_unique']} / {tally.answered} (finished on the platform: "
          f"{stored['commands_finished']})")
    lost = tally.passages_recorded - tally.passages_held - stored["events"]
    print(f"  lost: commands never delivered         {stored['commands'] - summary['commands_delivered_unique']:10d}, "
          f"passages {lost} (recorded {tally.passages_recorded}, stored {stored['events']}, still held by the "
          f"boxes {tally.passages_held}, {tally.passage_batch_failures} batches refused and re-sent)")
    print(f"  doubled: commands delivered again      {summary['commands_delivered_again']:10d}, people enrolled "
          f"twice on a box {summary['people_enrolled_twice_or_more']}")
    print(f"  details requests / refused after retries {tally.details_requests:8d} / {tally.details_refused}, "
          f"photos {tally.photos} ({tally.photo_bytes / 2**20:.0f} MiB, {tally.photo_failures} failed), "
          f"broker reconnections {tally.broker_reconnections}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=10)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--event-rate", type=float, default=0.4, help="passage records per second per box")
    parser.add_argument("--duration", type=float, default=60, help="seconds of steady state measured")
    parser.add_argument("--settle", type=float, default=0,
                        help="seconds between the end of the distribution and the measuring")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--http-connections", type=int, default=64, help="the fleet's shared HTTP pool")
    parser.add_argument("--distribution-timeout", type=float, default=1800)
    args = parser.parse_args()
    os.environ["BOX_LOGIN_RATE_PER_CODE"] = "100000/min"
    os.environ["SERVER_TIMING"] = "1"
    raise_file_limit()
    run_on_fresh_platform(run, args, prefix="aibox-fleet-")


if __name__ == "__main__":
    main()
