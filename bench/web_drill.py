"""Web drill: two web processes sharing Redis and PostgreSQL, one SIGKILLed while boxes report.

Issue 17 item 4's second half (the first, a RabbitMQ node lost, is bench/cluster_drill.py). On
this machine's own RabbitMQ (vhosts of the caller's BOX_VHOST / BOX_UPLOAD_VHOST / BROKER_URL),
a PostgreSQL DATABASE_URL and REDIS_URL (the channel layer and cache of both web processes):
- the Procfile's `web` line twice (ports 8141, 8142), its Celery `worker` and `results`;
- two fronts in this process (8143, 8144), TCP balancers with affinity: front 1 sends every new
  connection to web 1 and, when web 1 refuses, to web 2; front 2 the other way round. Half the
  boxes log in through each front, so each box has a home web process and fails over as
  behind a health-checked balancer. Affinity rather than round-robin so that every live event
  can be traced to the web process that took it (round-robin over pooled connections mixes);
- `--boxes` simulated boxes (bench/fleet_boxes.py) that log in, listen on the broker, send
  their status, and report every passage twice as a stock box does: at once to realtimeAddr
  (one try) and then in the next history batch to recordAddr, re-sent until answered 2xx;
- a console WebSocket (/ws/console/, an administrator's session) on each web process,
  counting the live events it hears and which web process took them;
- after `--kill-at` seconds, as soon as a history batch of a web-1 box is on its way (the worst
  moment: sent, or being stored, or stored and not yet answered), SIGKILL of web 1; after
  `--seconds` the boxes stop, flush what they still hold, and the drill counts every passage's
  dedup key in the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aibox_NAME REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/web_drill.py [--boxes 5] [--seconds 60] [--kill-at 25] [--event-rate 1]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_drill import Balancer
from fleet_boxes import Fleet, SimulatedBox

WEB_PORTS = (8141, 8142)
FRONT_PORTS = (8143, 8144)
REPO = Path(__file__).resolve().parents[1]


class DrillBox(SimulatedBox):
    """A fleet box that also reports each passage live, and notes when its reports are taken."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sent_keys: list[tuple[str, str]] = []  # (dev_sno, dedup key): a key is unique per box
        self.taken_at: list[float] = []  # when a history batch or realtime report was answered 2xx
        self.realtime_failures = 0
        self.batches_in_flight = 0

    def report(self) -> None:
        super().report()
        self.tasks.append(asyncio.create_task(self._live()))

    async def _live(self) -> None:
        """A passage every 1/event_rate seconds: sent live once, kept for the next history batch."""
        from events.services import dedup_key

        while not self.fleet.stopping.is_set():
            await asyncio.sleep(1 / self.fleet.live_rate)
            passage = self.passage()
            self.sent_keys.append((self.dev_sno, dedup_key(passage["timestamp"], passage["identity_id"],
                                                           passage["score"])))
            self.fleet.tally.passages_recorded += 1
            self.unsent.append(passage)
            try:
                status, _ = await self.fleet.request("POST", self.url(self.reply["realtimeAddr"]), json=passage)
            except Exception:
                status = 0
            if 200 <= status < 300:
                self.taken_at.append(time.monotonic())
            else:
                self.realtime_failures += 1

    async def _post_batch(self, address: str, batch: list[dict]) -> bool:
        self.batches_in_flight += 1
        try:
            taken = await super()._post_batch(address, batch)
        finally:
            self.batches_in_flight -= 1
        if taken:
            self.taken_at.append(time.monotonic())
        return taken


class ConsoleListener:
    """An administrator's console page on one web process: the live events it hears."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.events: list[tuple[float, int, int]] = []  # (when, box id, event id)
        self.closed_at: float | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        from websockets.asyncio.client import connect

        base = f"http://127.0.0.1:{self.port}"
        try:
            async with connect(f"ws://127.0.0.1:{self.port}/ws/console/", origin=base,
                               additional_headers={"Cookie": self.cookie}) as websocket:
                while not stopping.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(websocket.recv(), 1))
                    except TimeoutError:
                        continue
                    if message.get("kind") == "events":
                        self.events += [(time.monotonic(), e["box"], e["id"]) for e in message["events"]]
        except Exception:
            self.closed_at = time.monotonic()


def configure(args) -> None:
    """The caller's vhosts and broker (common.md isolation), no PUBLIC_BASE_URL (each box's
    addresses name the front it logged in through), Redis for both web processes."""
    from common import configure_environment

    own = {k: os.environ.get(k, default) for k, default in (
        ("BOX_VHOST", "aibox-webdrill"), ("BOX_UPLOAD_VHOST", "aibox-webdrill-upload"),
        ("BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/aibox-webdrill-celery"))}
    configure_environment(args.var_dir)
    os.environ.update(own)
    os.environ.pop("PUBLIC_BASE_URL", None)
    os.environ.update({"REDIS_URL": args.redis_url, "BOX_LOGIN_RATE_PER_CODE": "100000/min",
                       "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"})


def start_processes(log_dir: Path) -> dict[str, subprocess.Popen]:
    """The Procfile's lines (as tests/contract/platform_processes.py expands them): web twice."""
    from tests.contract.platform_processes import procfile_commands

    started = {}
    for name, port in (("web1", WEB_PORTS[0]), ("web2", WEB_PORTS[1]), ("worker", None), ("results", None)):
        env = {**os.environ, "HOST": "127.0.0.1", "WEB_PORT": str(port or "")}
        argv = procfile_commands(env)[name.rstrip("12")]
        with open(log_dir / f"{name}.log", "wb") as log:
            started[name] = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
    return started


def stop_processes(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def administrator_cookie() -> str:
    """A session cookie of a new superuser (sessions live in the shared database)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_superuser(f"drill-{os.getpid()}-{time.time_ns()}", password=None)
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def drill(args, boxes: list, cookie: str) -> dict:
    fronts = [Balancer(FRONT_PORTS[0], list(WEB_PORTS), failover_only=True),
              Balancer(FRONT_PORTS[1], list(reversed(WEB_PORTS)), failover_only=True)]
    for front in fronts:
        await front.start()
    fleet = Fleet(http_connections=16, event_rate=0.0)
    fleet.live_rate = args.event_rate
    simulated = [DrillBox(fleet, f"http://127.0.0.1:{FRONT_PORTS[i % 2]}/box/login", box.dev_sno, i)
                 for i, box in enumerate(boxes)]
    listening = asyncio.Event()
    listeners = [ConsoleListener(port, cookie) for port in WEB_PORTS]
    sockets = [asyncio.create_task(listener.run(listening)) for listener in listeners]
    await asyncio.gather(*(box.log_in(time.monotonic() + 120) for box in simulated))
    for box in simulated:
        await box.listen()
        box.report()
    started = time.monotonic()
    await asyncio.sleep(args.kill_at)
    while not any(box.batches_in_flight for box in simulated[0::2]) and time.monotonic() - started < args.seconds:
        await asyncio.sleep(0.001)  # a history batch of a web-1 box on its way: the worst moment
    killed_at = time.monotonic()
    os.killpg(args.processes["web1"].pid, signal.SIGKILL)
    in_flight = sum(box.batches_in_flight for box in simulated[0::2])
    print(f"{killed_at - started:.1f} s: web 1 (port {WEB_PORTS[0]}) SIGKILLed with {in_flight} history batch(es) "
          "of its boxes in flight", flush=True)
    await asyncio.sleep(max(0.0, args.seconds - (time.monotonic() - started)))
    leftover = await flush(fleet, simulated)
    await asyncio.sleep(3)  # the last live messages
    listening.set()
    await asyncio.gather(*sockets)
    for front in fronts:
        await front.close()
    return {"boxes": simulated, "listeners": listeners, "fronts": fronts, "killed_at": killed_at,
            "tally": fleet.tally, "leftover": leftover, "started": started}


async def flush(fleet: Fleet, boxes: list[DrillBox]) -> int:
    """Stop the schedules, then send what the boxes still hold until taken (as the agent would at
    its next periods); returns what is still held after a minute."""
    fleet.stopping.set()
    for box in boxes:
        for task in box.tasks:
            task.cancel()
    deadline = time.monotonic() + 60
    while any(box.unsent for box in boxes) and time.monotonic() < deadline:
        await asyncio.gather(*(box.send_history() for box in boxes if box.unsent))
        await asyncio.sleep(0.5)
    held = sum(len(box.unsent) for box in boxes)
    for box in boxes:
        box.tasks = []
        await box.close()
    await fleet.close()
    return held


def stored_keys(boxes: list) -> tuple[Counter, Counter]:
    """Every stored event of these boxes as (dev_sno, dedup key) with the times stored, and their channels."""
    from events.models import Event

    rows = list(Event.objects.filter(box__in=boxes).values_list("box__dev_sno", "dedup_key", "channel"))
    return Counter((box, key) for box, key, _ in rows), Counter(channel for *_, channel in rows)


def live_figures(result: dict, boxes: list) -> list[str]:
    """What each console socket heard, split by the home web process of the event's box."""
    home = {box.pk: 1 + i % 2 for i, box in enumerate(boxes)}
    killed_at, lines = result["killed_at"], []
    for number, listener in enumerate(result["listeners"], start=1):
        seen = Counter((home[box], when < killed_at) for when, box, _ in listener.events)
        closed = f", socket closed {listener.closed_at - killed_at:+.1f} s after the kill" if listener.closed_at else ""
        lines.append(f"  web {number}'s console socket: {len({e for _, _, e in listener.events})} live events; "
                     f"before the kill {seen[(1, True)]} from web-1 boxes, {seen[(2, True)]} from web-2 boxes; "
                     f"after it {seen[(1, False)]} from web-1 boxes, {seen[(2, False)]} from web-2 boxes{closed}")
    return lines


def failover_seconds(result: dict) -> float:
    """From the kill to the last web-1 box's first report taken afterwards (by web 2)."""
    killed_at, firsts = result["killed_at"], []
    for box in result["boxes"][0::2]:
        after = [t for t in box.taken_at if t > killed_at]
        firsts.append(min(after) - killed_at if after else float("inf"))
    return max(firsts)


def print_report(args, result: dict, boxes: list) -> None:
    sent = Counter(key for box in result["boxes"] for key in box.sent_keys)
    stored, channels = stored_keys(boxes)
    lost = sum(1 for key in sent if key not in stored)
    doubled = sum(n - 1 for n in stored.values() if n > 1) + sum(n - 1 for n in sent.values() if n > 1)
    strangers = sum(1 for key in stored if key not in sent)
    tally, fronts = result["tally"], result["fronts"]
    print(f"\nweb drill: 2 web processes (Redis channel layer, PostgreSQL), {args.boxes} boxes, "
          f"{args.event_rate} passages/s each for {args.seconds:.0f} s, web 1 SIGKILLed at {args.kill_at:.0f} s; "
          f"load average {os.getloadavg()[0]:.1f} (a shared 2-core machine: figures under load)")
    print(f"  passages sent {len(sent)} / stored {sum(stored.values())} / lost {lost} / doubled {doubled} "
          f"(stored but never sent: {strangers}); stored as {dict(channels)}; still held by boxes {result['leftover']}")
    print(f"  history batches answered {tally.passages_stored} stored + {tally.passages_duplicate} already known; "
          f"batches not answered 2xx (re-sent) {tally.passage_batch_failures}; realtime reports not taken "
          f"{sum(b.realtime_failures for b in result['boxes'])}; status reports failed {tally.status_failures}; "
          f"HTTP calls re-sent after a dropped connection or 5xx {tally.request_retries}")
    print(f"  failover: the web-1 boxes' reports taken again {failover_seconds(result):.2f} s after the kill at most; "
          f"front connections {[dict(f.connections) for f in fronts]}")
    for line in live_figures(result, boxes):
        print(line)
    print(f"  every passage stored exactly once: {'yes' if lost == doubled == strangers == 0 else 'NO'}; "
          f"processes alive afterwards: {args.alive}")


def run(args) -> None:
    from fleet import create_boxes

    from devices.broker import broker_admin

    broker_admin().ensure_platform_topology()
    boxes = create_boxes(args.boxes)
    cookie = administrator_cookie()
    log_dir = Path(args.var_dir) / "logs"
    log_dir.mkdir()
    args.processes = start_processes(log_dir)
    try:
        import requests
        from common import wait_until_up

        for port in WEB_PORTS:
            wait_until_up(requests.Session(), f"http://127.0.0.1:{port}")
        result = asyncio.run(drill(args, boxes, cookie))
        args.alive = {name: p.poll() is None for name, p in args.processes.items()}
    finally:
        stop_processes(args.processes)
        if args.keep_logs:
            subprocess.run(["cp", "-r", str(log_dir), args.keep_logs], check=False)
    print_report(args, result, boxes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60, help="how long the boxes report")
    parser.add_argument("--kill-at", type=float, default=25, help="when web 1 is SIGKILLed")
    parser.add_argument("--event-rate", type=float, default=1.0, help="passages per second per box")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"))
    parser.add_argument("--keep-logs", default="", help="copy the processes' logs to this directory")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database of your own (both web processes share it)")
    for port in (*WEB_PORTS, *FRONT_PORTS):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"port {port} is taken (a drill left running?): stop it first")
    with tempfile.TemporaryDirectory(prefix="aibox-web-drill-") as var_dir:
        args.var_dir = var_dir
        configure(args)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, check=True)
        subprocess.run([sys.executable, "manage.py", "setup_broker"], cwd=REPO, check=True, capture_output=True)
        from tests.contract.platform_processes import static_files_stale

        if static_files_stale():  # the console's pages (and wait_until_up's /login/) need them
            subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=REPO, check=True)
        import django

        django.setup()
        run(args)


if __name__ == "__main__":
    main()
