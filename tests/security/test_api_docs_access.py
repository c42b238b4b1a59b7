"""The API description is for administrators unless a site opens it on purpose."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.services import create_api_token


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_anonymous_cannot_read_the_api_description(db, path):
    reply = Client().get(path)
    assert reply.status_code in (302, 401, 403)
    assert b"openapi" not in reply.content.lower()


def test_docs_send_a_browser_to_the_login_page(db):
    reply = Client().get("/api/docs/")
    assert reply.status_code == 302 and reply["Location"].startswith("/login/")


def test_non_staff_cannot_read_the_schema(db):
    user = get_user_model().objects.create_user("visitor", password="x-Visitor-pw-1")
    client = Client()
    client.force_login(user)
    assert client.get("/api/schema/").status_code == 403


def test_administrator_reads_schema_with_a_token(db):
    admin = get_user_model().objects.create_superuser("admin", "", "correct horse battery")
    key = create_api_token(admin, name="docs", valid_for=None)[1]
    reply = Client().get("/api/schema/", HTTP_AUTHORIZATION=f"Token {key}",
                         HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert reply.status_code == 200 and reply.json()["openapi"].startswith("3.")
