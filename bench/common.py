"""What the benchmarks share: a throw-away platform (own vhosts, temporary database) and its processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FACES = REPO.parent / "shared" / "datasets" / "faces"
PORT = 8765


def configure_environment(var_dir: str, vhost: str = "aibox-bench", **more: str) -> None:
    """The platform's settings for a bench: its own VAR_DIR and box vhosts, plus `more`."""
    os.environ.update({
        "VAR_DIR": var_dir,
        "BOX_VHOST": vhost,
        "BOX_UPLOAD_VHOST": f"{vhost}-upload",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{PORT}",
        "BOX_LOGIN_RATE_PER_ADDRESS": "100000/min",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "cloudplatform.settings",
        **more,
    })
    sys.path.insert(0, str(REPO))


def process_tree(pids: list[int]) -> list[int]:
    """These processes and all their descendants (those still running)."""
    seen, stack = [], list(pids)
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.append(pid)
        try:
            stack.extend(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        except OSError:
            pass
    return seen


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mib(pids: list[int]) -> float:
    """Sum of the peak resident memory (VmHWM) of these processes and their descendants."""
    return sum(_status_kib(pid, "VmHWM") for pid in process_tree(pids)) / 1024


def current_rss_mib(pids: list[int]) -> float:
    """Sum of the resident memory (VmRSS) of these processes and their descendants, now."""
    return sum(_status_kib(pid, "VmRSS") for pid in process_tree(pids)) / 1024


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of them lie (nearest rank); NaN when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run_on_fresh_platform(run, args, prefix: str = "aibox-bench-", vhost: str = "aibox-bench", **more: str) -> None:
    """`run(args)` with Django set up on a temporary, migrated database (or DATABASE_URL); the box
    vhosts and any `more` settings as `configure_environment` takes them."""
    with tempfile.TemporaryDirectory(prefix=prefix) as var_dir:
        configure_environment(var_dir, vhost, **more)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, check=True)
        import django

        django.setup()
        run(args)


def run_on_own_vhosts(run, args, name: str, **more: str) -> None:
    """`run_on_fresh_platform` for the bench `name`: box vhosts BENCH_VHOST (default
    aibox-bench-NAME), so that it shares no queues with another bench or the suite."""
    vhost = os.environ.get("BENCH_VHOST", f"aibox-bench-{name}")
    run_on_fresh_platform(run, args, prefix=f"aibox-bench-{name}-", vhost=vhost, **more)


def start_platform(web_only: bool = False, workers: int = 1) -> list[subprocess.Popen]:
    """uvicorn (the web, `workers` processes), and unless `web_only` the Celery worker and results consumer."""
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            # Left over from an interrupted run: it would share the port and the load unmeasured.
            raise SystemExit(f"something already listens on port {PORT}: stop it first")
    python = sys.executable
    venv_bin = Path(python).parent
    commands = [
        [str(venv_bin / "uvicorn"), "cloudplatform.asgi:application", "--port", str(PORT), "--lifespan", "off",
         "--no-access-log", "--log-level", "warning", "--workers", str(workers), "--timeout-keep-alive", "75"],
        [str(venv_bin / "celery"), "-A", "cloudplatform", "worker", "--loglevel", "WARNING", "--concurrency", "2",
         "--without-mingle", "--without-gossip"],
        [python, "manage.py", "consume_results"],
    ]
    if web_only:
        commands = commands[:1]
    return [subprocess.Popen(c, cwd=REPO, start_new_session=True) for c in commands]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)




def wait_until_up(session, base: str) -> None:
    import requests

    for _ in range(150):
        try:
            if session.get(f"{base}/login/", timeout=1).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"the platform did not come up at {base}")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes and their descendants."""
    return sum(cpu_seconds_by_process(pids).values())


def cpu_seconds_by_process(pids: list[int]) -> dict[int, float]:
    """User + system CPU time used so far by each of these processes and their descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in process_tree(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            pass
    return used


def machine_cpu_seconds() -> tuple[float, float]:
    """The whole machine's busy and total CPU seconds so far, all cores (/proc/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal (guest time is inside user and nice already)
    values = [int(word) for word in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]  # idle and iowait
    return (sum(values) - idle) / ticks, sum(values) / ticks


def pids_named(name: str) -> list[int]:
    """The processes whose executable is `name` (the broker's beam.smp, PostgreSQL's postgres)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name[:15]:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def process_label(pid: int) -> str:
    """A short name for a platform process: uvicorn's worker, celery, consume_results ..."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return str(pid)
    text = " ".join(words)
    # uvicorn's workers are spawned by multiprocessing: their command line names spawn_main.
    for mark, label in (("spawn_main", "web"), ("consume_results", "consume_results"), ("celery", "celery"),
                        ("uvicorn", "uvicorn")):
        if mark in text:
            return label
    return Path(words[0]).name or str(pid)
