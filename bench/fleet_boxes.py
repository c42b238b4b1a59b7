"""A fleet of simulated boxes in one asyncio process: each speaks the contract on the wire.

Every box (CONTRACT.md; upstream 01 §4-§7, part 2 §4.4-§4.5), without a face engine:
- logs in over HTTP with its dev_sno and MAC, retrying with back-off until it is let in;
- connects to RabbitMQ with the account the login gave it, binds its queue to its exchange,
  and keeps a second connection to the upload vhost for results (two connections a box, as
  the agent has);
- takes one command at a time; for add_users_plus it fetches the people's details from the
  command's `path` (50 ids a request, as the agent) and then every person's photo, and only
  then answers on the upload queue (publisher confirms) and acknowledges the command;
- sends its status to deviceMonitorAddr every deviceMonitorPeriod and its passage records to
  recordAddr every recordUploadPeriod.

What makes a thousand of them cheap: one event loop, aio-pika connections (no thread per
box), and one shared aiohttp connection pool for everyone's HTTP calls (`--http-connections`
sockets to the platform instead of one per box; the platform does the same work per request).

Run against a platform that is already up, with boxes already created:

    .venv/bin/python bench/fleet_boxes.py --login-url http://h:8000/box/login --codes A,B,C --seconds 30

prints one JSON object (the tallies: logins, statuses, passages stored, commands delivered
and answered, people enrolled per box, lost and doubled). bench/fleet.py builds on it.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

import aio_pika
import aiohttp

from aibox_contract.urls import join_base, resolve, with_auth

HISTORY_BATCH = 100  # events per history upload at most (CONTRACT.md §6)
DETAILS_CHUNK = 50  # ids per details request, as the agent (edge_agent/commands.py)
REMOTE_SERVER_FAILED = 50073  # upstream §3: photo or details not fetched
RETRIED_STATUSES = (502, 503, 504)  # the agent re-sends on 503 (busy, Retry-After); a proxy's 502/504 alike


class Refused(Exception):
    """The platform did not give what was asked after the retries."""


class Latency(NamedTuple):
    """A request's seconds from sent to answered, of which waiting for one of the fleet's sockets;
    then the platform's Server-Timing (None without it): waiting for a web thread, in Django (of
    which the thread's CPU and its wait for grouped writes), waiting for the event loop to send."""

    kind: str
    seconds: float
    socket_wait: float
    thread_wait: float | None
    app: float | None
    cpu: float | None
    write: float | None
    loop: float | None


@dataclass
class Tally:
    """What the whole fleet did and saw; the lost and doubled counts come from here."""

    logins: int = 0
    login_retries: int = 0
    statuses: int = 0
    status_failures: int = 0
    passages_recorded: int = 0  # passages the boxes saw (each is sent until the platform takes it)
    passages_stored: int = 0
    passages_duplicate: int = 0
    passage_batch_failures: int = 0
    passages_held: int = 0  # not yet taken by the platform when the boxes stopped (they would re-send)
    deliveries: int = 0
    answered: int = 0
    answer_retries: int = 0  # results published again because the upload connection was lost
    ack_failures: int = 0
    answered_again: int = 0  # a command taken again after it was answered: answered from the box's store
    details_requests: int = 0
    details_refused: int = 0
    photos: int = 0
    photo_bytes: int = 0
    photo_failures: int = 0
    broker_reconnections: int = 0
    request_retries: int = 0  # HTTP calls sent again after a dropped connection or a 502/503/504
    latencies: list[Latency] = field(default_factory=list)
    loop_lags: list[float] = field(default_factory=list)  # seconds the fleet's event loop woke late
    full_collections: list[float] = field(default_factory=list)  # seconds of the fleet's own gen-2 GCs
    measuring: bool = True
    # (dev_sno, messageId) -> times delivered; (dev_sno, identity_id) -> times enrolled
    delivered: Counter = field(default_factory=Counter)
    enrolled: Counter = field(default_factory=Counter)

    def summary(self) -> dict:
        plain = {k: v for k, v in vars(self).items() if isinstance(v, int) and not isinstance(v, bool)}
        plain["commands_delivered_unique"] = len(self.delivered)
        plain["commands_delivered_again"] = sum(n - 1 for n in self.delivered.values())
        plain["people_enrolled_unique"] = len(self.enrolled)
        plain["people_enrolled_twice_or_more"] = sum(1 for n in self.enrolled.values() if n > 1)
        return plain


class Fleet:
    """The shared parts: the HTTP pool, the tallies, the stop signal."""

    def __init__(self, http_connections: int = 64, event_rate: float = 0.4, heartbeat: int = 60,
                 enrol_seconds: float = 0.0) -> None:
        self.tally = Tally()
        self.event_rate = event_rate
        self.enrol_seconds = enrol_seconds
        self.heartbeat = heartbeat
        self.stopping = asyncio.Event()
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=http_connections, keepalive_timeout=60),
            timeout=aiohttp.ClientTimeout(total=180, sock_connect=30), trace_configs=[socket_wait_trace()])

    async def request(self, method: str, url: str, attempts: int = 4, timing: dict | None = None,
                      **kwargs) -> tuple[int, bytes]:
        """One call as the agent makes it (edge_agent/platform.py): re-sent when the connection
        was dropped or the platform answered 503, honouring Retry-After; every call is idempotent.
        `timing["socket_wait"]` adds up the seconds spent waiting for one of the pool's sockets."""
        for attempt in range(attempts):
            try:
                async with self.http.request(method, url, trace_request_ctx=timing, **kwargs) as response:
                    body = await response.read()
                    if timing is not None:
                        timing["server"] = response.headers.get("Server-Timing", "")
                    if response.status not in RETRIED_STATUSES or attempt == attempts - 1:
                        return response.status, body
                    delay = float(response.headers.get("Retry-After") or 0.5 * 2 ** attempt)
            except (TimeoutError, aiohttp.ClientConnectionError):
                if attempt == attempts - 1:
                    raise
                delay = 0.5 * 2 ** attempt
            self.tally.request_retries += 1
            await asyncio.sleep(min(delay, 10))
        raise AssertionError("unreachable")

    def record(self, kind: str, started: float, measured: bool, timing: dict) -> None:
        """A request's latency, when it was *sent* inside the measured window."""
        if measured:
            platform = server_timing(timing.get("server", ""))
            self.tally.latencies.append(Latency(
                kind, time.perf_counter() - started, timing.get("socket_wait", 0.0), platform.get("wait"),
                platform.get("app"), platform.get("cpu"), platform.get("write"), platform.get("loop")))

    async def watch_loop_lag(self, every: float = 0.01) -> None:
        """How late the fleet's own event loop wakes while measuring, and how long its full
        garbage collections take: every latency it measures includes those delays, which a real
        box (its own process) would not have."""
        gc.callbacks.append(self._time_full_collections)
        try:
            while not self.stopping.is_set():
                due = time.perf_counter() + every
                await asyncio.sleep(every)
                if self.tally.measuring:
                    self.tally.loop_lags.append(time.perf_counter() - due)
        finally:
            gc.callbacks.remove(self._time_full_collections)

    def _time_full_collections(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._collection_started = time.perf_counter()
        elif self.tally.measuring:
            self.tally.full_collections.append(time.perf_counter() - self._collection_started)

    async def close(self) -> None:
        await self.http.close()


def server_timing(header: str) -> dict[str, float]:
    """`Server-Timing: wait;dur=1.2, app;dur=3.4` as seconds by name (cloudplatform/wsgi_threads.py)."""
    figures = {}
    for metric in filter(None, (part.strip() for part in header.split(","))):
        name, _, duration = metric.partition(";dur=")
        try:
            figures[name.strip()] = float(duration) / 1000
        except ValueError:
            continue
    return figures


def socket_wait_trace() -> aiohttp.TraceConfig:
    """Adds to a request's `trace_request_ctx` the time it queued for a socket of the shared pool:
    a real box has its own connection, so this part of the latency is the simulation's."""
    trace = aiohttp.TraceConfig()

    async def queued(_session, context, _params) -> None:
        if context.trace_request_ctx is not None:
            context.trace_request_ctx["queued_at"] = time.perf_counter()

    async def dequeued(_session, context, _params) -> None:
        timing = context.trace_request_ctx
        if timing is not None and "queued_at" in timing:
            timing["socket_wait"] = timing.get("socket_wait", 0.0) + time.perf_counter() - timing.pop("queued_at")

    trace.on_connection_queued_start.append(queued)
    trace.on_connection_queued_end.append(dequeued)
    return trace


class SimulatedBox:
    """One box at protocol level."""

    def __init__(self, fleet: Fleet, login_url: str, dev_sno: str, index: int) -> None:
        self.fleet = fleet
        self.login_url = login_url
        self.dev_sno = dev_sno
        self.mac = f"0x0000f1ee{index:04x}"
        self.reply: dict = {}
        self.sequence = 0
        self.unsent: list[dict] = []  # passages the platform has not taken yet (the agent's event store)
        # As the agent's store: a command answered before is answered again from here, and a
        # command taken again half done skips the people already enrolled (edge_agent/commands.py).
        self.handled: dict[str, dict] = {}
        self.progress: dict[str, dict[str, dict]] = {}
        self.connections: list[aio_pika.abc.AbstractRobustConnection] = []
        self.upload_connection: aio_pika.abc.AbstractRobustConnection | None = None
        self.upload_channel: aio_pika.abc.AbstractChannel | None = None
        self.tasks: list[asyncio.Task] = []

    # --- login (upstream 01 §4) ---
    async def log_in(self, deadline: float) -> None:
        """Until let in: a refused or failed login waits and tries again (the flow chart's NG → retry)."""
        delay = 1.0
        while True:
            try:
                status, body = await self.fleet.request(
                    "GET", self.login_url, params={"dev_sno": self.dev_sno, "hex_mac": self.mac})
                if status == 200:
                    self.reply = json.loads(body)
                    self.fleet.tally.logins += 1
                    return
            except (TimeoutError, aiohttp.ClientError):
                pass
            if time.monotonic() + delay > deadline:
                raise Refused(f"{self.dev_sno}: not logged in before the deadline")
            self.fleet.tally.login_retries += 1
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 30)

    def url(self, address: str) -> str:
        """A platform address with this box's dev_sno and current token (CONTRACT.md §6a)."""
        return with_auth(resolve(address, self.login_url), self.dev_sno, self.reply["token"])

    # --- broker (upstream 01 §4-§5) ---
    async def _connect(self, vhost: str) -> aio_pika.abc.AbstractRobustConnection:
        mq = self.reply["rabbitmq"]
        connection = await aio_pika.connect_robust(
            host=mq["host"], port=int(mq["port"]), login=mq["login"], password=mq["password"],
            virtualhost=vhost, heartbeat=self.fleet.heartbeat, reconnect_interval=1,
            client_properties={"connection_name": f"fleet {self.dev_sno}"})
        connection.reconnect_callbacks.add(self._reconnected)
        self.connections.append(connection)
        return connection

    def _reconnected(self, *_args) -> None:
        self.fleet.tally.broker_reconnections += 1

    async def listen(self) -> None:
        """Connect to vHost and uploadVHost, bind unless unNeedBindExchange, consume one at a time."""
        mq = self.reply["rabbitmq"]
        self.upload_connection = await self._connect(mq["uploadVHost"])
        self.upload_channel = await self.upload_connection.channel(publisher_confirms=True)
        commands = await self._connect(mq["vHost"])
        channel = await commands.channel()
        await channel.set_qos(prefetch_count=1)
        # Declared (passively: the box may not create them) rather than merely named, so the
        # robust channel declares, binds and consumes again after a reconnection.
        queue = await channel.declare_queue(mq["queue"], passive=True)
        if not mq.get("unNeedBindExchange", False):
            spec = mq["exchange"]
            exchange = await channel.declare_exchange(
                spec["name"], spec["type"], durable=bool(spec["durable"]), auto_delete=bool(spec["auto_delete"]),
                passive=bool(spec.get("passive", False)), arguments=spec.get("arguments") or None)
            await queue.bind(exchange, routing_key=mq["queue"])
        await queue.consume(self._on_command)

    async def _on_command(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        tally = self.fleet.tally
        try:
            command = json.loads(message.body)
        except ValueError:
            command = {}
        message_id = str(command.get("messageId") or f"no-id-{message.delivery_tag}")
        tally.delivered[(self.dev_sno, message_id)] += 1
        tally.deliveries += 1
        try:
            result = self.handled.get(message_id) or await self._carry_out(command, message_id)
        except Refused:
            # Overloaded past the retries: take the command again a little later rather than
            # answer 50073 for people the platform could have served (the bench counts delivery).
            tally.details_refused += 1
            await asyncio.sleep(2)
            try:
                await message.nack(requeue=True)
            except Exception:  # the connection went away: the broker gives the command again anyway
                pass
            return
        tally.answered_again += message_id in self.handled
        self.handled[message_id] = result
        if not await self._answer(command, result):
            try:  # given back: taken again, and answered from the store, once the upload side is back
                await message.nack(requeue=True)
            except Exception:  # the command connection went away too: the broker gives it again anyway
                pass
            return
        try:
            await asyncio.wait_for(message.ack(), 10)
        except Exception:  # the command connection went away: it comes back and is answered again
            tally.ack_failures += 1
        tally.answered += 1

    async def _answer(self, command: dict, result: dict) -> bool:
        """Upstream §5.4 on the upload queue, persistent, confirmed by the broker; when the upload
        connection is lost, again once the robust connection is back (a minute at most)."""
        for _ in range(12):
            try:
                await asyncio.wait_for(self._publish_result(command, result), 10)
                return True
            except Exception:  # aio-pika's connection and channel errors, or no confirmation in 10 s
                self.fleet.tally.answer_retries += 1
                await asyncio.sleep(1)
                await self._reopen_upload_channel()
        return False

    async def _reopen_upload_channel(self) -> None:
        """As the agent does when its result connection is closed: a new connection and channel.
        (aio-pika's robust connection comes back after its node died, but a channel that was
        publishing then can stay unusable: seen in bench/cluster_drill.py.)"""
        old, self.upload_connection = self.upload_connection, None
        if old is not None:
            self.connections.remove(old)
            try:
                await asyncio.wait_for(old.close(), 5)
            except Exception:  # already gone with its node
                pass
        try:
            self.upload_connection = await asyncio.wait_for(self._connect(self.reply["rabbitmq"]["uploadVHost"]), 15)
            self.upload_channel = await asyncio.wait_for(
                self.upload_connection.channel(publisher_confirms=True), 10)
        except Exception:  # not reachable yet: the next attempt tries again
            pass

    async def _publish_result(self, command: dict, result: dict) -> None:
        mq = self.reply["rabbitmq"]
        body = {k: v for k, v in result.items() if k not in ("success", "code", "message")}
        envelope = {"success": result.get("success", True), "code": result.get("code", 0),
                    "message": result.get("message", "ok"), "dev_sno": self.dev_sno,
                    "messageKey": command.get("method", "unknown"), "result": body}
        if command.get("messageId"):
            envelope["messageId"] = command["messageId"]
        await self.upload_channel.default_exchange.publish(
            aio_pika.Message(json.dumps(envelope).encode(), content_type="application/json",
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=mq["uploadQueue"], mandatory=True)

    async def _carry_out(self, command: dict, message_id: str) -> dict:
        method = command.get("method")
        if method == "add_users_plus":
            return await self._add_users(command, self.progress.setdefault(message_id, {}))
        if method == "delete_users":
            return {"success_users": [{"userid": str(i), "code": 0, "message": "deleted"}
                                      for i in command.get("userid_list") or []], "failed_users": []}
        if method == "wipe_data":
            return {"wipe_options": command.get("wipe_options") or {}}
        return {"success": False, "code": 40071, "message": f"not simulated: {method}"}

    # --- add_users_plus: details (§6.1), then photos ---
    async def _add_users(self, command: dict, done: dict[str, dict]) -> dict:
        """Details for the ids not done yet, then each person's photo (and the enrolment's time,
        `--enrol-seconds`, when the bench gives one); `done` keeps each person's outcome."""
        entries = list(command.get("user_info_list") or [])
        ids = [str(i) for i in command.get("userid_list") or [] if str(i) not in done]
        for start in range(0, len(ids), DETAILS_CHUNK):
            entries += await self._details(command["extend_params"]["path"], ids[start:start + DETAILS_CHUNK])
        for entry in entries:
            outcome = {"userid": str(entry["identity_id"]), "username": (entry.get("info") or {}).get("name", "")}
            if outcome["userid"] in done:
                continue
            if await self._photo(entry):
                await asyncio.sleep(self.fleet.enrol_seconds)
                done[outcome["userid"]] = {**outcome, "code": 0, "message": "enrolled"}
                self.fleet.tally.enrolled[(self.dev_sno, outcome["userid"])] += 1
            else:
                done[outcome["userid"]] = {**outcome, "code": REMOTE_SERVER_FAILED, "message": "photo not fetched"}
        succeeded = [o for o in done.values() if o["code"] == 0]
        failed = [o for o in done.values() if o["code"] != 0]
        return {"message": f"{len(succeeded)} enrolled, {len(failed)} failed",
                "success_users": succeeded, "failed_users": failed}

    async def _details(self, path: str, ids: list[str]) -> list[dict]:
        self.fleet.tally.details_requests += 1
        try:
            status, body = await self.fleet.request("POST", self.url(path), json={"userid_list": ids})
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise Refused(str(exc)) from exc
        if status != 200:
            raise Refused(f"details answered {status}")
        return json.loads(body)["data"]["user_list"]

    async def _photo(self, entry: dict) -> bool:
        """The person's photo as the agent gets it: inline base64, reg_url, or relative_pic_url
        on imgServerAddr (CONTRACT.md §6a). Downloaded and dropped: no face engine here."""
        tally = self.fleet.tally
        if entry.get("reg_photo"):
            tally.photos += 1
            tally.photo_bytes += len(base64.b64decode(entry["reg_photo"]))
            return True
        relative = entry.get("reg_url") or entry.get("relative_pic_url") or ""
        base = self.reply.get("imgServerAddr")
        url = join_base(relative, base) if base and not entry.get("reg_url") else resolve(relative, self.login_url)
        try:
            status, body = await self.fleet.request(
                "GET", with_auth(url, self.dev_sno, self.reply["token"]))
        except (TimeoutError, aiohttp.ClientError):
            status, body = 0, b""
        if status != 200:
            tally.photo_failures += 1
            return False
        tally.photos += 1
        tally.photo_bytes += len(body)
        return True

    # --- reports (upstream 01 §7, part 2 §4.4.9, §4.5.3) ---
    def report(self) -> None:
        period = float(self.reply.get("recordUploadPeriod") or 5)
        status_period = float(self.reply.get("deviceMonitorPeriod") or 20)
        self.tasks = [asyncio.create_task(self._every(period, self.send_history)),
                      asyncio.create_task(self._every(status_period, self.send_status))]

    async def _every(self, period: float, send) -> None:
        """`send` every `period` seconds, the first at a random point of the first period (boxes
        are not synchronised), on a fixed schedule so a slow answer does not stretch the period."""
        due = time.monotonic() + random.uniform(0, period)
        while not self.fleet.stopping.is_set():
            try:
                await asyncio.wait_for(self.fleet.stopping.wait(), max(0.0, due - time.monotonic()))
                return
            except TimeoutError:
                pass
            await send()
            due = max(due + period, time.monotonic())

    async def send_status(self) -> None:
        body = status_report(self.dev_sno, self.mac)
        started, measured, timing = time.perf_counter(), self.fleet.tally.measuring, {}
        try:
            status, _ = await self.fleet.request("POST", self.url(self.reply["deviceMonitorAddr"]), json=body,
                                                 timing=timing)
        except (TimeoutError, aiohttp.ClientError):
            status = 0
        self.fleet.record("status", started, measured, timing)
        if 200 <= status < 300:
            self.fleet.tally.statuses += 1
        else:
            self.fleet.tally.status_failures += 1

    async def send_history(self) -> None:
        """This period's passages, and any the platform has not taken yet, in batches of at most
        100 to every recordAddr (comma-separated). As the agent: a batch leaves the box's store
        only when answered 2xx, otherwise it goes again next period."""
        period = float(self.reply.get("recordUploadPeriod") or 5)
        new = [self.passage() for _ in range(_poisson(self.fleet.event_rate * period))]
        self.fleet.tally.passages_recorded += len(new)
        self.unsent += new
        while self.unsent:
            batch = self.unsent[:HISTORY_BATCH]
            addresses = self.reply["recordAddr"].split(",")
            if not all([await self._post_batch(address.strip(), batch) for address in addresses]):
                return
            del self.unsent[:len(batch)]  # passages recorded meanwhile (live, in bench/web_drill.py) stay

    async def _post_batch(self, address: str, batch: list[dict]) -> bool:
        tally = self.fleet.tally
        started, measured, timing = time.perf_counter(), tally.measuring, {}
        try:
            status, body = await self.fleet.request("POST", self.url(address), json=batch, timing=timing)
        except (TimeoutError, aiohttp.ClientError):
            status, body = 0, b""
        self.fleet.record("history", started, measured, timing)
        if not 200 <= status < 300:
            tally.passage_batch_failures += 1
            return False
        answer = (json.loads(body) or {}).get("data") or {}
        tally.passages_stored += int(answer.get("stored", 0))
        tally.passages_duplicate += int(answer.get("duplicates", 0))
        return True

    def passage(self) -> dict:
        self.sequence += 1
        return history_event(self.dev_sno, f"F{self.sequence % 100:05d}", int(time.time() * 1000) + self.sequence)

    async def close(self) -> None:
        """After `fleet.stopping`: a report in flight is let finish (up to a minute), so the
        passages counted as held are those the platform has not answered for."""
        if self.tasks:
            _done, pending = await asyncio.wait(self.tasks, timeout=60)
            for task in pending:
                task.cancel()
        self.fleet.tally.passages_held += len(self.unsent)
        for connection in self.connections:
            try:
                await connection.close()
            except Exception:  # closing at the end of a run: a broker already gone is fine
                pass


def _poisson(mean: float) -> int:
    """Passages in one period: Poisson around the rate, so batches vary as real traffic does."""
    count, limit, product = 0, pow(2.718281828459045, -mean), random.random()
    while product > limit:
        count += 1
        product *= random.random()
    return count


def status_report(dev_sno: str, mac: str) -> dict:
    """Part 2 §4.5.3."""
    return {"gateway_ip": "10.9.0.1", "gateway_name": dev_sno, "gateway_status": "online", "gateway_sn": mac[2:],
            "dev_sno": dev_sno,
            "gateway_ext_data": {"sw_version": "fleet-sim", "sdk_version": "0", "gateway_mac": mac,
                                 "cpu_usage": round(random.uniform(5, 60), 1), "memory_size": 4,
                                 "memory_usage": 0.3, "disk_size": 64, "disk_free_size": 40},
            "sub_devices": [{"ep_id": f"{dev_sno}__10.9.0.2", "ep_name": "gate", "ep_ip": "10.9.0.2",
                             "ep_status": "online", "ep_location": "", "ep_type": 0, "ep_url": ""}]}


def history_event(dev_sno: str, identity_id: str, timestamp_ms: int) -> dict:
    """Part 2 §4.4.9, without pictures."""
    return {"identity_id": identity_id, "identity_name": "Fleet person", "group_name": "default_group",
            "timestamp": timestamp_ms, "score": 0.8, "reg_pic": "",
            "ext_data": {"device_ip": "10.9.0.2", "ep_id": f"{dev_sno}__10.9.0.2", "person_type": 1,
                         "device_type": "0", "grab_fiqa_info": {}, "box_fiqa_info": {}, "dev_sno": dev_sno}}


async def start_boxes(fleet: Fleet, login_url: str, codes: list[str], login_timeout: float = 600) -> tuple[
        list[SimulatedBox], float]:
    """Every box logs in at once, then connects and starts reporting; returns them and the
    seconds until the last one was logged in."""
    boxes = [SimulatedBox(fleet, login_url, code, i) for i, code in enumerate(codes)]
    started = time.monotonic()
    await asyncio.gather(*(box.log_in(started + login_timeout) for box in boxes))
    login_seconds = time.monotonic() - started
    connecting = asyncio.Semaphore(50)  # AMQP handshakes in flight: the broker's accept queue is finite

    async def connect(box: SimulatedBox) -> None:
        async with connecting:
            await box.listen()
        box.report()

    await asyncio.gather(*(connect(box) for box in boxes))
    return boxes, login_seconds


async def stop_boxes(fleet: Fleet, boxes: list[SimulatedBox]) -> None:
    fleet.stopping.set()
    await asyncio.gather(*(box.close() for box in boxes))
    await fleet.close()


def raise_file_limit() -> None:
    """Two broker connections a box: a thousand boxes need more descriptors than the usual 1 024."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _run_for(args) -> dict:
    fleet = Fleet(args.http_connections, args.event_rate)
    boxes, login_seconds = await start_boxes(fleet, args.login_url, args.codes.split(","))
    await asyncio.sleep(args.seconds)
    await stop_boxes(fleet, boxes)
    return {"boxes": len(boxes), "login_seconds": round(login_seconds, 2), **fleet.tally.summary(),
            "enrolled": sorted(f"{dev_sno}/{identity}" for dev_sno, identity in fleet.tally.enrolled)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--login-url", required=True)
    parser.add_argument("--codes", required=True, help="comma-separated dev_sno codes of boxes already created")
    parser.add_argument("--seconds", type=float, default=30, help="how long the fleet runs after logging in")
    parser.add_argument("--event-rate", type=float, default=0.4, help="passages per second per box")
    parser.add_argument("--http-connections", type=int, default=64)
    args = parser.parse_args()
    raise_file_limit()
    print(json.dumps(asyncio.run(_run_for(args))), flush=True)


if __name__ == "__main__":
    main()
