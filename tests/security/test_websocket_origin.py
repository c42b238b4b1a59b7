"""The console's live feed opens only for the console's own pages (same origin or configured)."""
import pytest
from django.test import Client
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from cloudplatform.websocket import is_console_origin


def open_feed(server, cookie: str, origin: str | None):
    headers = {"Cookie": cookie}
    return connect(server.url.replace("http", "ws") + "/ws/console/", additional_headers=headers,
                   origin=origin, open_timeout=5)


@pytest.fixture
def admin_cookie(admin_user) -> str:
    client = Client()
    client.force_login(admin_user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_the_console_page_itself_is_let_in(asgi_server, admin_cookie):
    with open_feed(asgi_server, admin_cookie, asgi_server.url) as socket:
        socket.ping().wait(5)


@pytest.mark.parametrize("origin", ["http://127.0.0.1:1", "http://evil.example", "null"])
def test_another_origin_with_the_administrators_cookie_is_refused(asgi_server, admin_cookie, origin):
    with pytest.raises(InvalidStatus) as refused:
        open_feed(asgi_server, admin_cookie, origin)
    assert refused.value.response.status_code == 403


def test_no_origin_is_refused(asgi_server, admin_cookie):
    with pytest.raises(InvalidStatus):
        open_feed(asgi_server, admin_cookie, None)


def test_configured_public_origin_is_accepted(settings):
    settings.PUBLIC_BASE_URL = "https://console.example.org"
    assert is_console_origin("https://console.example.org", "10.0.0.5:8000", secure=False)
    assert not is_console_origin("https://console.example.org:8443", "10.0.0.5:8000", secure=False)
    assert is_console_origin("http://10.0.0.5:8000", "10.0.0.5:8000", secure=False)
    assert not is_console_origin("http://10.0.0.5:8001", "10.0.0.5:8000", secure=False)
