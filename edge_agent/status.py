"""The box's status report (part 2 §4.5.3), with figures read from the system itself."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from . import __version__

logger = logging.getLogger("edge_agent")


def _cpu_times() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields), idle


class CpuMeter:
    """CPU use between two readings, in percent (the first reading covers the boot until now)."""

    def __init__(self) -> None:
        self._last = (0, 0)

    def usage(self) -> float:
        total, idle = _cpu_times()
        last_total, last_idle = self._last
        self._last = (total, idle)
        busy = (total - last_total) - (idle - last_idle)
        return round(100.0 * busy / max(total - last_total, 1), 1)


def memory() -> tuple[float, float]:
    """(size in GB, fraction in use)."""
    info = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":", 1)
        info[key] = int(value.split()[0])  # kB
    total = info["MemTotal"]
    available = info.get("MemAvailable", info.get("MemFree", 0))
    return round(total / 1024 / 1024, 2), round(1 - available / total, 3)


def disk(path: Path) -> tuple[float, float]:
    """(size, free) in GB of the file system holding the data dir."""
    stats = os.statvfs(path)
    return (round(stats.f_blocks * stats.f_frsize / 1e9, 2), round(stats.f_bavail * stats.f_frsize / 1e9, 2))


def local_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def status_report(dev_sno: str, mac: str, data_dir: Path, cpu: CpuMeter, sdk_version: str,
                  sub_devices: list[dict]) -> dict:
    memory_size, memory_usage = memory()
    disk_size, disk_free = disk(data_dir)
    raw_mac = mac[2:] if mac.startswith("0x") else mac
    return {
        "gateway_ip": local_ip(),
        "gateway_name": socket.gethostname(),
        "gateway_status": "online",
        "gateway_sn": raw_mac,
        "dev_sno": dev_sno,
        "gateway_ext_data": {
            "sw_version": f"aibox-edge-agent {__version__}",
            "sdk_version": sdk_version,
            "gateway_mac": ":".join(raw_mac[i : i + 2] for i in range(0, 12, 2)),
            "cpu_usage": cpu.usage(),
            "memory_size": memory_size,
            "memory_usage": memory_usage,
            "disk_size": disk_size,
            "disk_free_size": disk_free,
            "reported_at": int(time.time()),
        },
        "sub_devices": sub_devices,
    }


class StatusReporter:
    """Status reports, each target on its own period: deviceMonitorAddr every
    deviceMonitorPeriod (login; default 20 s), the local MonitorServerUrl every
    reported_peroid (part 2 §4.5.1), logged in or not. Best effort: a missed report
    is not resent."""

    def __init__(self, targets: Callable[[], list[tuple[str, str, int]]], report: Callable[[], dict],
                 post_json: Callable[[str, dict], None], stopping: threading.Event) -> None:
        """`targets()`: (name, url, period) now configured; `report()`: the report as of now."""
        self.targets = targets
        self.report = report
        self.post_json = post_json
        self.stopping = stopping
        self.last_sent_at: float | None = None

    def run(self) -> None:
        next_at: dict[str, float] = {}
        while not self.stopping.wait(0.5):
            now = time.monotonic()
            due = [(key, url, period) for key, url, period in self.targets() if now >= next_at.get(key, 0.0)]
            if not due:
                continue
            report = self.report()
            for key, url, period in due:
                next_at[key] = now + max(period, 1)
                try:
                    self.post_json(url, report)
                    self.last_sent_at = time.time()
                except requests.RequestException as exc:
                    logger.warning("status report to %s failed: %s", url, exc)
