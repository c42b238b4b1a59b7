"""`make demo`: the platform, two live boxes and sample people, with recognitions streaming.

Starts the platform (the Procfile: web, Celery worker and beat, results consumer),
makes sure an administrator exists (and prints how to log in), creates two boxes, starts
an edge agent for each (own data dir under var/demo/), gives both the people of
../shared/datasets/faces/enroll/, waits until every enrolment is green, then replays the
probe and scene photos into the boxes' recognize endpoints in a loop. Ctrl-C stops every
process it started. Run it again and it reuses the boxes, people and data dirs.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from itertools import cycle
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
FACES = Path(os.environ.get("AIBOX_FACES_DIR", REPO.parent / "shared" / "datasets" / "faces"))
WEB_PORT = int(os.environ.get("WEB_PORT", "8000"))
BASE = f"http://127.0.0.1:{WEB_PORT}"
BOXES = [("Demo gate", "10.0.0.11", 0, 5561), ("Demo door", "10.0.0.12", 4, 5562)]
PYTHON = sys.executable

processes: list[subprocess.Popen] = []


def manage(*args: str) -> str:
    return subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, check=True, capture_output=True,
                          text=True).stdout.strip()


def start(command: list[str], log: Path | None = None) -> subprocess.Popen:
    output = open(log, "ab") if log else None  # kept open for the process's life
    process = subprocess.Popen(command, cwd=REPO, start_new_session=True, stdout=output,
                               stderr=subprocess.STDOUT if output else None)
    processes.append(process)
    return process


def stop_all(*_) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    print("\nstopped every process the demo started")
    sys.exit(0)


def wait_for_web() -> None:
    for _ in range(300):
        try:
            if requests.get(f"{BASE}/login/", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the platform did not answer at {BASE}")


def demo_data() -> list:
    """Boxes, a group serving both, and the people of enroll/ (created once)."""
    from devices.models import Box
    from devices.services import create_box
    from users import services
    from users.models import PermissionGroup, Person

    boxes = []
    for name, _, _, _ in BOXES:
        box = Box.objects.filter(name=name).first() or create_box(name=name, record_upload_period=2,
                                                                   device_monitor_period=5)
        boxes.append(box)
    group, _ = PermissionGroup.objects.get_or_create(name="Demo staff")
    for folder in sorted(p for p in (FACES / "enroll").iterdir() if p.is_dir()):
        if not Person.objects.filter(identity_id=folder.name).exists():
            photo = sorted(folder.glob("*.jpg"))[0].read_bytes()
            services.create_person(name=folder.name.replace("_", " ").title(), identity_id=folder.name,
                                   photo=photo, permission_groups=[group])
    services.set_group_boxes(group, boxes)
    return boxes


def wait_for_enrolments(boxes) -> None:
    from distribution.models import Enrolment
    from users.models import Person

    wanted = Person.objects.count() * len(boxes)
    while True:
        states = list(Enrolment.objects.filter(box__in=boxes).values_list("state", flat=True))
        done = states.count("enrolled")
        print(f"\renrolled {done}/{wanted}   failed {states.count('failed')}", end="", flush=True)
        if done + states.count("failed") >= wanted:
            print()
            return
        time.sleep(1)


def main() -> None:
    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudplatform.settings")
    sys.path.insert(0, str(REPO))
    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v", "0"], ["setup_broker"]):
        manage(*step)
    created = manage("ensure_admin")
    var = REPO / "var"
    (var / "demo").mkdir(parents=True, exist_ok=True)
    start([str(Path(PYTHON).parent / "honcho"), "start", "-f", "Procfile"], var / "demo" / "platform.log")
    wait_for_web()

    import django

    django.setup()
    boxes = demo_data()
    agents = []
    for box, (_, device_ip, device_type, port) in zip(boxes, BOXES, strict=True):
        data_dir = var / "demo" / box.dev_sno
        start([PYTHON, "-m", "edge_agent", "run", "--data-dir", str(data_dir), "--port", str(port),
               "--dev-sno", box.dev_sno, "--login-url", f"{BASE}/box/login", "--mac", f"0x0000de{port:06x}",
               "--host", "127.0.0.1"], var / "demo" / f"agent-{port}.log")
        agents.append((box, device_ip, device_type, port, data_dir))
    for box, device_ip, device_type, port, data_dir in agents:
        key = _api_key(data_dir)
        _until_up(f"http://127.0.0.1:{port}/health")
        requests.post(f"http://127.0.0.1:{port}/SophonFogSys/api/devices", headers={"X-API-Key": key}, timeout=10,
                      json={"ep_ip": device_ip, "ep_name": f"{box.name} camera", "ep_type": device_type,
                            "ep_location": "Demo"}).raise_for_status()
    wait_for_enrolments(boxes)
    print(_banner(created, boxes))
    replay(agents)


def _api_key(data_dir: Path) -> str:
    path = data_dir / "api_key"
    for _ in range(300):
        if path.exists():
            return path.read_text().strip()
        time.sleep(0.1)
    raise SystemExit(f"the agent did not start (see {data_dir.parent})")


def _until_up(url: str) -> None:
    for _ in range(600):
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"no answer from {url}")


def _banner(created: str, boxes) -> str:
    password_file = REPO / "var" / "initial-admin-password"
    if created:
        login = created
    elif password_file.exists():
        user, password = password_file.read_text().split()
        login = f"Administrator: username {user!r}, password {password!r}"
    else:
        login = "Log in with your existing administrator."
    lines = ["", f"Console: http://localhost:{WEB_PORT}/events/   (live events; Boxes and People in the menu)", login]
    lines += [f"Box {box.name}: dev_sno {box.dev_sno}" for box in boxes]
    lines += ["Replaying the probe and scene photos into both boxes; Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def replay(agents) -> None:
    photos = sorted((FACES / "probe").glob("*/*")) + sorted((FACES / "scenes").glob("*"))
    keys = {port: _api_key(data_dir) for _, _, _, port, data_dir in agents}
    for photo, (box, device_ip, _, port, _) in zip(cycle(photos), cycle(agents)):
        try:
            reply = requests.post(f"http://127.0.0.1:{port}/SophonFogSys/api/recognize",
                                  headers={"X-API-Key": keys[port]}, timeout=30,
                                  files={"image": (photo.name, photo.read_bytes())}, data={"device_ip": device_ip})
            faces = reply.json().get("data", {}).get("faces", [])
            seen = ", ".join(f["identity_name"] + (f" ({f['similarity']:.2f})" if f["matched"] else "")
                             for f in faces) or json.dumps(reply.json().get("error"))
        except requests.RequestException as exc:
            seen = f"not answered: {exc}"
        shown = f"{photo.parent.name}/{photo.name}"
        print(f"{time.strftime('%H:%M:%S')} {box.name:<10} {shown:<28} → {seen}")
        time.sleep(2)


if __name__ == "__main__":
    main()
