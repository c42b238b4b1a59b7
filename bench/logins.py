"""Logins per second: N boxes logging in together against the platform's web processes and the real broker.

Three rounds over the same N boxes (created first, broker identities included):
- "make everything" — each login makes the box's whole broker identity again (user, exchange,
  two queues, binding, two permissions: seven management calls), as every login did before
  issue 17; forced by clearing the boxes' provisioning record;
- "check" — the record matches: a login checks the identity by seven small reads of the box's own
  parts (its user, permissions, exchange, queues, binding) and makes nothing;
- "site back after a broker reset" — every box's broker user deleted first (their permissions
  go with them): each login finds its parts missing and makes those alone.
After the last round every box's broker account is checked to exist with its password.

    .venv/bin/python bench/logins.py --boxes 300 [--concurrency 64] [--web-workers 2] [--port 8790]

Temporary SQLite database (or DATABASE_URL), vhosts of its own (BENCH_VHOST, default
aibox-bench-logins); uvicorn only (no worker: a login needs none). Refuses a taken port.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import common

MAC = "0x0000000a{:04x}"


async def log_in_together(base: str, boxes: list, concurrency: int) -> tuple[float, int, list[float]]:
    """Every box's login at once (at most `concurrency` in flight): wall time, failures, latencies."""
    import aiohttp

    latencies, failures = [], 0

    async def one(session, index: int, box) -> None:
        nonlocal failures
        started = time.perf_counter()
        async with session.get(f"{base}/box/login", params={"dev_sno": box.dev_sno, "hex_mac": MAC.format(index)}) as r:
            await r.read()
            failures += r.status != 200
        latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(one(session, i, box) for i, box in enumerate(boxes)))
        return time.perf_counter() - started, failures, latencies


def delete_broker_users(admin, boxes: list) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda b: admin._call("DELETE", f"users/{quote(b.broker_username, safe='')}"), boxes))


def accounts_in_place(admin, boxes: list) -> int:
    snapshot = admin.snapshot()
    return sum(not snapshot.missing(admin.box_identity(box)) for box in boxes)


def run(args) -> None:
    from fleet import create_boxes

    from devices.broker import broker_admin
    from devices.models import Box

    admin = broker_admin()
    admin.ensure_platform_topology()
    boxes = create_boxes(args.boxes)
    processes = common.start_platform(web_only=True, workers=args.web_workers)
    base = f"http://127.0.0.1:{args.port}"
    rows = []
    try:
        import requests

        common.wait_until_up(requests.Session(), base)
        for name, prepare in (
            ("make everything (before issue 17)", lambda: Box.objects.update(broker_provisioned="")),
            ("check (record in place)", lambda: None),
            ("site back after a broker reset (users deleted)", lambda: delete_broker_users(admin, boxes)),
        ):
            prepare()
            load = os.getloadavg()[0]
            wall, failures, latencies = asyncio.run(log_in_together(base, boxes, args.concurrency))
            rows.append((name, wall, failures, latencies, load))
            print(f"{name}: {len(boxes) / wall:.1f} logins/s", flush=True)
        in_place = accounts_in_place(admin, boxes)
    finally:
        common.stop(processes)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(admin.delete_box_resources, boxes))
    print_figures(args, rows, in_place)


def print_figures(args, rows: list, in_place: int) -> None:
    print(f"\n{args.boxes} boxes logging in together, {args.concurrency} in flight, "
          f"{args.web_workers} web workers, {os.environ.get('DATABASE_URL', 'SQLite').split('@')[-1]}\n")
    print("| round | load average | all logged in | logins/s | login p50 / p99 | refused |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, wall, failures, latencies, load in rows:
        p50, p99 = (common.percentile(latencies, s) * 1000 for s in (0.5, 0.99))
        print(f"| {name} | {load:.1f} | {wall:.1f} s | {len(latencies) / wall:.1f} | {p50:.0f} / {p99:.0f} ms "
              f"| {failures} |")
    print(f"\nbroker identities whole after the last round: {in_place} of {args.boxes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=64, help="logins in flight at once")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args()
    common.PORT = args.port
    common.run_on_own_vhosts(run, args, "logins", BOX_LOGIN_RATE_PER_CODE="100000/min")


if __name__ == "__main__":
    main()
