"""Console log-in: throttled per account and per address; the first password's life."""
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

PASSWORD = "correct horse battery"


@pytest.fixture
def administrator(db):
    return get_user_model().objects.create_superuser("admin", "", PASSWORD)


def attempt(client: Client, url: str, username: str, password: str, address: str = "198.51.100.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_wrong_passwords_then_the_right_one_is_refused(administrator, settings, url):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, url, "admin", "wrong").status_code == 200  # the form again, with its error
    assert attempt(client, url, "admin", "wrong").status_code == 429  # the limit-th failure locks
    refused = attempt(client, url, "admin", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed log-in attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_one_address_trying_many_accounts_is_stopped(administrator, settings):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "/login/", f"guess{n}", "wrong")
    assert attempt(client, "/login/", "admin", PASSWORD).status_code == 429


def test_one_account_tried_from_many_addresses_is_stopped(administrator, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "/login/", "admin", "wrong", address=f"203.0.113.{n + 1}")
    assert attempt(Client(), "/login/", "admin", PASSWORD, address="192.0.2.50").status_code == 429


def test_a_few_mistakes_do_not_lock_anyone_out(administrator):
    client = Client()
    for _ in range(3):
        attempt(client, "/login/", "admin", "wrong")
    reply = attempt(client, "/login/", "admin", PASSWORD)
    assert reply.status_code == 302 and client.session["_auth_user_id"] == str(administrator.pk)


def test_failed_login_keeps_the_username(administrator):
    page = attempt(Client(), "/login/", "admin", "wrong").content.decode()
    assert 'value="admin"' in page


def test_weak_admin_password_is_refused(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.ADMIN_PASSWORD = "admin"
    with pytest.raises(CommandError, match="ADMIN_PASSWORD is refused"):
        call_command("ensure_admin", stdout=io.StringIO())
    assert not get_user_model().objects.exists()


def test_first_password_file_goes_once_the_administrator_changes_it(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.ADMIN_PASSWORD = ""
    call_command("ensure_admin", stdout=io.StringIO())
    path = tmp_path / "initial-admin-password"
    username, first = path.read_text().split()
    client = Client()
    assert client.post("/login/", {"username": username, "password": first}).status_code == 302
    weak = client.post("/account/password/", {"old_password": first, "new_password1": "12345678",
                                              "new_password2": "12345678"})
    assert weak.status_code == 200 and path.exists()  # refused by the validators, file kept
    changed = client.post("/account/password/", {"old_password": first, "new_password1": "a-Better-one-42",
                                                 "new_password2": "a-Better-one-42"}, follow=True)
    assert changed.status_code == 200 and not path.exists()
    assert "file was removed" in changed.content.decode()
    assert get_user_model().objects.get(username=username).check_password("a-Better-one-42")
