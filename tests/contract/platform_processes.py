"""The real platform as its Procfile runs it: separate OS processes on a throw-away database.

Written from the user-facing material only (README, Procfile, docs/, `manage.py help`): what an
operator does to bring the platform up, nothing from the platform's code. The stock box tests
drive it over HTTP and AMQP like a third party would.

Broker: its own vhosts, and a BROKER_URL that names a non-default vhost (issue 11 item 1: the
platform must publish to the box vhosts whatever vhost BROKER_URL names).
Database: a SQLite file in the temp dir, or, when DATABASE_URL names a PostgreSQL server, a fresh
database on that server, dropped afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")

RABBIT_HOST = "127.0.0.1"
RABBIT_MANAGEMENT = "http://127.0.0.1:15672/api"
RABBIT_AUTH = ("guest", "guest")
# CONTRACT_VHOST_PREFIX lets two checkouts run these tests at once on one broker.
VHOST_PREFIX = os.environ.get("CONTRACT_VHOST_PREFIX", "aibox-contract")
BOX_VHOST = VHOST_PREFIX
BOX_UPLOAD_VHOST = f"{VHOST_PREFIX}-upload"
CELERY_VHOST = f"{VHOST_PREFIX}-celery"
BROKER_URL = f"amqp://guest:guest@{RABBIT_HOST}:5672/{CELERY_VHOST}"
ADMIN_USER = "admin"
ADMIN_PASSWORD = "contract-admin-Pw-7731"
PROCESS_NAMES = ("web", "worker", "faces", "beat", "results")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _expand(command: str, env: dict[str, str]) -> list[str]:
    """Expand the Procfile's `${VAR:-default}` / `$VAR` the way a shell would, then split."""

    def repl(match: re.Match[str]) -> str:
        name, default = match.group(1) or match.group(3), match.group(2)
        return env.get(name) or (default or "")

    expanded = re.sub(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)", repl, command)
    return shlex.split(expanded)


def procfile_commands(env: dict[str, str]) -> dict[str, list[str]]:
    """The Procfile's process lines, expanded with `env`."""
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if ":" in line and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = _expand(command.strip(), env)
    return commands


# --- RabbitMQ: the operator's part (vhosts exist, the celery vhost is the operator's own) ---

def _rabbit(method: str, path: str, **kwargs: object) -> requests.Response:
    """The management API; waits up to 30 s for a broker that is restarting."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return requests.request(method, f"{RABBIT_MANAGEMENT}{path}", auth=RABBIT_AUTH, timeout=10, **kwargs)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def reset_vhosts() -> None:
    """Start from empty vhosts, so queues of an earlier run cannot answer for this one."""
    for vhost in (BOX_VHOST, BOX_UPLOAD_VHOST, CELERY_VHOST):
        _rabbit("DELETE", f"/vhosts/{quote(vhost, safe='')}")


def ensure_celery_vhost() -> bool:
    """Whether `setup_broker` created BROKER_URL's vhost; if not, create it as an operator would.

    `manage.py help setup_broker`: "Create the platform's RabbitMQ vhosts"; a check reports the answer,
    the rest of the run goes on either way."""
    name = quote(CELERY_VHOST, safe="")
    if _rabbit("GET", f"/vhosts/{name}").status_code == 200:
        return True
    _rabbit("PUT", f"/vhosts/{name}").raise_for_status()
    _rabbit("PUT", f"/permissions/{name}/guest",
            json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    return False


# --- database ---

def _pg_admin(url: str, sql: str) -> None:
    """Run one statement on the server's maintenance database (psycopg from the venv, a client)."""
    parts = urlsplit(url)
    admin_url = urlunsplit((parts.scheme.replace("postgresql", "postgres"), parts.netloc, "/postgres", "", ""))
    code = ("import psycopg,sys\n"
            "with psycopg.connect(sys.argv[1], autocommit=True) as c: c.execute(sys.argv[2])")
    subprocess.run([PYTHON, "-c", code, admin_url, sql], check=True, capture_output=True, timeout=60)


@contextmanager
def throwaway_database(tmp: Path) -> Iterator[str]:
    """A DATABASE_URL for this run alone: SQLite in `tmp`, or a fresh PostgreSQL database."""
    outer = os.environ.get("DATABASE_URL", "")
    if not outer.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp / 'db.sqlite3'}"
        return
    name = f"aibox_contract_{os.getpid()}"
    _pg_admin(outer, f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(outer, f'CREATE DATABASE "{name}"')
    parts = urlsplit(outer)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        _pg_admin(outer, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the platform ---

@dataclass
class Platform:
    """A running platform: its address, its processes, an administrator's API token."""

    base_url: str
    tmp: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    admin_token: str = ""
    box_ids: list[int] = field(default_factory=list)
    login_url: str = ""
    first_box: dict = field(default_factory=dict)
    setup_broker_made_celery_vhost: bool = False

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run `manage.py <args>` with the platform's settings; returns stdout, raises with the output."""
        return self.manage_many([list(args)], timeout)[0]

    def manage_many(self, commands: list[list[str]], timeout: float = 300) -> list[str]:
        """Several independent `manage.py` commands at once (each pays Django's start-up; run them together)."""
        procs = [subprocess.Popen([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for args in commands]
        outputs = []
        for args, proc in zip(commands, procs, strict=True):
            out, err = proc.communicate(timeout=timeout)
            if proc.returncode:
                raise RuntimeError(f"manage.py {' '.join(args)} -> {proc.returncode}\n{out}\n{err}")
            outputs.append(out)
        return outputs

    def api(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """The REST API as an administrator (token auth, README 'Console and API')."""
        headers = {"Authorization": f"Token {self.admin_token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_path(self, name: str) -> Path:
        return self.tmp / "logs" / f"{name}.log"

    def log_tails(self, lines: int = 60) -> str:
        """The end of every process log, for a failure report."""
        out = [f"platform logs in {self.tmp / 'logs'}"]
        for name in PROCESS_NAMES:
            path = self.log_path(name)
            text = path.read_text(errors="replace").splitlines() if path.exists() else []
            out.append(f"----- {name} (last {lines} lines) -----")
            out.extend(text[-lines:])
        return "\n".join(out)

    def check_alive(self) -> None:
        """Fail loudly when a process died (its log says why)."""
        dead = {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise RuntimeError(f"platform processes died: {dead}\n{self.log_tails()}")

    def start(self) -> None:
        (self.tmp / "logs").mkdir(parents=True, exist_ok=True)
        for name, argv in procfile_commands(self.env).items():
            log = open(self.log_path(name), "ab")  # the child keeps its own copy
            # Own session = own process group: stopping it reaches uvicorn's and celery's children too.
            self.procs[name] = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)
            log.close()

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the web process answers and the worker and results consumer are up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if requests.get(self.url("/box/login"), timeout=5).status_code < 500:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.3)
        else:
            raise RuntimeError(f"web process not answering after {timeout}s\n{self.log_tails()}")
        while time.monotonic() < deadline:
            self.check_alive()
            if "ready" in self.log_path("worker").read_text(errors="replace"):
                return
            time.sleep(0.3)
        raise RuntimeError(f"celery worker not ready after {timeout}s\n{self.log_tails()}")

    def stop(self) -> None:
        """SIGTERM each process group, SIGKILL what is left after 10 s."""
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group's leftovers, even when the leader exited
            except ProcessLookupError:
                pass


def static_files_stale() -> bool:
    """Whether collectstatic's manifest (in ROOT/staticfiles, as its output says) is older than a static source.

    The test session collects when stale (tests/conftest.py), so here it usually is fresh."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [ROOT / "static", ROOT / "node_modules" / ".installed"]
    return any(p.stat().st_mtime > built for src in sources if src.exists()
               for p in ([src] if src.is_file() else src.rglob("*")))


def platform_env(tmp: Path, port: int, database_url: str) -> dict[str, str]:
    """Settings as an operator writes them (README 'Configuration')."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "PYTEST_", "COV_")) and k not in ("DATABASE_URL", "BROKER_URL")}
    env.update({
        "DATABASE_URL": database_url,
        "BROKER_URL": BROKER_URL,
        "BOX_VHOST": BOX_VHOST,
        "BOX_UPLOAD_VHOST": BOX_UPLOAD_VHOST,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "WEB_WORKERS": "1",
        "CELERY_CONCURRENCY": "2",
        "VAR_DIR": str(tmp / "var"),
        "MEDIA_ROOT": str(tmp / "media"),
        "SECRET_KEY": "contract-tests-" + os.urandom(16).hex(),
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        # Many logins from one address in a short run; the throttle is not what these tests probe.
        "BOX_LOGIN_RATE_PER_CODE": "10000/min",
        "BOX_LOGIN_RATE_PER_ADDRESS": "100000/min",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("REDIS_URL", None)  # one web process: the in-memory layer, as `make run` does
    return env


@contextmanager
def running_platform(tmp: Path, env_overrides: dict[str, str] | None = None) -> Iterator[Platform]:
    """Migrate, set up the broker, create the admin, start the Procfile's processes; stop them at the end.

    One at a time: platforms share the vhosts, and a second one would reset them under the first
    (its Celery worker then reconnects and holds the new worker's control queue)."""
    global _running
    if _running:
        raise RuntimeError("a platform from running_platform() is still running: "
                           "share the platform_processes fixture (tests/conftest.py)")
    _running = True
    try:
        yield from _run_platform(tmp, env_overrides)
    finally:
        _running = False


_running = False


def _run_platform(tmp: Path, env_overrides: dict[str, str] | None) -> Iterator[Platform]:
    tmp.mkdir(parents=True, exist_ok=True)
    reset_vhosts()
    with throwaway_database(tmp) as database_url:
        port = free_port()
        env = {**platform_env(tmp, port, database_url), **(env_overrides or {})}
        plat = Platform(base_url=f"http://127.0.0.1:{port}", tmp=tmp, env=env)
        try:
            setup = [["migrate", "--noinput"]]
            if static_files_stale():
                setup.append(["collectstatic", "--noinput", "-v", "0"])  # as `make run` does: the console needs it
            plat.manage_many(setup)
            plat.manage_many([["setup_broker"], ["ensure_admin", "--username", ADMIN_USER]])
            plat.setup_broker_made_celery_vhost = ensure_celery_vhost()
            plat.start()
            token_out, box_out = plat.manage_many([["create_api_token", ADMIN_USER],
                                                   ["create_box", "--name", "Stock box 0"]])
            token = re.search(r"\b[0-9a-f]{64}\b", token_out)
            assert token, f"create_api_token printed no token: {token_out}"
            plat.admin_token = token.group(0)
            # README "Onboard a box": create_box prints one JSON object with dev_sno and login_url
            plat.first_box = json.loads(box_out.strip().splitlines()[-1])
            plat.box_ids.append(plat.first_box["id"])
            plat.login_url = plat.first_box["login_url"]
            plat.wait_ready()
            yield plat
        finally:
            try:
                _forget_boxes(plat)
            finally:
                plat.stop()
                reset_vhosts()


def _forget_boxes(plat: Platform) -> None:
    """Delete the boxes through the API, as an administrator would, so their broker accounts go too."""
    if not plat.procs or any(p.poll() is not None for p in plat.procs.values()):
        return

    def forget(box_id: int) -> None:
        try:
            plat.api("DELETE", f"/api/boxes/{box_id}/")
        except requests.RequestException as exc:  # the report matters more than the clean-up
            print(f"could not delete box {box_id}: {exc}", file=sys.stderr)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(forget, plat.box_ids))
