"""Event intake benchmark: how fast the platform stores what boxes report.

Starts the platform's web process (uvicorn) on a fresh database, logs in `--boxes`
boxes, and measures over real HTTP:
- history intake (the login's recordAddr), batches of 100, one sender per box in
  parallel: events per second without pictures, then with spot and registration
  pictures as a box sends them (face crops of the shared photos, base64);
- realtime intake (realtimeAddr): one event per request, p50 / p99 latency;
- the ceiling: the same rows inserted by a bare `bulk_create` into the same database,
  and the ratio of intake to it;
- a stock box's heaviest batch: 100 events, each with a 1080p frame of ~2.3 MB as
  spot_pic and a registration photo (~330 MiB of JSON in one request), streamed by the
  client; the web process's peak resident memory (VmHWM, reset just before) shows that
  the platform holds about one event at a time, not the batch.

    .venv/bin/python bench/events.py [--events 20000] [--boxes 4] [--realtime 500] [--big-batches 1]

Uses its own vhosts and a temporary SQLite database (or DATABASE_URL).
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import (
    FACES,
    PORT,
    cpu_seconds,
    current_rss_mib,
    peak_rss_mib,
    percentile,
    process_tree,
    run_on_fresh_platform,
    start_platform,
    stop,
    wait_until_up,
)

BATCH = 100


def face_pictures() -> list[str]:
    """Base64 JPEG face crops of about the size a box sends (320 px)."""
    from PIL import Image

    pictures = []
    for path in sorted(FACES.glob("probe/*/*.jpg")):
        image = Image.open(path).convert("RGB")
        image.thumbnail((320, 320))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        pictures.append(base64.b64encode(buffer.getvalue()).decode())
    return pictures


def make_event(box_index: int, i: int, dev_sno: str, pictures: list[str] | None) -> dict:
    event = {"identity_id": f"P{i % 5000:05d}", "identity_name": f"Person {i % 5000}", "group_name": "default_group",
             "timestamp": 1_790_000_000_000 + box_index * 10_000_000 + i, "score": 0.5 + (i % 400) / 1000,
             "reg_pic": "", "ext_data": {"device_ip": "10.0.0.2", "ep_id": f"{dev_sno}__10.0.0.2", "person_type": 1,
                                         "device_type": "0", "grab_fiqa_info": {}, "box_fiqa_info": {},
                                         "dev_sno": dev_sno, "spot_pic": ""}}
    if pictures:
        event["ext_data"]["spot_pic"] = pictures[i % len(pictures)]
        event["reg_pic"] = pictures[(i + 1) % len(pictures)]
    return event


def history_round(logins: list[dict], per_box: int, offset: int, pictures) -> float:
    import requests

    def send(box_index: int) -> None:
        login = logins[box_index]
        session = requests.Session()
        url = login["recordAddr"]
        for start in range(offset, offset + per_box, BATCH):
            batch = [make_event(box_index, i, login["dev_sno"], pictures) for i in range(start, start + BATCH)]
            response = session.post(url, json=batch, timeout=60)
            response.raise_for_status()
            assert response.json()["data"]["stored"] == BATCH, response.text

    started = time.perf_counter()
    with ThreadPoolExecutor(len(logins)) as pool:
        list(pool.map(send, range(len(logins))))
    return per_box * len(logins) / (time.perf_counter() - started)


def big_frame() -> bytes:
    """A 1080p camera frame at full JPEG quality (a shared photo with sensor-like noise): ~2.3 MB."""
    import numpy as np
    from PIL import Image

    image = np.asarray(Image.open(FACES / "quality/high_res_1080p.jpg").convert("RGB")).astype(np.int16)
    noisy = np.clip(image + np.random.default_rng(0).normal(0, 2, image.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noisy).save(buffer, "JPEG", quality=100, subsampling=0)
    return buffer.getvalue()


def reset_peak_memory(pids: list[int]) -> None:
    """Start VmHWM afresh (Linux: writing 5 to clear_refs resets the peak resident size)."""
    for pid in process_tree(pids):
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            pass


def big_batches(login: dict, count: int, pids: list[int]) -> None:
    """`count` requests of 100 events with multi-MB pictures; the web process's peak memory for them."""
    import requests

    frame = big_frame()
    registered = [base64.b64encode((FACES / f"enroll/{name}/1.jpg").read_bytes()).decode()
                  for name in ("obama", "biden", "alex_lacamoire", "kit_harington", "rose_leslie")]
    sent = {"bytes": 0}

    def body(round_: int):
        yield b"["
        for i in range(BATCH):
            event = make_event(50 + round_, 8_000_000 + i, login["dev_sno"], None)
            # A JPEG comment makes each frame a distinct file, as real frames are.
            comment = f"round {round_} event {i}".encode()
            picture = frame[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + frame[2:]
            event["ext_data"]["spot_pic"] = base64.b64encode(picture).decode()
            event["reg_pic"] = registered[i % len(registered)]
            chunk = (b"," if i else b"") + json.dumps(event).encode()
            sent["bytes"] += len(chunk)
            yield chunk
        yield b"]"

    baseline = current_rss_mib(pids)
    reset_peak_memory(pids)
    started = time.perf_counter()
    for round_ in range(count):
        response = requests.post(login["recordAddr"], data=body(round_), timeout=600,
                                 headers={"Content-Type": "application/json"})
        response.raise_for_status()
        assert response.json()["data"]["stored"] == BATCH, response.text[:500]
    elapsed = time.perf_counter() - started
    peak = peak_rss_mib(pids)
    mib = sent["bytes"] / 1024 / 1024
    print(f"big batches: {count} x {BATCH} events, spot_pic {len(frame) / 1e6:.1f} MB (1080p) + reg_pic, "
          f"{mib / count:.0f} MiB of JSON per request, {elapsed / count:.1f} s per request ({mib / elapsed:.0f} MiB/s)")
    print(f"web process memory: {baseline:.0f} MiB resident before, peak (VmHWM) {peak:.0f} MiB during the "
          f"big batches (+{peak - baseline:.0f} MiB)")


def realtime_latencies(login: dict, count: int) -> list[float]:
    import requests

    session = requests.Session()
    latencies = []
    for i in range(count):
        event = make_event(99, 5_000_000 + i, login["dev_sno"], None)
        started = time.perf_counter()
        session.post(login["realtimeAddr"], json=event, timeout=10).raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def ceiling(box, count: int, pictures: bool) -> float:
    """The same rows through a bare bulk_create (no HTTP, no validation, no pictures written)."""
    from datetime import UTC, datetime

    from events.models import Event

    rows = []
    for i in range(count):
        raw = make_event(7, 9_000_000 + i + (count if pictures else 0), box.dev_sno, None)
        rows.append(Event(box=box, dedup_key=f"ceiling-{pictures}-{i}", timestamp_ms=raw["timestamp"],
                          occurred_at=datetime.fromtimestamp(raw["timestamp"] / 1000, tz=UTC),
                          identity_id=raw["identity_id"], identity_name=raw["identity_name"],
                          group_name=raw["group_name"], score=raw["score"], person_type=1, device_type=0,
                          device_ip="10.0.0.2", ep_id=raw["ext_data"]["ep_id"],
                          spot_pic="events/x.jpg" if pictures else "", reg_pic="events/y.jpg" if pictures else ""))
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        Event.objects.bulk_create(rows[start:start + BATCH])
    return count / (time.perf_counter() - started)


def run(args) -> None:
    import requests
    from django.conf import settings

    from devices.broker import broker_admin
    from devices.services import create_box

    broker_admin().ensure_platform_topology()
    boxes = [create_box(name=f"bench box {i}") for i in range(args.boxes)]
    pictures = face_pictures()
    processes = start_platform(web_only=True, workers=args.workers)
    try:
        session = requests.Session()
        base = f"http://127.0.0.1:{PORT}"
        wait_until_up(session, base)
        logins = []
        for i, box in enumerate(boxes):
            reply = session.get(f"{base}/box/login", params={"dev_sno": box.dev_sno, "hex_mac": f"0x0000000be{i:03x}"})
            login = reply.json()
            # Relative addresses join the login's scheme and host (upstream §9).
            logins.append({**login, "dev_sno": box.dev_sno, "recordAddr": base + login["recordAddr"],
                           "realtimeAddr": base + login["realtimeAddr"]})
        per_box = args.events // args.boxes // BATCH * BATCH
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        print(f"database: {database}; {args.boxes} boxes sending in parallel, batches of {BATCH}, "
              f"{args.workers} web worker(s)")
        web = [p.pid for p in processes]
        if args.big_batches:
            # First, on a fresh process: its peak then says what one heavy batch costs.
            big_batches(logins[0], args.big_batches, web)
        cpu_before = cpu_seconds([p.pid for p in processes])
        started = time.perf_counter()
        plain = history_round(logins, per_box, 0, None)
        web_cpu = (cpu_seconds([p.pid for p in processes]) - cpu_before) / (time.perf_counter() - started)
        with_pictures = history_round(logins, per_box // 4, per_box, pictures)
        latencies = realtime_latencies(logins[0], args.realtime)
        bare_plain = ceiling(boxes[0], per_box * args.boxes, False)
        bare_pictures = ceiling(boxes[0], per_box * args.boxes // 4, True)
        print(f"history intake, no pictures:   {plain:8.0f} events/s   (web process CPU {web_cpu * 100:.0f}%)")
        print(f"history intake, with pictures: {with_pictures:8.0f} events/s   "
              f"(two pictures of ~{len(pictures[0]) * 3 // 4 // 1024} KiB each)")
        print(f"realtime intake latency: p50 {percentile(latencies, 0.5):.1f} ms, "
              f"p99 {percentile(latencies, 0.99):.1f} ms over {len(latencies)} single events")
        print(f"bare bulk insert ceiling:      {bare_plain:8.0f} events/s (no pictures), "
              f"{bare_pictures:.0f} events/s (picture names only)")
        print(f"ratio intake / ceiling: {plain / bare_plain:.2f} without pictures, "
              f"{with_pictures / bare_pictures:.2f} with pictures")
    finally:
        stop(processes)
        for box in boxes:
            broker_admin().delete_box_resources(box)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="history events without pictures (a quarter "
                                                                     "of this with pictures)")
    parser.add_argument("--boxes", type=int, default=4)
    parser.add_argument("--realtime", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--big-batches", type=int, default=1, help="requests of 100 events with multi-MB "
                                                                     "pictures (0 skips them)")
    args = parser.parse_args()
    run_on_fresh_platform(run, args)


if __name__ == "__main__":
    main()
