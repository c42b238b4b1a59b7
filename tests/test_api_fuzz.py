"""Malformed input to every API and /box/ endpoint, generated from the OpenAPI schema by
schemathesis (bounded: its examples and boundary cases, then 25 generated ones per operation):
never a 500, and a refused request writes nothing."""
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from accounts.services import create_api_token
from devices.models import Box, BoxStatus, SubDevice
from distribution.models import Command, Enrolment
from events.models import Event
from users.models import FaceGroup, PermissionGroup, Person

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
app = get_wsgi_application()
TABLES = [Box, BoxStatus, SubDevice, Event, Person, PermissionGroup, FaceGroup, Command, Enrolment]
CASES_PER_OPERATION = 25

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def credentials(transactional_db, make_box, admin_user, client):
    """An administrator's API token, and a logged-in box whose dev_sno and token the box calls carry."""
    box = make_box("fuzzed")
    login = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x00000000f022"}).json()
    api_key = create_api_token(admin_user, name="fuzz", valid_for=None)[1]
    return {"api": api_key, "dev_sno": box.dev_sno, "token": login["token"]}


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
