"""Administrators' REST API for boxes, with token auth and the OpenAPI schema."""
import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from devices.models import Box


@pytest.fixture
def api(admin_user):
    out = io.StringIO()
    call_command("create_api_token", "admin", stdout=out)
    token = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_token_auth_lists_creates_and_retrieves_boxes(api, broker_admin):
    created = api.post("/api/boxes/", {"name": "Gate 7", "record_upload_period": 9}, format="json")
    assert created.status_code == 201, created.content
    box = Box.objects.get(pk=created.json()["id"])
    try:
        assert created.json()["dev_sno"] == box.dev_sno and box.record_upload_period == 9
        assert broker_admin.user_exists(box.broker_username)
        listing = api.get("/api/boxes/").json()
        assert listing["count"] == 1 and listing["results"][0]["dev_sno"] == box.dev_sno
        assert api.get(f"/api/boxes/{box.pk}/").json()["name"] == "Gate 7"
        updated = api.patch(f"/api/boxes/{box.pk}/", {"name": "Gate 8", "dev_sno": "HACKED"}, format="json")
        assert updated.json()["name"] == "Gate 8" and updated.json()["dev_sno"] == box.dev_sno
    finally:
        broker_admin.delete_box_resources(box)


def test_actions_disable_release_rotate(api, make_box, broker_admin, client):
    box = make_box()
    client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x112233445566"})
    assert api.post(f"/api/boxes/{box.pk}/release-binding/").json()["hex_mac"] == ""
    disabled = api.post(f"/api/boxes/{box.pk}/disable/").json()
    assert disabled["enabled"] is False and not broker_admin.user_exists(box.broker_username)
    assert api.post(f"/api/boxes/{box.pk}/enable/").json()["enabled"] is True
    before = Box.objects.get(pk=box.pk).broker_password
    api.post(f"/api/boxes/{box.pk}/rotate-credentials/")
    assert Box.objects.get(pk=box.pk).broker_password != before


def test_delete_removes_the_box_and_its_broker_identity(api, make_box, broker_admin):
    box = make_box()
    assert api.delete(f"/api/boxes/{box.pk}/").status_code == 204
    assert not Box.objects.filter(pk=box.pk).exists()
    assert not broker_admin.user_exists(box.broker_username)


def test_invalid_create_is_a_readable_400(api):
    response = api.post("/api/boxes/", {"name": "", "device_monitor_period": 0}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "device_monitor_period"}
    assert not Box.objects.exists()


def test_anonymous_and_non_staff_are_refused(db, django_user_model):
    anonymous = APIClient().get("/api/boxes/")
    # Told to bring credentials: 401 naming the token scheme (a logged-in account without the right is a 403).
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}
    user = django_user_model.objects.create_user("visitor", password="x")
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/boxes/").status_code == 403


def test_openapi_schema_documents_boxes_and_login(api, admin_user, client):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/boxes/" in paths and "/box/login" in paths
    assert "/api/boxes/{id}/rotate-credentials/" in paths
    client.force_login(admin_user)  # the docs are a console page: a browser session
    assert client.get("/api/docs/").status_code == 200
