"""HTTP runs on a fixed pool of threads per web process (cloudplatform/asgi.py); a request's
body is read before it gets one (cloudplatform/wsgi_threads.py)."""
import http.client
import json
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings

from cloudplatform.wsgi_threads import WSGIOnThreads
from devices.models import BoxStatus

from .helpers import STATUS


def test_boxes_uploading_slowly_hold_no_web_thread(asgi_server, make_box):
    """More boxes than the process has threads start sending a batch and stall (a slow link);
    another box's status report is still answered at once."""
    box = make_box("fast")
    login = requests.get(f"{asgi_server.url}/box/login", params={"dev_sno": box.dev_sno, "hex_mac": "0x0000000000f7"},
                         timeout=10).json()
    record = urlsplit(login["recordAddr"])
    stalled = []
    try:
        for _ in range(settings.WEB_THREADS + 2):
            connection = socket.create_connection(("127.0.0.1", asgi_server.port), timeout=10)
            connection.sendall(f"POST {record.path}?{record.query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[".encode())
            stalled.append(connection)
        response = requests.post(asgi_server.url + login["deviceMonitorAddr"], json=STATUS, timeout=10)
        assert response.status_code == 200, response.text
    finally:
        for connection in stalled:
            connection.close()


def test_a_chunked_body_is_read_whole(asgi_server, make_box):
    """No Content-Length (a box streaming its batch): Django's WSGI request reads nothing without one."""
    box = make_box("chunked")
    login = requests.get(f"{asgi_server.url}/box/login", params={"dev_sno": box.dev_sno, "hex_mac": "0x0000000000f8"},
                         timeout=10).json()
    sent = json.dumps(STATUS).encode()
    chunks = (sent[i:i + 100] for i in range(0, len(sent), 100))
    response = requests.post(asgi_server.url + login["deviceMonitorAddr"], data=chunks,
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 200, response.text
    assert BoxStatus.objects.get(box=box).gateway_name == STATUS["gateway_name"]


def test_small_and_large_responses_arrive_whole(asgi_server):
    """A small response is sent in one go, a large one streams (over BUFFERED_RESPONSE)."""
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    from cloudplatform.wsgi_threads import BUFFERED_RESPONSE

    for name in ("css/console.css", "admin/js/vendor/xregexp/xregexp.js"):
        expected = open(finders.find(name), "rb").read()
        response = requests.get(asgi_server.url + static(name), headers={"Accept-Encoding": "identity"}, timeout=10)
        assert response.status_code == 200 and response.content == expected, name
    assert len(expected) > BUFFERED_RESPONSE  # the second one streamed


def test_box_calls_go_through_their_own_middleware_and_the_console_through_its_own(asgi_server, make_box):
    """cloudplatform/box_calls.py: a box's call gets none of the console's page policy, keeps the
    security headers, may run and frame nothing (an HTML 404 under /box/ neither) and gets its
    messages in the language it asks for; a console page keeps all of its middleware."""
    box = make_box("lean")
    login = requests.get(f"{asgi_server.url}/box/login", params={"dev_sno": box.dev_sno, "hex_mac": "0x0000000000f9"},
                         timeout=10).json()
    report = requests.post(asgi_server.url + login["deviceMonitorAddr"], json=STATUS, timeout=10)
    assert report.status_code == 200, report.text
    assert BoxStatus.objects.get(box=box).gateway_name == STATUS["gateway_name"]
    assert report.headers["X-Content-Type-Options"] == "nosniff"
    # Not the console's page policy (CSPMiddleware's), which lets the console's own scripts run.
    assert report.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert report.headers["X-Frame-Options"] == "DENY"
    missing = requests.get(f"{asgi_server.url}/box/nothing-here", headers={"Accept": "text/html"}, timeout=10)
    assert missing.status_code == 404 and missing.headers["Content-Security-Policy"] == (
        "default-src 'none'; frame-ancestors 'none'")
    refused = requests.post(f"{asgi_server.url}/box/status?dev_sno={box.dev_sno}&token=wrong", json=STATUS,
                            headers={"Accept-Language": "zh-hans"}, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"]["message"] == "dev_sno 或 token 无效，请重新登录。"
    page = requests.get(f"{asgi_server.url}/login/", timeout=10)
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for header in ("X-Frame-Options", "X-Content-Type-Options"):
        assert header in page.headers, header
    assert "csrftoken" in page.cookies


def test_server_timing_says_where_a_response_spent_its_time_when_asked(asgi_server, make_box, settings):
    """SERVER_TIMING: waiting for a web thread, then in Django, the thread's CPU and its wait for
    grouped writes in it, then waiting for the event loop (milliseconds); none when off."""
    box = make_box("timed")
    login_url = f"{asgi_server.url}/box/login"
    params = {"dev_sno": box.dev_sno, "hex_mac": "0x0000000000fa"}
    settings.SERVER_TIMING = False
    assert "Server-Timing" not in requests.get(login_url, params=params, timeout=10).headers
    settings.SERVER_TIMING = True
    login = requests.get(login_url, params=params, timeout=10)
    figures = _server_timing(login)
    assert set(figures) == {"wait", "app", "cpu", "write", "loop"} and all(value >= 0 for value in figures.values())
    assert figures["app"] > 0  # a login takes time in Django
    assert 0 < figures["cpu"] <= figures["app"] + 0.1  # its thread's CPU, within its time (rounded)
    settings.GROUPED_WRITES = True  # as on SQLite, the default: a status report waits for the writing thread
    token = login.json()["token"]
    status = requests.post(f"{asgi_server.url}/box/status", params={"dev_sno": box.dev_sno, "token": token},
                           json={"gateway_status": "online", "sub_devices": []}, timeout=10)
    assert status.status_code == 200, status.text
    report = _server_timing(status)
    assert 0 < report["write"] <= report["app"] + 0.1


def _server_timing(response) -> dict[str, float]:
    return {name: float(value) for name, value in
            (part.strip().split(";dur=") for part in response.headers["Server-Timing"].split(","))}


def test_a_kept_alive_connection_is_closed_after_its_last_request(asgi_server, settings):
    """WEB_KEEPALIVE_REQUESTS: the connection's last answer says Connection: close and the
    server closes it (so that pooled connections spread again over the web processes)."""
    settings.WEB_KEEPALIVE_REQUESTS = 3
    with socket.create_connection(("127.0.0.1", asgi_server.port), timeout=10) as connection:
        said = []
        for _ in range(3):
            connection.sendall(b"GET /box/nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            response = http.client.HTTPResponse(connection)
            response.begin()
            response.read()
            said.append(response.getheader("Connection"))
        assert said == [None, None, "close"]
        assert connection.recv(1) == b""  # closed by the server
    settings.WEB_KEEPALIVE_REQUESTS = 0  # never closed
    with socket.create_connection(("127.0.0.1", asgi_server.port), timeout=10) as connection:
        for _ in range(5):
            connection.sendall(b"GET /box/nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            response = http.client.HTTPResponse(connection)
            response.begin()
            response.read()
            assert response.getheader("Connection") is None


def test_connections_a_proxy_renamed_or_that_close_anyway_are_not_counted(settings):
    """Behind a trusted proxy uvicorn puts the X-Forwarded-For address in the scope with port 0:
    many connections would share one count, so none is kept; nor for HTTP/1.0 or a request
    that closes its connection itself."""
    settings.WEB_KEEPALIVE_REQUESTS = 3
    server = WSGIOnThreads(app=None, threads=1)
    proxied = {"client": ("203.0.113.7", 0), "http_version": "1.1", "headers": []}
    old_client = {"client": ("127.0.0.1", 40001), "http_version": "1.0", "headers": []}
    closing = {"client": ("127.0.0.1", 40002), "http_version": "1.1", "headers": [(b"connection", b"Close")]}
    for scope in (proxied, old_client, closing):
        assert not any(server._is_connections_last(scope) for _ in range(10))
    assert server.requests_by_connection == {}
    kept = {"client": ("127.0.0.1", 40003), "http_version": "1.1", "headers": []}
    assert [server._is_connections_last(kept) for _ in range(4)] == [False, False, True, False]
    server.executor.shutdown()
