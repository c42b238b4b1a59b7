"""Fleet simulation: N protocol-level boxes against the platform's own processes.

Each simulated box does what a real one does on the wire, without a face engine: it logs
in over HTTP, connects to RabbitMQ with its own credentials, answers every command
(fetching the people's details, answering on the upload queue), sends its status every
`deviceMonitorPeriod` and its passage records every `recordUploadPeriod`, at
`--event-rate` events per second per box. Prints logins per second, the time to give
`--people` people to every box (assignment to every enrolment stored), event intake per
second at steady state with p50 / p99 request latency, and the platform's CPU and memory.

    .venv/bin/python bench/fleet.py --boxes 100 [--people 1000] [--event-rate 0.5] [--duration 60]

Starts the platform (uvicorn with `--web-workers`, a Celery worker, the results consumer)
on a temporary SQLite database (or DATABASE_URL), in vhosts of its own.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from common import (
    FACES,
    PORT,
    cpu_seconds,
    current_rss_mib,
    percentile,
    run_on_fresh_platform,
    start_platform,
    stop,
    wait_until_up,
)

BASE = f"http://127.0.0.1:{PORT}"


class SimulatedBox:
    """One box at protocol level: its login, its broker connection and what it reports."""

    def __init__(self, dev_sno: str, index: int) -> None:
        from edge_agent.platform import resilient_session

        self.dev_sno = dev_sno
        self.mac = f"0x0000f1ee{index:04x}"
        self.http = resilient_session()  # as the agent does
        self.login: dict = {}
        self.commands = 0
        self.refused = 0
        self.reconnects = 0
        self.sequence = 0
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def log_in(self) -> None:
        response = self.http.get(f"{BASE}/box/login", params={"dev_sno": self.dev_sno, "hex_mac": self.mac},
                                 timeout=60)
        response.raise_for_status()
        self.login = response.json()

    def url(self, address: str) -> str:
        return address if address.startswith("http") else BASE + address

    def listen(self) -> None:
        self.thread = threading.Thread(target=self._consume, name=self.dev_sno, daemon=True)
        self.thread.start()

    def _consume(self) -> None:
        """Like the agent: when the broker drops the connection (a heartbeat missed while the
        box waited on an overloaded platform), connect again; unacked commands come back."""
        import pika

        while not self.stopping.is_set():
            try:
                self._consume_once()
            except pika.exceptions.AMQPError:
                self.reconnects += 1
                time.sleep(1)

    def _consume_once(self) -> None:
        import pika

        mq = self.login["rabbitmq"]
        credentials = pika.PlainCredentials(mq["login"], mq["password"])
        connection = pika.BlockingConnection(pika.ConnectionParameters(
            mq["host"], int(mq["port"]), mq["vHost"], credentials, heartbeat=60, blocked_connection_timeout=300))
        upload = pika.BlockingConnection(pika.ConnectionParameters(
            mq["host"], int(mq["port"]), mq["uploadVHost"], credentials, heartbeat=60))
        upload_channel = upload.channel()
        channel = connection.channel()
        channel.basic_qos(prefetch_count=2)

        def on_command(ch, method, properties, body) -> None:
            command = json.loads(body)
            users = []
            if command.get("method") == "add_users_plus":
                reply = self.http.post(self.url(command["extend_params"]["path"]),
                                       json={"userid_list": command["userid_list"]}, timeout=120)
                if not reply.ok:  # the platform is overloaded even after retries: take the command again later
                    self.refused += 1
                    time.sleep(2)
                    ch.basic_nack(method.delivery_tag, requeue=True)
                    return
                users = reply.json()["data"]["user_list"]
            result = {"success": True, "code": 0, "message": "ok", "dev_sno": self.dev_sno,
                      "messageKey": command.get("method"), "messageId": command.get("messageId"),
                      "result": {"failed_users": [], "success_users": [
                          {"userid": u["identity_id"], "username": u.get("info", {}).get("name", ""), "code": 0,
                           "message": "ok"} for u in users] or [
                          {"userid": i, "code": 0, "message": "ok"} for i in command.get("userid_list", [])]}}
            upload_channel.basic_publish("", mq["uploadQueue"], json.dumps(result).encode(),
                                         pika.BasicProperties(delivery_mode=2))
            ch.basic_ack(method.delivery_tag)
            self.commands += 1

        channel.basic_consume(mq["queue"], on_command)
        while not self.stopping.is_set():
            connection.process_data_events(time_limit=0.5)
            upload.process_data_events(time_limit=0)
        connection.close()
        upload.close()

    def status(self) -> float:
        body = {"gateway_ip": "10.9.0.1", "gateway_name": self.dev_sno, "gateway_status": "online",
                "gateway_sn": self.mac[2:], "dev_sno": self.dev_sno,
                "gateway_ext_data": {"sw_version": "fleet-sim", "cpu_usage": random.uniform(5, 60),
                                     "memory_size": 4, "memory_usage": 0.3, "disk_size": 64, "disk_free_size": 40},
                "sub_devices": [{"ep_id": f"{self.dev_sno}__10.9.0.2", "ep_name": "gate", "ep_ip": "10.9.0.2",
                                 "ep_status": "online", "ep_type": 0}]}
        started = time.perf_counter()
        self.http.post(self.url(self.login["deviceMonitorAddr"]), json=body, timeout=60).raise_for_status()
        return time.perf_counter() - started

    def history(self, count: int) -> float:
        now = int(time.time() * 1000)
        batch = []
        for _ in range(count):
            self.sequence += 1
            batch.append({"identity_id": f"F{self.sequence % 1000:04d}", "identity_name": "Fleet person",
                          "group_name": "default_group", "timestamp": now + self.sequence, "score": 0.8,
                          "reg_pic": "", "ext_data": {"device_ip": "10.9.0.2", "ep_id": f"{self.dev_sno}__10.9.0.2",
                                                      "person_type": 1, "device_type": "0", "grab_fiqa_info": {},
                                                      "box_fiqa_info": {}, "dev_sno": self.dev_sno}})
        started = time.perf_counter()
        response = self.http.post(self.url(self.login["recordAddr"]), json=batch, timeout=60)
        response.raise_for_status()
        return time.perf_counter() - started


def run(args) -> None:
    from django.db import connection

    from devices.broker import broker_admin
    from devices.services import create_box
    from distribution.models import Enrolment
    from users import services
    from users.models import PermissionGroup, Person
    from users.photos import store_photo

    admin = broker_admin()
    admin.ensure_platform_topology()
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        boxes = list(pool.map(lambda i: _create(create_box, i), range(args.boxes)))
    connection.close()
    print(f"{args.boxes} boxes created (broker identities included) in {time.perf_counter() - started:.1f} s")
    photos = [store_photo(p.read_bytes()) for p in sorted(FACES.glob("enroll/*/1.jpg"))]
    people = Person.objects.bulk_create(
        Person(identity_id=f"F{i:05d}", name=f"Fleet person {i}", photo=photos[i % len(photos)].path,
               photo_sha256=photos[i % len(photos)].sha256, thumbnail=photos[i % len(photos)].thumbnail)
        for i in range(args.people))
    group = PermissionGroup.objects.create(name="fleet")
    PermissionGroup.people.through.objects.bulk_create(
        PermissionGroup.people.through(person_id=p.pk, permissiongroup_id=group.pk) for p in people)

    processes = start_platform(workers=args.web_workers)
    pids = [p.pid for p in processes]
    simulated = [SimulatedBox(box.dev_sno, i) for i, box in enumerate(boxes)]
    try:
        import requests

        wait_until_up(requests.Session(), BASE)
        started = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(SimulatedBox.log_in, simulated))
        logins_per_second = len(simulated) / (time.perf_counter() - started)
        for box in simulated:
            box.listen()

        started = time.perf_counter()
        services.set_group_boxes(group, boxes)
        wanted = args.people * len(boxes)
        while (done := Enrolment.objects.filter(state="enrolled").count()) < wanted:
            if time.perf_counter() - started > args.distribution_timeout:
                print(f"distribution: only {done}/{wanted} enrolments stored after {args.distribution_timeout} s")
                break
            time.sleep(1)
        distribution_seconds = time.perf_counter() - started
        connection.close()

        cpu_before, wall_before = cpu_seconds(pids), time.perf_counter()
        latencies, sent = steady_state(simulated, args)
        wall = time.perf_counter() - wall_before
        cpu = (cpu_seconds(pids) - cpu_before) / wall
        rss = current_rss_mib(pids)
    finally:
        for box in simulated:
            box.stopping.set()
        stop(processes)
        for box in boxes:
            admin.delete_box_resources(box)

    print(f"\nfleet of {args.boxes} boxes, {args.people} people, {args.event_rate} events/s per box, "
          f"{args.web_workers} web worker(s), {os.cpu_count()} cores, database "
          f"{'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}")
    print(f"  logins per second                      {logins_per_second:10.1f}")
    print(f"  {args.people} people to every box (enrolled)  {distribution_seconds:10.1f} s")
    offered = args.boxes * max(1, round(args.event_rate * 5)) / 5
    print(f"  event intake at steady state           {sent / wall:10.1f} events/s (offered {offered:.0f})")
    print(f"  intake request latency p50 / p99       {percentile(latencies, 0.5) * 1000:6.1f} / "
          f"{percentile(latencies, 0.99) * 1000:.1f} ms")
    print(f"  platform CPU (all processes)           {cpu * 100:10.0f} %  (of {os.cpu_count() * 100} %)")
    print(f"  platform memory (resident, now)        {rss:10.0f} MiB")
    print(f"  details requests refused after retries {sum(box.refused for box in simulated):10d}, "
          f"broker reconnections {sum(box.reconnects for box in simulated)}")


def _create(create_box, i: int):
    from django.db import connection

    try:
        return create_box(name=f"fleet {i:04d}", record_upload_period=5, device_monitor_period=20)
    finally:
        connection.close()


def steady_state(boxes: list[SimulatedBox], args) -> tuple[list[float], int]:
    """Every box sends its history every recordUploadPeriod and its status every
    deviceMonitorPeriod, spread over the period, for `duration` seconds."""
    period, status_period = 5.0, 20.0
    per_batch = max(1, round(args.event_rate * period))
    jobs = []  # (due time, kind, box)
    start = time.monotonic()
    for i, box in enumerate(boxes):
        offset = period * i / len(boxes)
        jobs += [(start + offset + k * period, "history", box) for k in range(int(args.duration / period))]
        jobs += [(start + status_period * i / len(boxes) + k * status_period, "status", box)
                 for k in range(int(args.duration / status_period))]
    jobs.sort(key=lambda job: job[0])
    latencies, sent, lock = [], [0], threading.Lock()

    def perform(job) -> None:
        due, kind, box = job
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        took = box.history(per_batch) if kind == "history" else box.status()
        with lock:
            latencies.append(took)
            if kind == "history":
                sent[0] += per_batch

    with ThreadPoolExecutor(64) as pool:
        list(pool.map(perform, jobs))
    return latencies, sent[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=10)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--event-rate", type=float, default=0.5, help="passage events per second per box")
    parser.add_argument("--duration", type=float, default=60, help="seconds of steady state measured")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--distribution-timeout", type=float, default=1800)
    args = parser.parse_args()
    os.environ["BOX_LOGIN_RATE_PER_CODE"] = "100000/min"
    run_on_fresh_platform(run, args, prefix="aibox-fleet-")


if __name__ == "__main__":
    main()
