"""Operators' API tokens (issue 16 item 3): several named ones per operator, the key shown once and
stored only as a digest, used with `Token` or `Bearer` on /api/ (not on /box/), revocable, refused
at once when their operator is disabled; and changing one's own password."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import create_api_token

PASSWORD = "correct horse battery"


def make_token_in_console(client: Client, name: str, lifetime: int = 0) -> str:
    """Create a token on the console page; returns the key the answering page shows."""
    page = client.post("/account/tokens/", {"name": name, "lifetime": lifetime})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    found = re.search(r'id="new-token-value" value="([0-9a-f]{64})"', page.content.decode())
    assert found, "the new key is shown"
    return found.group(1)


def api(key: str, path: str = "/api/boxes/", keyword: str = "Token"):
    return Client().get(path, HTTP_AUTHORIZATION=f"{keyword} {key}")


def test_a_token_made_in_the_console_is_shown_once_stored_hashed_used_and_revoked(client, admin_user):
    client.force_login(admin_user)
    key = make_token_in_console(client, "nightly export")
    second = make_token_in_console(client, "dashboard")
    assert key != second
    listing = client.get("/account/tokens/").content.decode()
    assert "nightly export" in listing and "dashboard" in listing
    assert key not in listing and key[:8] in listing  # not again; its first characters tell it apart
    token = ApiToken.objects.get(name="nightly export")
    assert key not in {token.digest, token.token_key} and len(token.digest) == 128

    assert token.last_used_at is None
    assert api(key).status_code == 200
    assert api(key, keyword="Bearer").status_code == 200
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)
    assert "never" not in client.get("/account/tokens/").content.decode().split("nightly export")[1][:400]

    revoked = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert "it no longer works" in revoked.content.decode()
    refused = api(key)
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"
    assert api(second).status_code == 200  # the other token is untouched


def test_an_operator_revokes_only_their_own_tokens(client, admin_user, django_user_model):
    other = django_user_model.objects.create_user("clerk", password=PASSWORD)
    theirs, key = create_api_token(other, name="theirs", valid_for=None)
    client.force_login(admin_user)
    assert "theirs" not in client.get("/account/tokens/").content.decode()
    assert client.post(f"/account/tokens/{theirs.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_a_token_without_a_name_is_refused_with_a_reason(client, admin_user):
    client.force_login(admin_user)
    page = client.post("/account/tokens/", {"name": "", "lifetime": 0})
    assert page.status_code == 400 and "This field is required" in page.content.decode()
    assert not ApiToken.objects.exists()


def test_a_disabled_operators_tokens_and_session_stop_at_once(admin_user):
    _, key = create_api_token(admin_user, name="script", valid_for=None)
    browser = Client()
    browser.force_login(admin_user)
    assert api(key).status_code == 200 and browser.get("/api/boxes/").status_code == 200
    admin_user.is_active = False
    admin_user.save()
    assert api(key).status_code == 401
    assert browser.get("/api/boxes/").status_code == 401  # the session no longer names anyone
    assert browser.get("/boxes/").status_code == 302


def test_an_expired_token_is_refused(admin_user):
    token, key = create_api_token(admin_user, name="short", valid_for=timedelta(days=30))
    assert api(key).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    assert api(key).status_code == 401


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token \xff\xfe", "Token " + "0" * 64, "Bearer nope"])
def test_a_malformed_or_unknown_token_is_a_401(admin_user, header):
    reply = Client().get("/api/boxes/", HTTP_AUTHORIZATION=header)
    assert reply.status_code == 401 and "detail" in reply.json()


def test_a_token_acts_with_its_operators_rights(django_user_model):
    """Token use gets the operator's own rights, never more (here: an account that is not an administrator)."""
    clerk = django_user_model.objects.create_user("clerk", password=PASSWORD)
    _, key = create_api_token(clerk, name="clerk's", valid_for=None)
    assert api(key).status_code == 403


def test_an_api_token_does_not_open_the_box_endpoints(admin_user, make_box):
    box = make_box("gate")
    _, key = create_api_token(admin_user, name="script", valid_for=None)
    reply = Client().get("/box/persons", {"dev_sno": box.dev_sno}, HTTP_AUTHORIZATION=f"Token {key}")
    assert reply.status_code == 401 and "error" in reply.json()


def test_the_openapi_schema_describes_the_token(admin_user):
    _, key = create_api_token(admin_user, name="docs", valid_for=None)
    schema = api(key, "/api/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["apiToken"]
    assert scheme["type"] == "http" or scheme["in"] == "header"
    assert {"apiToken": []} in schema["paths"]["/api/boxes/"]["get"]["security"]


def test_create_api_token_command_prints_a_working_key(admin_user):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_api_token", "admin", "--name", "ci", "--days", "7", stdout=out)
    key = out.getvalue().strip()
    assert api(key).status_code == 200
    assert ApiToken.objects.get(name="ci").expiry.date() == (timezone.now() + timedelta(days=7)).date()


@pytest.mark.django_db(transaction=True)
def test_tokens_made_before_named_tokens_keep_working_and_their_plaintext_goes(django_user_model):
    """DRF's authtoken kept one plaintext key per user; a database from then migrates forward."""
    admin = django_user_model.objects.create_superuser("admin", "", PASSWORD)
    old_key = "0123456789abcdef0123456789abcdef01234567"
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("accounts", "0002_api_token")])
        with connection.cursor() as cursor:
            cursor.execute('CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, created timestamp, '
                           "user_id integer)")
            cursor.execute('INSERT INTO authtoken_token ("key", created, user_id) VALUES (%s, %s, %s)',
                           [old_key, timezone.now(), admin.pk])
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS authtoken_token")
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert "authtoken_token" not in connection.introspection.table_names()
    assert api(old_key).status_code == 200
    assert ApiToken.objects.get(user=admin).name == "API token (before named tokens)"


def test_changing_ones_own_password_ends_other_sessions_and_keeps_this_one(admin_user):
    here, elsewhere = Client(), Client()
    for browser in (here, elsewhere):
        assert browser.post("/login/", {"username": "admin", "password": PASSWORD}).status_code == 302
    weak = here.post("/account/password/", {"old_password": PASSWORD, "new_password1": "12345678",
                                            "new_password2": "12345678"})
    assert weak.status_code == 200 and "too common" in weak.content.decode()
    changed = here.post("/account/password/", {"old_password": PASSWORD, "new_password1": "a new long phrase 7",
                                               "new_password2": "a new long phrase 7"}, follow=True)
    assert "Password changed" in changed.content.decode()
    assert here.get("/boxes/").status_code == 200
    assert elsewhere.get("/boxes/").status_code == 302
    assert Client().post("/login/", {"username": "admin", "password": PASSWORD}).status_code == 200
    assert Client().post("/login/", {"username": "admin", "password": "a new long phrase 7"}).status_code == 302


def test_the_user_menu_leads_to_password_and_tokens_in_both_languages(client, admin_user):
    client.force_login(admin_user)
    english = client.get("/account/tokens/").content.decode()
    chinese = client.get("/account/tokens/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="user-menu"' in english and 'href="/account/password/"' in english
    assert "Your API tokens" in english and "你的 API 令牌" in chinese
