"""The administrators' console: login, CSRF, and managing boxes."""
import re

import pytest
from django.test import Client

from devices.models import Box


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def csrf_token(client: Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def log_in(client: Client) -> None:
    token = csrf_token(client, "/login/")
    response = client.post("/login/", {"username": "admin", "password": "correct horse battery",
                                       "csrfmiddlewaretoken": token, "next": "/"})
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/", "/boxes/", "/boxes/new/"])
def test_anonymous_users_are_sent_to_the_login_page(client, db, path):
    response = client.get(path, follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert b"Administrator log in" in response.content


def test_staff_only(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor", password="x"))
    response = client.get("/boxes/")
    assert response.status_code == 403


def test_wrong_password_shows_an_error(client, db):
    response = client.post("/login/", {"username": "admin", "password": "nope"})
    assert response.status_code == 200
    assert b"Wrong username or password" in response.content


def test_post_without_csrf_token_is_rejected(csrf_client, admin_user):
    log_in(csrf_client)
    response = csrf_client.post("/boxes/new/", {"name": "Gate", "record_upload_period": 5,
                                                "device_monitor_period": 20})
    assert response.status_code == 403
    assert not Box.objects.exists()


def test_admin_creates_a_box_and_sees_it_listed(csrf_client, admin_user, broker_admin):
    log_in(csrf_client)
    token = csrf_token(csrf_client, "/boxes/new/")
    response = csrf_client.post("/boxes/new/", {"name": "North gate", "record_upload_period": 5,
                                                "device_monitor_period": 20, "csrfmiddlewaretoken": token},
                                follow=True)
    box = Box.objects.get(name="North gate")
    try:
        assert box.dev_sno.encode() in response.content
        assert broker_admin.user_exists(box.broker_username)
        listing = csrf_client.get("/boxes/").content.decode()
        assert "North gate" in listing and box.dev_sno in listing and "not bound" in listing
    finally:
        broker_admin.delete_box_resources(box)


def test_invalid_form_shows_errors(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/boxes/new/", {"name": "", "record_upload_period": 0, "device_monitor_period": 20})
    assert response.status_code == 200
    assert b"is-invalid" in response.content
    assert not Box.objects.exists()


def test_console_actions_disable_enable_release_rotate(client, admin_user, make_box, broker_admin):
    box = make_box("Door")
    client.force_login(admin_user)
    client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x112233445566"})

    page = client.post(f"/boxes/{box.pk}/disable/", follow=True)
    assert b"Box disabled" in page.content
    box.refresh_from_db()
    assert not box.enabled and not broker_admin.user_exists(box.broker_username)

    client.post(f"/boxes/{box.pk}/enable/")
    box.refresh_from_db()
    assert box.enabled and broker_admin.user_exists(box.broker_username)

    client.post(f"/boxes/{box.pk}/release-binding/")
    box.refresh_from_db()
    assert box.hex_mac == ""

    old_password = box.broker_password
    client.post(f"/boxes/{box.pk}/rotate-credentials/")
    box.refresh_from_db()
    assert box.broker_password != old_password

    assert client.get(f"/boxes/{box.pk}/rotate-credentials/").status_code == 405


def test_box_page_shows_what_the_installer_needs(client, admin_user, make_box):
    box = make_box("Lobby")
    client.force_login(admin_user)
    page = client.get(f"/boxes/{box.pk}/").content.decode()
    assert "<title>Lobby · AIBOX platform</title>" in page
    assert box.dev_sno in page
    assert "http://testserver/box/login" in page
