"""Malformed input to every API and /box/ endpoint, generated from the OpenAPI schema by
schemathesis (bounded: its examples and boundary cases, then 25 generated ones per operation):
never a 500, and a refused request writes nothing."""
import uuid

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from werkzeug.test import Client as WerkzeugClient

from accounts.services import create_api_token
from cloudplatform.box_calls import wsgi_application
from devices.broker import broker_admin
from devices.models import Box, BoxStatus, SubDevice
from devices.services import create_box
from distribution.models import Command, Enrolment
from events.models import Event
from users.models import FaceGroup, PermissionGroup, Person

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
# The server's application: box calls through their own handler and middleware, as deployed.
app = wsgi_application()
TABLES = [Box, BoxStatus, SubDevice, Event, Person, PermissionGroup, FaceGroup, Command, Enrolment]
CASES_PER_OPERATION = 25

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def fuzzed_database(django_db_setup, django_db_blocker):
    """The database committed to, as the fuzzer's requests commit, for the whole module and
    emptied once at its end (emptied after each of 71 operations, it cost 40 s on PostgreSQL)."""
    with django_db_blocker.unblock():
        yield
        try:
            admin = broker_admin()
            for box in Box.objects.all():
                admin.delete_box_resources(box)
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def transactional_db(fuzzed_database) -> None:
    """pytest-django's, overridden: the module's committed database, not emptied after each test.
    (Its name is what has pytest-django make the test database for a run of this module alone.)"""


@pytest.fixture
def credentials(transactional_db) -> dict:
    """An administrator's API token, and a logged-in box whose dev_sno and token the box calls
    carry; made again when a fuzzed request disabled, rebound or deleted them."""
    if not _usable(_credentials):
        _credentials.update(_new_credentials())
        assert _usable(_credentials), "new credentials refused: every case would stop at 401"
    return _credentials


_credentials: dict = {}


def _new_credentials() -> dict:
    admin = get_user_model().objects.create_superuser(f"admin-{uuid.uuid4().hex[:8]}", "admin@example.org",
                                                      "correct horse battery")
    box = create_box(name="fuzzed")
    login = app_call("GET", "/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x00000000f022"}).json
    return {"api": create_api_token(admin, name="fuzz", valid_for=None)[1], "dev_sno": box.dev_sno,
            "token": login["token"]}


def _usable(credentials: dict) -> bool:
    if not credentials:
        return False
    box_call = app_call("GET", "/box/persons", {"dev_sno": credentials["dev_sno"], "token": credentials["token"]})
    api_call = app_call("GET", "/api/boxes/", {"limit": 1}, authorization=f"Token {credentials['api']}")
    return box_call.status_code not in (401, 403) and api_call.status_code == 200


def app_call(method: str, path: str, query: dict, authorization: str = ""):
    headers = {"Authorization": authorization} if authorization else {}
    return WerkzeugClient(app).open(path, method=method, query_string=query, headers=headers)


def counts() -> dict[str, int]:
    """Every table's row count in one query (nine queries for each of ~8 000 cases were half the run)."""
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})" for model in TABLES)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip((model.__name__ for model in TABLES), cursor.fetchone(), strict=True))


@schema.parametrize()
@settings(max_examples=CASES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_no_partial_write(case, credentials):
    if case.path.startswith("/box/") and case.path != "/box/login":
        # Authenticated as the box, so the bodies reach validation instead of stopping at 401.
        case.query = {**(case.query or {}), "dev_sno": credentials["dev_sno"], "token": credentials["token"]}
    case.headers = {**(case.headers or {}), "Authorization": f"Token {credentials['api']}"}
    case.cookies = {}
    before = counts()
    response = case.call(app=app)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} " \
                                        f"{response.text[:300]}"
    if 400 <= response.status_code < 500:
        assert counts() == before, f"{case.method} {case.formatted_path} refused ({response.status_code}) " \
                                   f"but wrote: {response.text[:200]}"
