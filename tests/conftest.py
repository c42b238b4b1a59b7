"""Fixtures shared by the suite. Tests talk to the real RabbitMQ and database."""
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.test.client import ClientHandler
from django.utils import translation

from cloudplatform.box_calls import LoadsBoxMiddleware, is_box_call
from devices import services
from devices.broker import BrokerAdmin
from tests.contract.platform_processes import Platform, running_platform, static_files_stale
from tests.markers import MARKED_BY_PATH


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        for marker, prefixes in MARKED_BY_PATH.items():
            if item.nodeid.startswith(prefixes):
                item.add_marker(marker)
    # The tests on the platform's processes first, together: the processes stop after the last
    # of them (pytest_runtest_teardown), before anything else runs, the drills' broker restarts too.
    items.sort(key=lambda item: not uses_platform(item))


def uses_platform(item) -> bool:
    return PLATFORM_PROCESSES in getattr(item, "fixturenames", ())


def pytest_collection_finish(session) -> None:
    """The last test on the platform's processes in the order they will run (--ff and --nf
    reorder after pytest_collection_modifyitems)."""
    global _last_platform_test
    _last_platform_test = next((item.nodeid for item in reversed(session.items) if uses_platform(item)), None)


@pytest.hookimpl(wrapper=True)  # after the item's own fixtures are torn down, even when one failed
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        if item.nodeid == _last_platform_test:
            _platform_run.close()


@pytest.fixture(scope="session", autouse=True)
def _collected_static() -> None:
    """Pages name their assets through the static manifest: collect when a static source changed
    since the last collection (or none was made), so a plain `pytest` after editing a script tests it."""
    if static_files_stale():
        call_command("collectstatic", interactive=False, verbosity=0)


PLATFORM_PROCESSES = "platform_processes"
_platform_run = ExitStack()
_last_platform_test: str | None = None


@pytest.fixture(scope="session")
def platform_processes(tmp_path_factory) -> Iterator[Platform]:
    """The Procfile's processes on a database of their own, started once for every test that drives
    them (a start, each process loading Django, cost 20-30 s; seven of them were two minutes of the
    suite), and stopped after the last of them (pytest_runtest_teardown). Tests share it: each
    makes boxes, people, groups and sites of its own, with names of its own, and listens only for
    them. Beat checks for silent boxes every second, so a box made with a 1 s status period turns
    offline in about 3 s."""
    yield _platform_run.enter_context(
        running_platform(tmp_path_factory.mktemp("platform"), {"OFFLINE_CHECK_PERIOD": "1"}))
    _platform_run.close()


@pytest.fixture(scope="session")
def broker_admin() -> BrokerAdmin:
    admin = BrokerAdmin()
    admin.ensure_platform_topology()
    return admin


@pytest.fixture(scope="session", autouse=True)
def _platform_vhosts(request) -> None:
    """Before any test: the vhosts exist, Celery's (named by the suite's BROKER_URL) included,
    as `manage.py setup_broker` leaves them; live updates, for one, travel in Celery's vhost.
    Not for a run of beside_drills tests alone: they run while the drills restart the broker."""
    if not all(item.get_closest_marker("beside_drills") for item in request.session.items):
        request.getfixturevalue("broker_admin")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language: a request in Chinese leaves its language active
    in the thread (LocaleMiddleware activates, nothing deactivates), and text made outside a
    request (a photo's quality reason) would be Chinese in the next test."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_stranger_centroids():
    """Each test's database starts without clusters: so does this process's copy of their centroids."""
    from faces.clustering import forget_centroids

    forget_centroids()
    yield
    forget_centroids()


class _BoxCallClientHandler(LoadsBoxMiddleware, ClientHandler):
    """The test client's handler for box calls: BOX_MIDDLEWARE, as on the server."""


class _ServerRouting:
    """Routes the test client's requests as the server does (cloudplatform/box_calls.py)."""

    def __init__(self, console: ClientHandler, box: ClientHandler) -> None:
        self.console, self.box = console, box

    def __call__(self, environ: dict):
        return (self.box if is_box_call(environ) else self.console)(environ)


@pytest.fixture
def client():
    """Django's test client, a box's calls going through the box calls' middleware as on the
    server: a box view that came to need the console's (a session, the logged-in user) fails here."""
    test_client = Client()
    test_client.handler = _ServerRouting(test_client.handler, _BoxCallClientHandler(enforce_csrf_checks=False))
    return test_client


@pytest.fixture
def make_box(db, broker_admin):
    """Create boxes through the service (real broker identity); remove them from the broker afterwards."""
    created = []

    def make(name: str = "box", **kwargs):
        box = services.create_box(name=name, **kwargs)
        created.append(box)
        return box

    yield make
    for box in created:
        broker_admin.delete_box_resources(box)


@pytest.fixture
def site_areas(db):
    """Sites and areas: (Campus, Building A under it, Floor 2 under that, Harbour: a second site)."""
    from devices.models import Area

    site = services.save_area(Area(), name="Campus", parent=None)
    building = services.save_area(Area(), name="Building A", parent=site)
    floor = services.save_area(Area(), name="Floor 2", parent=building)
    harbour = services.save_area(Area(), name="Harbour", parent=None)
    return site, building, floor, harbour


@pytest.fixture
def world(make_box, site_areas, django_user_model):
    """Two sites with everything in them, a site manager of the first and a viewer (tests/roles_world.py)."""
    from tests.roles_world import build_world

    return build_world(make_box, site_areas, django_user_model)


@pytest.fixture
def photo() -> bytes:
    """A real face photo (shared/datasets, read at run time)."""
    from tests.paths import FACES

    return (FACES / "enroll/obama/1.jpg").read_bytes()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a service call and the publishing it schedules after commit; `.capture` for posts."""
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)
    run.capture = django_capture_on_commit_callbacks
    return run


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.org", "correct horse battery")


@pytest.fixture
def api(admin_user):
    """The REST API as the administrator."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(admin_user)
    return client


class AsgiServer:
    """The platform's real ASGI application (HTTP and WebSocket) under uvicorn, in this process:
    the test database and the in-memory channel layer are shared with the test. It can be
    stopped and started again on the same port (the platform going away and coming back)."""

    def __init__(self) -> None:
        import socket

        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.thread = None

    def start(self) -> None:
        import threading
        import time

        import uvicorn

        from cloudplatform.asgi import application

        config = uvicorn.Config(application, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off", ws="websockets-sansio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="asgi", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def asgi_server(transactional_db):
    server = AsgiServer()
    server.start()
    yield server
    if server.thread.is_alive():
        server.stop()


@pytest.fixture
def serve_obama(make_box, client, django_capture_on_commit_callbacks):
    """serve_obama(photo, *more photos): a box "Gate" serving the group staff holding Obama with
    those photos, the commands drained; (box, its FakeBox, Obama)."""
    from tests.fakebox import FakeBox
    from users import services as people
    from users.models import PermissionGroup

    def serve(photo: bytes, *more: bytes):
        box = make_box("Gate")
        group = people.save_group(PermissionGroup(), boxes=[box], name="staff")
        fake = FakeBox(client, box.dev_sno)
        with django_capture_on_commit_callbacks(execute=True):
            person = people.create_person(name="Barack Obama", identity_id="obama", photo=photo,
                                          permission_groups=[group])
            for extra in more:
                people.add_person_photo(person, extra)
        fake.receive_all(timeout=1.0)
        person.refresh_from_db()
        return box, fake, person

    return serve


@pytest.fixture
def boxes(make_box) -> dict:
    """Two boxes, north and south, for strangers seen at either."""
    return {name: make_box(name) for name in ("north", "south")}


@pytest.fixture
def report_stranger(client, boxes, commit):
    """report_stranger(box name, shared photo, minute): one stranger event from that box, as a stock box sends it."""
    from events.models import Event
    from tests.helpers import event, record_url
    from tests.paths import FACES

    t0, minute_ms = 1_700_000_000_000, 60_000
    counter = iter(range(1_000))

    def send(box: str, photo: str, minute: int = 0, person_type: int = 4) -> Event:
        identity = f"stranger_{next(counter)}" if person_type == 4 else "someone"
        body = event(identity, t0 + minute * minute_ms, (FACES / photo).read_bytes(), person_type=person_type)
        response = commit(client.post, record_url(client, boxes[box]), [body], content_type="application/json")
        assert response.json()["data"]["stored"] == 1, response.content
        return Event.objects.get(timestamp_ms=t0 + minute * minute_ms, box=boxes[box])

    return send


@pytest.fixture
def seen(report_stranger):
    """Strangers seen: Obama three times at two boxes, the shared stranger once."""
    report = report_stranger
    return {"obama": [report("north", "probe/obama/1.jpg", 0), report("south", "probe/obama/2.jpg", 5),
                      report("south", "probe/obama/3.jpg", 9)],
            "stranger": [report("north", "probe/stranger/1.png", 7)]}


@pytest.fixture
def people(db) -> dict:
    """Obama and Biden, enrolled with their first photo."""
    from tests.paths import FACES
    from users import services as people

    return {identity: people.create_person(name=name, identity_id=identity,
                                           photo=(FACES / f"enroll/{identity}/1.jpg").read_bytes())
            for identity, name in (("obama", "Barack Obama"), ("biden", "Joe Biden"))}


@pytest.fixture
def report_match(client, make_box):
    """Store one event as a box reports it: (box name, identity the box matched, score, picture)."""
    from events.models import Event
    from tests.helpers import event, record_url
    from tests.paths import FACES

    boxes, urls = {}, {}
    count = [0]

    def store(box_name: str, identity: str, score: float, picture: str | None = None,
              person_type: int = 1) -> Event:
        if box_name not in boxes:
            boxes[box_name] = make_box(box_name)
            urls[box_name] = record_url(client, boxes[box_name])
        count[0] += 1
        body = event(identity, 1_700_000_000_000 + count[0] * 60_000,
                     (FACES / picture).read_bytes() if picture else None, person_type=person_type)
        body["score"] = score
        assert client.post(urls[box_name], [body], content_type="application/json").json()["data"]["stored"] == 1
        return Event.objects.get(box=boxes[box_name], timestamp_ms=body["timestamp"])

    store.boxes = boxes
    return store


@pytest.fixture
def agent(tmp_path, transactional_db, broker_admin):
    """A real edge agent, not yet configured (tests.helpers.configure gives it a box and a login URL
    through `agent_api`)."""
    from edge_agent.box import EdgeBox
    from edge_agent.config import BoxConfig

    agent = EdgeBox(BoxConfig(tmp_path / "box", mac="0x0000aabbccdd"))
    agent.start()
    yield agent
    agent.stop()


@pytest.fixture
def agent_api(agent):
    """The agent's local API, as a test client."""
    from edge_agent.api.app import create_app
    from tests.helpers import AGENT_KEY

    return create_app(agent, AGENT_KEY).test_client()


@pytest.fixture
def box(make_box):
    return make_box("front gate", record_upload_period=1, device_monitor_period=1)


@pytest.fixture
def start_agent(tmp_path, box, asgi_server):
    """start_agent(): a real edge agent for `box`, logged in to the platform under uvicorn."""
    from edge_agent.box import EdgeBox
    from edge_agent.config import BoxConfig
    from tests.helpers import wait_for

    agents = []

    def start() -> EdgeBox:
        agent = EdgeBox(BoxConfig(tmp_path / "box", dev_sno=box.dev_sno, login_url=asgi_server.url + "/box/login",
                                  mac="0x0000aabbcc01"))
        agent.start()
        agents.append(agent)
        wait_for(lambda: agent.health.broker == "connected")
        return agent

    yield start
    for agent in agents:
        agent.stop(10)
