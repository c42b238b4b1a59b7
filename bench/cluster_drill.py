"""Cluster drill: a three-node RabbitMQ cluster, the platform on it, a node stopped mid-distribution.

What docs/deployment.md describes, on one machine with Debian's rabbitmq-server:
- three nodes (`drill1..3@localhost`), each with its own AMQP, distribution and management ports,
  its own data under a temporary directory and one shared Erlang cookie; the machine's own
  RabbitMQ (5672/15672, its cookie, its data) is never touched;
- a TCP load balancer in front (in this process: AMQP and management, round-robin over the
  nodes that accept a connection), which is what the platform and the boxes are told to use;
- the platform's processes (uvicorn, Celery worker, results consumer) with `BOX_QUEUE_TYPE=quorum`;
- `--boxes` simulated boxes (bench/fleet_boxes.py), each enrolling a person in
  `--enrol-seconds`, so a distribution of `--people` people lasts a while;
- once the first results are stored, one node is stopped (`--stop`: the node leading most box
  queues, or the node holding Celery's queue, or a node number; `--how kill` is SIGKILL);
- then it waits for every enrolment and prints what was issued, delivered, answered and stored,
  with what was lost or doubled.

    .venv/bin/python bench/cluster_drill.py [--boxes 4] [--people 200] [--stop leader|quorum-only|celery|1|2|3]

About two minutes on an idle 2-core machine; the three nodes run with one scheduler each.
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
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

import requests

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")  # Debian's rabbitmq-server, run directly (not the su wrapper)
AMQP_BASE, MANAGEMENT_BASE, DIST_BASE = 5781, 15781, 25781
AMQP_BALANCER, MANAGEMENT_BALANCER = 5790, 15790
NODE_COUNT = 3
SCHEDULER_ARGS = "+S 1:1 +A 4 +sbwt none +sbwtdcpu none +sbwtdio none"  # a shared 2-core machine


@dataclass
class Node:
    """One RabbitMQ node of the drill's cluster."""

    index: int
    root: Path
    process: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return f"drill{self.index}@localhost"

    @property
    def amqp_port(self) -> int:
        return AMQP_BASE + self.index - 1

    @property
    def management_port(self) -> int:
        return MANAGEMENT_BASE + self.index - 1

    def env(self) -> dict[str, str]:
        home = self.root.parent / "home"
        base = self.root
        return {**os.environ, "HOME": str(home), "RABBITMQ_CONF_ENV_FILE": str(home / "rabbitmq-env.conf"),
                "RABBITMQ_NODENAME": self.name, "RABBITMQ_NODE_PORT": str(self.amqp_port),
                "RABBITMQ_DIST_PORT": str(DIST_BASE + self.index - 1),
                "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
                "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
                "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
                "RABBITMQ_PID_FILE": str(base / "pid"),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": SCHEDULER_ARGS
                + " -kernel inet_dist_use_interface {127,0,0,1}"}

    def start(self) -> None:
        self.root.mkdir(parents=True)
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.management_port}\n"
            "log.console = false\nlog.file.level = warning\n")
        log = open(self.root / "server.out", "wb")
        self.process = subprocess.Popen([str(RABBIT_BIN / "rabbitmq-server")], env=self.env(), cwd=self.root,
                                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        log.close()

    def ctl(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run([str(RABBIT_BIN / "rabbitmqctl"), "-n", self.name, *args], env=self.env(), cwd=self.root,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {self.name}: {done.stdout}{done.stderr}")
        return done.stdout

    def wait_started(self, timeout: float = 240) -> None:
        """Until the node runs (its VM registers with epmd only some seconds after it starts)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.ctl("await_startup", "--timeout", "60", timeout=90)
                return
            except (RuntimeError, subprocess.TimeoutExpired):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(2)

    def vm_pid(self) -> int | None:
        """The Erlang VM's pid, from the pid file the node writes (the start script runs the VM
        as a child and waits on it, so the script's own pid is not the node's)."""
        try:
            pid = int((self.root / "pid").read_text().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def kill(self) -> None:
        """SIGKILL the node's Erlang VM: a machine gone, no goodbye."""
        if pid := self.vm_pid():
            os.kill(pid, signal.SIGKILL)
        if self.process:
            self.process.wait(30)

    def shut_down(self) -> None:
        if self.vm_pid():
            try:
                self.ctl("stop", timeout=60)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        self.kill()


def refuse_taken_ports() -> None:
    ports = [p + i for p in (AMQP_BASE, MANAGEMENT_BASE, DIST_BASE) for i in range(NODE_COUNT)]
    for port in [*ports, AMQP_BALANCER, MANAGEMENT_BALANCER]:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"port {port} is taken (a drill left running?): stop it first")


def start_cluster(tmp: Path) -> list[Node]:
    """Three nodes, the second and third joined to the first; management on each."""
    home = tmp / "home"
    home.mkdir()
    cookie = home / ".erlang.cookie"
    cookie.write_text(os.urandom(20).hex())
    cookie.chmod(0o400)
    (home / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's: that one names the machine's node
    (home / "enabled_plugins").write_text("[rabbitmq_management].\n")
    nodes = [Node(i, tmp / f"node{i}") for i in range(1, NODE_COUNT + 1)]
    try:
        for node in nodes:
            node.start()
        for node in nodes:
            node.wait_started()
        for node in nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", nodes[0].name)
            node.ctl("start_app")
    except BaseException:
        for node in nodes:
            node.kill()
        raise
    status = json.loads(nodes[0].ctl("cluster_status", "--formatter", "json"))
    print(f"cluster of {len(status['running_nodes'])} running nodes: {', '.join(status['running_nodes'])}",
          flush=True)
    return nodes


class Balancer:
    """A TCP load balancer: each client connection goes to the next backend that accepts one
    (round-robin), or with `failover_only` to the first of them that accepts one (a primary
    and its stand-ins, as a health-checked balancer with affinity does)."""

    def __init__(self, port: int, backends: list[int], failover_only: bool = False) -> None:
        self.port, self.backends, self.turn = port, backends, cycle(range(len(backends)))
        self.failover_only = failover_only
        self.server: asyncio.base_events.Server | None = None
        self.connections: Counter = Counter()  # backend port -> client connections sent there

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    def _candidates(self) -> list[int]:
        if self.failover_only:
            return list(self.backends)
        first = next(self.turn)
        return self.backends[first:] + self.backends[:first]

    async def _serve(self, client_reader, client_writer) -> None:
        for backend in self._candidates():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", backend)
                self.connections[backend] += 1
                break
            except OSError:
                continue
        else:
            client_writer.close()
            return
        try:
            await asyncio.gather(_pipe(client_reader, writer), _pipe(reader, client_writer))
        except asyncio.CancelledError:  # the drill is over: drop the connection quietly
            writer.close()
            client_writer.close()

    async def close(self) -> None:
        if self.server:
            self.server.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def configure_platform_broker() -> None:
    os.environ.update({
        "BROKER_URL": f"amqp://guest:guest@127.0.0.1:{AMQP_BALANCER}/aibox-drill-celery",
        "RABBITMQ_MANAGEMENT_URL": f"http://guest:guest@127.0.0.1:{MANAGEMENT_BALANCER}",
        "BOX_BROKER_HOST": "127.0.0.1", "BOX_BROKER_PORT": str(AMQP_BALANCER),
        "BOX_QUEUE_TYPE": "quorum", "BOX_LOGIN_RATE_PER_CODE": "100000/min",
    })


def queue_placement() -> list[dict]:
    """Every queue of the cluster with its type and where it lives (a quorum queue's leader)."""
    response = requests.get(f"http://127.0.0.1:{MANAGEMENT_BALANCER}/api/queues", auth=("guest", "guest"),
                            timeout=30, params={"columns": "vhost,name,type,node,leader,members"})
    response.raise_for_status()
    return response.json()


def node_to_stop(choice: str, nodes: list[Node]) -> Node:
    placement = queue_placement()
    for queue in placement:
        if queue["type"] != "quorum":
            print(f"  {queue['type']} queue {queue['vhost']}/{queue['name']} lives on {queue.get('node')} only")
    if choice.isdigit():
        return nodes[int(choice) - 1]
    if choice == "celery":
        where = next(q.get("node") for q in placement if q["name"] == "celery")
        return next(n for n in nodes if n.name == where)
    leaders = Counter(q.get("leader") or q.get("node") for q in placement if q["vhost"] == os.environ["BOX_VHOST"])
    print(f"  box queue leaders per node: {dict(leaders)}")
    if choice == "quorum-only":  # spare the nodes that hold a classic (unreplicated) queue
        holding_classic = {q.get("node") for q in placement if q["type"] != "quorum"}
        leaders = Counter({node: n for node, n in leaders.items() if node not in holding_classic})
    return next(n for n in nodes if n.name == leaders.most_common(1)[0][0])


async def drill(args, nodes: list[Node]) -> dict:
    """Everything that talks to the broker from here runs in a thread: the balancers share this loop."""
    from common import PORT, start_platform, stop, wait_until_up
    from fleet import create_boxes, create_people
    from fleet_boxes import Fleet, start_boxes, stop_boxes

    from devices.broker import broker_admin

    base = f"http://127.0.0.1:{PORT}"
    await asyncio.to_thread(lambda: broker_admin().ensure_platform_topology())
    boxes = await asyncio.to_thread(create_boxes, args.boxes)
    group = await asyncio.to_thread(create_people, args.people)
    processes = start_platform()
    try:
        await asyncio.to_thread(wait_until_up, requests.Session(), base)
        fleet = Fleet(event_rate=args.event_rate, enrol_seconds=args.enrol_seconds)
        simulated, _ = await start_boxes(fleet, f"{base}/box/login", [b.dev_sno for b in boxes])
        stopped = await distribute_through_a_node_loss(args, nodes, boxes, group, fleet)
        alive = {name: p.poll() is None for name, p in zip(("web", "worker", "results"), processes, strict=True)}
        await stop_boxes(fleet, simulated)
    finally:
        await asyncio.to_thread(stop, processes)
    return {"stopped": stopped, "alive": alive, "tally": fleet.tally,
            "platform": await asyncio.to_thread(stored_counts, boxes, args.people)}


async def distribute_through_a_node_loss(args, nodes: list[Node], boxes: list, group, fleet) -> str:
    from django.db import connection

    from users import services

    def assign() -> None:
        services.set_group_boxes(group, boxes)
        connection.close()

    started = time.monotonic()
    await asyncio.to_thread(assign)
    while fleet.tally.answered < 1 and time.monotonic() - started < 120:
        await asyncio.sleep(0.2)
    victim = await asyncio.to_thread(node_to_stop, args.stop, nodes)
    print(f"{time.monotonic() - started:.1f} s: first results answered ({fleet.tally.answered}); "
          f"stopping {victim.name} ({args.how})", flush=True)
    await asyncio.to_thread(victim.kill if args.how == "kill" else victim.shut_down)
    survivor = next(n for n in nodes if n is not victim)
    running = json.loads(await asyncio.to_thread(survivor.ctl, "cluster_status", "--formatter", "json"))
    print(f"  running nodes now: {', '.join(running['running_nodes'])}", flush=True)
    wanted = args.people * len(boxes)
    while (done := await asyncio.to_thread(enrolled_count, boxes)) < wanted:
        if time.monotonic() - started > args.timeout:
            print(f"only {done} of {wanted} enrolments stored after {args.timeout} s")
            break
        await asyncio.sleep(1)
    print(f"{time.monotonic() - started:.1f} s: {done} of {wanted} enrolments stored", flush=True)
    await asyncio.sleep(3)  # late duplicates, if any, arrive now
    return victim.name


def enrolled_count(boxes: list) -> int:
    from django.db import connection

    from distribution.models import Enrolment

    try:
        return Enrolment.objects.filter(box__in=boxes, state="enrolled").count()
    finally:
        connection.close()


def stored_counts(boxes: list, people: int) -> dict:
    from django.db import connection

    from distribution.models import Command, CommandOutcome

    try:
        commands = Command.objects.filter(box__in=boxes, method="add_users_plus")
        return {"commands": commands.count(), "states": dict(Counter(commands.values_list("state", flat=True))),
                "attempts_over_one": commands.filter(attempts__gt=1).count(),
                "outcomes": CommandOutcome.objects.filter(command__in=commands).count(),
                "enrolled": enrolled_count(boxes), "wanted": people * len(boxes)}
    finally:
        connection.close()


def print_report(args, result: dict) -> None:
    tally, stored = result["tally"], result["platform"]
    summary = tally.summary()
    print(f"\ncluster drill: {NODE_COUNT} nodes, {args.boxes} boxes, {args.people} people each, quorum box queues, "
          f"stopped {result['stopped']} ({args.how}) mid-distribution; load average {os.getloadavg()[0]:.1f}")
    print(f"  commands issued / delivered / answered  {stored['commands']} / "
          f"{summary['commands_delivered_unique']} / {tally.answered - tally.answered_again} "
          f"(states on the platform: {stored['states']})")
    print(f"  delivered again (after a connection loss) {summary['commands_delivered_again']}, answered again "
          f"from the box's store {tally.answered_again}, re-sent by the platform {stored['attempts_over_one']}")
    print(f"  enrolments stored {stored['enrolled']} of {stored['wanted']}; outcomes stored {stored['outcomes']}; "
          f"people enrolled twice on a box {summary['people_enrolled_twice_or_more']}")
    print(f"  boxes' broker reconnections {tally.broker_reconnections}, results published again after a lost "
          f"upload connection {tally.answer_retries}, acknowledgements lost {tally.ack_failures}; platform "
          f"processes alive afterwards: {result['alive']}")
    once = (stored["commands"] == summary["commands_delivered_unique"] == tally.answered - tally.answered_again
            and stored["enrolled"] == stored["outcomes"] == stored["wanted"])
    print(f"  every command delivered and answered, every outcome stored once: {'yes' if once else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=4)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--enrol-seconds", type=float, default=0.05, help="a simulated enrolment's time")
    parser.add_argument("--event-rate", type=float, default=0.4)
    parser.add_argument("--stop", default="leader",
                        help="leader (the node leading most box queues), quorum-only (the same among nodes holding "
                        "no classic queue), celery (the node holding Celery's queue), or a node number")
    parser.add_argument("--how", choices=("kill", "stop"), default="kill")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    refuse_taken_ports()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import run_on_fresh_platform

    with tempfile.TemporaryDirectory(prefix="aibox-cluster-drill-") as tmp:
        nodes = start_cluster(Path(tmp))
        try:
            configure_platform_broker()
            run_on_fresh_platform(lambda a: print_report(a, asyncio.run(with_balancers(a, nodes))), args,
                                  prefix="aibox-drill-")
        finally:
            for node in nodes:
                node.shut_down()


async def with_balancers(args, nodes: list[Node]) -> dict:
    balancers = [Balancer(AMQP_BALANCER, [n.amqp_port for n in nodes]),
                 Balancer(MANAGEMENT_BALANCER, [n.management_port for n in nodes])]
    for balancer in balancers:
        await balancer.start()
    try:
        return await drill(args, nodes)
    finally:
        for balancer in balancers:
            await balancer.close()


if __name__ == "__main__":
    main()
