"""Distribution benchmark: N people with photos assigned to one box, end to end.

Starts the platform's own processes (uvicorn web, Celery worker, results consumer) on a
fresh database, creates N people with photos in one permission group, attaches the group
to a box and plays the box at protocol level as fast as it can: reads its queue, fetches
details and photos over HTTP, publishes results to the upload queue. Prints commands
published per second, details and photos served per second, the time from assignment to
all results stored, and the peak memory of the platform processes.

    .venv/bin/python bench/distribution.py [--people 10000] [--fetchers 8]

Uses its own vhosts and a temporary SQLite database (or DATABASE_URL), so a running
platform is left alone.
"""
from __future__ import annotations

import argparse
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from common import (
    FACES,
    PORT,
    peak_rss_mib,
    run_on_fresh_platform,
    start_platform,
    stop,
    wait_until_up,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--fetchers", type=int, default=8, help="the fake box's parallel photo downloads")
    args = parser.parse_args()

    run_on_fresh_platform(run, args)


def run(args) -> None:
    import requests

    from devices.broker import broker_admin
    from devices.services import create_box
    from users.models import PermissionGroup, Person
    from users.photos import store_photo

    broker_admin().ensure_platform_topology()
    box = create_box(name="bench box")
    photos = [store_photo(p.read_bytes()) for p in sorted(FACES.rglob("*.jpg"))]
    started = time.perf_counter()
    people = Person.objects.bulk_create(
        Person(identity_id=f"B{i:06d}", name=f"Person {i}", photo=photos[i % len(photos)].path,
               photo_sha256=photos[i % len(photos)].sha256, thumbnail=photos[i % len(photos)].thumbnail)
        for i in range(args.people)
    )
    group = PermissionGroup.objects.create(name="bench")
    PermissionGroup.people.through.objects.bulk_create(
        PermissionGroup.people.through(person_id=p.pk, permissiongroup_id=group.pk) for p in people
    )
    print(f"{args.people} people with {len(photos)} distinct photos created in {time.perf_counter() - started:.1f} s")

    processes = start_platform()
    try:
        session = requests.Session()
        base = f"http://127.0.0.1:{PORT}"
        wait_until_up(session, base)
        login = session.get(f"{base}/box/login", params={"dev_sno": box.dev_sno, "hex_mac": "0x0000000be0c0"}).json()
        measure(args, login, session, base, box, group, processes)
    finally:
        stop(processes)
        broker_admin().delete_box_resources(box)


def measure(args, login, session, base, box, group, processes) -> None:
    import pika
    from django.db import transaction

    from distribution.models import Command, Enrolment
    from users import services

    mq = login["rabbitmq"]
    credentials = pika.PlainCredentials(mq["login"], mq["password"])
    box_connection = pika.BlockingConnection(pika.ConnectionParameters(mq["host"], mq["port"], mq["vHost"],
                                                                       credentials))
    upload = pika.BlockingConnection(pika.ConnectionParameters(mq["host"], mq["port"], mq["uploadVHost"],
                                                               credentials))
    upload_channel = upload.channel()
    counters = {"details": 0, "details_s": 0.0, "photos": 0, "photos_s": 0.0}
    pool = ThreadPoolExecutor(args.fetchers)
    http = threading.local()

    def fetch_photo(url: str) -> None:
        if not hasattr(http, "session"):
            import requests

            http.session = requests.Session()
        response = http.session.get(base + url, timeout=30)
        response.raise_for_status()

    t0 = time.perf_counter()
    with transaction.atomic():
        services.set_group_boxes(group, [box])
    expected_commands = -(-args.people // 100)
    published = {}

    def watch_publishing() -> None:
        from django.db import connection

        while not Command.objects.filter(box=box).exclude(state="queued").count() >= expected_commands:
            time.sleep(0.02)
        published["at"] = time.perf_counter() - t0
        connection.close()

    watcher = threading.Thread(target=watch_publishing, daemon=True)
    watcher.start()
    channel = box_connection.channel()
    handled = 0
    for method, _, body in channel.consume(mq["queue"], inactivity_timeout=60):
        if method is None:
            print("no command for 60 s; giving up")
            break
        command = json.loads(body)
        start = time.perf_counter()
        reply = session.post(base + command["extend_params"]["path"], json={"userid_list": command["userid_list"]})
        users = reply.json()["data"]["user_list"]
        counters["details"] += len(users)
        counters["details_s"] += time.perf_counter() - start
        start = time.perf_counter()
        list(pool.map(fetch_photo, [u["relative_pic_url"] for u in users]))
        counters["photos"] += len(users)
        counters["photos_s"] += time.perf_counter() - start
        result = {"success": True, "code": 0, "message": "ok", "dev_sno": box.dev_sno, "messageKey": command["method"],
                  "messageId": command["messageId"], "result": {"failed_users": [], "success_users": [
                      {"userid": u["identity_id"], "username": u["info"]["name"], "code": 0, "message": "ok"}
                      for u in users]}}
        upload_channel.basic_publish("", mq["uploadQueue"], json.dumps(result).encode(),
                                     pika.BasicProperties(delivery_mode=2))
        channel.basic_ack(method.delivery_tag)
        handled += 1
        if handled == expected_commands:
            break
    channel.cancel()
    while Enrolment.objects.filter(box=box, state="enrolled").count() < args.people:
        if time.perf_counter() - t0 > 600:
            print("results not all stored after 10 min")
            break
        time.sleep(0.1)
    total = time.perf_counter() - t0
    watcher.join(timeout=10)
    published_at = published.get("at", total)
    memory = peak_rss_mib([p.pid for p in processes])
    commands = Command.objects.filter(box=box).count()
    print(f"\nassignment of {args.people} people to one box ({commands} commands of at most 100 ids):")
    print(f"  commands published per second        {commands / published_at:10.1f}"
          f"  (all published after {published_at:.2f} s)")
    print(f"  person details served per second     {counters['details'] / counters['details_s']:10.1f}")
    print(f"  photos served per second             {counters['photos'] / counters['photos_s']:10.1f}"
          f"  ({args.fetchers} parallel downloads)")
    print(f"  assignment to all results stored     {total:10.1f} s")
    print(f"  peak memory of platform processes    {memory:10.1f} MiB  (web, Celery worker and pool, results consumer)")
    print(f"  machine: {os.cpu_count()} cores; database: {os.environ.get('DATABASE_URL', 'SQLite')}")
    box_connection.close()
    upload.close()


if __name__ == "__main__":
    main()
