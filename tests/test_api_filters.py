"""The REST API's list filters (django-filter FilterSets): documented in the OpenAPI schema with
their types, and a value that does not parse answers 400 naming the filter."""
import pytest
from drf_spectacular.generators import SchemaGenerator

# path -> {query parameter: its schema type}
FILTERS = {
    "/api/events/": {"q": "string", "box": "integer", "area": "integer", "type": "integer", "identity_id": "string",
                     "ep_id": "string", "since": "string", "until": "string"},
    "/api/events/quarantine/": {"box": "integer"},
    "/api/persons/": {"search": "string", "person_type": "integer", "group": "string"},
    "/api/commands/": {"box": "string", "state": "string", "method": "string"},
}
PAGING = {"limit", "offset", "after", "before"}  # keyset pages for events


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("path", sorted(FILTERS))
def test_list_filters_are_documented_with_their_types(schema, path):
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    assert set(parameters) - PAGING == set(FILTERS[path])
    for name, kind in FILTERS[path].items():
        assert parameters[name]["schema"]["type"] == kind, name
        assert parameters[name]["in"] == "query" and not parameters[name].get("required")


def test_a_filter_that_does_not_parse_is_refused_naming_it(admin_client):
    for path, name in (("/api/events/", "box"), ("/api/events/quarantine/", "box"), ("/api/events/", "type"),
                       ("/api/persons/", "person_type")):
        response = admin_client.get(path, {name: "seven"})
        assert response.status_code == 400 and list(response.json()) == [name], (path, response.content)
    assert admin_client.get("/api/events/quarantine/", {"box": 10**18}).status_code == 400  # beyond any id
    assert admin_client.get("/api/events/quarantine/", {"box": 5}).json()["count"] == 0


def test_the_console_pages_leave_out_a_filter_that_does_not_parse(admin_client, make_box):
    from users.models import PermissionGroup, Person

    group = PermissionGroup.objects.create(name="Hall")
    pat = Person.objects.create(identity_id="P-1", name="Patricia Filterson")
    pat.permission_groups.add(group)
    assert "Patricia Filterson" in admin_client.get("/people/", {"type": "abc", "q": "filterson"}).content.decode()
    assert "Patricia Filterson" in admin_client.get("/people/", {"group": group.pk}).content.decode()
    for group_id in ("abc", "-1", "²", str(group.pk + 1)):  # a group that cannot exist, or does not: nobody
        page = admin_client.get("/people/", {"group": group_id})  # "²" is a digit to str.isdigit, not to int
        assert page.status_code == 200 and "Patricia Filterson" not in page.content.decode()
    assert admin_client.get("/commands/", {"box": "²"}).status_code == 200
    make_box("Filtered box")
    assert "Filtered box" in admin_client.get("/boxes/", {"q": "filtered"}).content.decode()
    assert "Filtered box" not in admin_client.get("/boxes/", {"q": "other"}).content.decode()
