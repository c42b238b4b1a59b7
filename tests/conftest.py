"""Fixtures shared by the suite. Tests talk to the real RabbitMQ and database."""
import pika
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from cloudplatform.amqp import connection_parameters
from devices import services
from devices.broker import BrokerAdmin
from tests.contract.platform_processes import static_files_stale

# Which tests `make test-fast` leaves out (the whole suite, `make test`, runs them all).
MARKED_BY_PATH = {
    "browser": ("tests/browser/",),
    "drill": ("tests/test_fault_drills.py", "tests/test_edge_agent_faults.py",
              "tests/test_distribution.py::test_broker_restart"),
    "slow": ("tests/contract/", "tests/test_live_across_processes.py", "tests/test_roles_live.py",
             "tests/test_api_fuzz.py",
             "tests/test_event_intake_large.py", "tests/security/test_uploads.py",
             "tests/test_bench_fleet.py",
             "tests/test_edge_stock_cloud.py::test_a_command_held_up_by_a_slow_platform_costs_no_reconnect",
             "tests/test_strangers_agents.py"),
    # The agent and its face engine, which use no platform database: `make test` runs them once,
    # in the SQLite pass, not again on PostgreSQL (nor the browser tests: the console's pages do
    # not depend on the database engine; its queries are covered by the console and API tests).
    "edge": ("tests/face/", "tests/test_edge_events.py", "tests/test_edge_local_api.py",
             "tests/test_edge_stock_cloud.py", "tests/contract/test_stock_cloud.py",
             "tests/security/test_box_local_api.py", "tests/test_edge_backoff.py"),
    # Platform tests whose behaviour does not turn on the database engine (the live relay through
    # RabbitMQ, memory bounds while streaming, the simulated fleet, a broker restart with a fake
    # box): run once, in the SQLite pass, to keep `make test` near 15 minutes.
    "once": ("tests/test_live_across_processes.py", "tests/test_roles_live.py", "tests/test_bench_fleet.py",
             "tests/test_event_intake_large.py", "tests/security/test_uploads.py",
             "tests/test_distribution.py::test_broker_restart"),
    # The API fuzzer: against PostgreSQL when there is one (it is the stricter engine: NUL in text
    # was a 500 there only), else on SQLite (Makefile test-sqlite / test-postgres).
    "fuzz": ("tests/test_api_fuzz.py",),
}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        for marker, prefixes in MARKED_BY_PATH.items():
            if item.nodeid.startswith(prefixes):
                item.add_marker(marker)


@pytest.fixture(scope="session", autouse=True)
def _collected_static() -> None:
    """Pages name their assets through the static manifest: collect when a static source changed
    since the last collection (or none was made), so a plain `pytest` after editing a script tests it."""
    if static_files_stale():
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session")
def broker_admin() -> BrokerAdmin:
    admin = BrokerAdmin()
    admin.ensure_platform_topology()
    return admin


@pytest.fixture(scope="session", autouse=True)
def _platform_vhosts(broker_admin) -> None:
    """Before any test: the vhosts exist, Celery's (named by the suite's BROKER_URL) included,
    as `manage.py setup_broker` leaves them; live updates, for one, travel in Celery's vhost."""


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
    from tests.face.conftest import FACES

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


def amqp_connect(rabbitmq: dict, vhost_key: str = "vHost") -> pika.BlockingConnection:
    """Connect as a box would, with the `rabbitmq` part of its login reply."""
    return pika.BlockingConnection(
        pika.ConnectionParameters(
            host=rabbitmq["host"],
            port=int(rabbitmq["port"]),
            virtual_host=rabbitmq[vhost_key],
            credentials=pika.PlainCredentials(rabbitmq["login"], rabbitmq["password"]),
            connection_attempts=1,
            socket_timeout=5,
            blocked_connection_timeout=5,
        )
    )


def platform_connect(vhost: str) -> pika.BlockingConnection:
    """Connect as the platform does: BROKER_URL's account, in `vhost`."""
    return pika.BlockingConnection(connection_parameters(vhost))


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
