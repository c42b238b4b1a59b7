"""Status reports and device operate events, at the URLs the login hands out."""
import time
from unittest.mock import ANY

import requests

from devices.models import Box, BoxStatus, SubDevice
from tests.console_socket import ConsoleSocket
from tests.helpers import STATUS


def login(client, box) -> dict:
    return client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x0000000000e2"}).json()


def test_status_report_is_kept_and_marks_the_box_seen(client, make_box, admin_user):
    box = make_box("status")
    reply = login(client, box)
    response = client.post(reply["deviceMonitorAddr"], STATUS, content_type="application/json")
    assert response.status_code == 200
    status = BoxStatus.objects.get(box=box)
    assert (status.cpu_usage, status.disk_free_size, status.gateway_ip) == (6.5, 9.41, "192.168.1.251")
    device = SubDevice.objects.get(box=box)
    assert (device.ep_id, device.device_type, device.status) == ("X__192.168.1.101", 2, "online")
    client.post(reply["deviceMonitorAddr"], {**STATUS, "sub_devices": []}, content_type="application/json")
    assert SubDevice.objects.get(box=box).status == "offline"  # no longer listed
    client.force_login(admin_user)
    page = client.get(f"/boxes/{box.pk}/").content.decode()
    assert "6.5 %" in page and "X__192.168.1.101" in page


def test_a_report_that_changes_only_figures_writes_the_report_and_the_time_only(client, make_box):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    box = make_box("steady")
    url = login(client, box)["deviceMonitorAddr"]
    second = {**STATUS["sub_devices"][0], "ep_id": "X__192.168.1.102", "ep_ip": "192.168.1.102"}
    client.post(url, {**STATUS, "sub_devices": [*STATUS["sub_devices"], second]}, content_type="application/json")
    before = dict(SubDevice.objects.values_list("ep_id", "updated_at"))
    busier = {**STATUS["gateway_ext_data"], "cpu_usage": 77.5}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {**STATUS, "gateway_ext_data": busier,
                                     "sub_devices": [*STATUS["sub_devices"], second]}, content_type="application/json")
    assert response.status_code == 200
    assert BoxStatus.objects.get(box=box).cpu_usage == 77.5
    assert dict(SubDevice.objects.values_list("ep_id", "updated_at")) == before
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    tables = sorted(sql.split('"')[1] for sql in writes)
    assert tables == ["devices_box", "devices_boxstatus"], writes  # the report, and the box's last seen time
    renamed = {**second, "ep_name": "Back gate"}
    client.post(url, {**STATUS, "sub_devices": [renamed]}, content_type="application/json")
    devices = {d.ep_id: d for d in SubDevice.objects.filter(box=box)}
    assert devices["X__192.168.1.102"].name == "Back gate" and devices["X__192.168.1.102"].status == "online"
    assert devices["X__192.168.1.101"].status == "offline"  # no longer listed
    assert devices["X__192.168.1.101"].updated_at > before["X__192.168.1.101"]


def test_bad_status_changes_nothing(client, make_box):
    box = make_box("bad status")
    url = login(client, box)["deviceMonitorAddr"]
    bad = {**STATUS, "gateway_ext_data": {**STATUS["gateway_ext_data"], "cpu_usage": "lots"}}
    response = client.post(url, bad, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == 40091
    assert not BoxStatus.objects.exists() and not SubDevice.objects.exists()


def test_device_operate_events_add_and_remove_sub_devices(client, make_box):
    box = make_box("operate")
    url = login(client, box)["deviceInfoAddr"]
    info = {"epId": "X__10.0.0.7", "devSno": box.dev_sno, "direction": 0, "epType": "4", "memo": "door",
            "epName": "Front pad", "epIp": "10.0.0.7", "epStatus": "1", "epVersion": "1.0", "epGroupName": "",
            "epStreamUrl": "", "lastMonitorTime": 1700000000, "isMonitor": True, "privilegeGroupKey": ""}
    added = client.post(url, {"actionType": 1, "deviceInfo": info}, content_type="application/json")
    assert added.json() == {"status": 0, "message": "成功", "data": None}
    device = SubDevice.objects.get(box=box)
    assert (device.name, device.device_type, device.status, device.details["memo"]) == ("Front pad", 4, "online",
                                                                                          "door")
    client.post(url, {"actionType": 2, "deviceInfo": {"epId": "X__10.0.0.7"}}, content_type="application/json")
    assert not SubDevice.objects.exists()
    bad = client.post(url, {"actionType": 3, "deviceInfo": info}, content_type="application/json")
    assert bad.status_code == 400


def is_box_update(message: dict) -> bool:
    return message.get("kind") == "box"


def test_a_box_reporting_offline_is_shown_offline_at_once(make_box, asgi_server, admin_user):
    """part 2 §4.5.3: gateway_status is online or offline; the box's own word is what the console shows."""
    box = make_box("reporting")
    base = asgi_server.url
    reply = requests.get(f"{base}/box/login", params={"dev_sno": box.dev_sno, "hex_mac": "0x0000000000e3"}).json()
    assert Box.objects.get(pk=box.pk).is_online
    page = ConsoleSocket.for_user(asgi_server, admin_user)
    try:
        time.sleep(0.5)  # the page's live subscription is in place
        response = requests.post(base + reply["deviceMonitorAddr"], json={**STATUS, "gateway_status": "offline"})
        assert response.status_code == 200, response.text
        assert page.next(is_box_update, 3.0) == {"kind": "box", "site": None, "id": box.pk, "name": box.name,
                                                 "dev_sno": box.dev_sno, "online": False, "last_seen_at": ANY}
        assert not Box.objects.get(pk=box.pk).is_online
        html = page.http.get(f"/boxes/{box.pk}/").content.decode()
        assert 'title="Its last status report said gateway_status: offline."' in html

        # Its other calls do not contradict its report; a report saying online does.
        operate = {"actionType": 2, "deviceInfo": {"epId": "gone"}}
        assert requests.post(base + reply["deviceInfoAddr"], json=operate).status_code == 200
        assert page.quiet(is_box_update, 1.0) and not Box.objects.get(pk=box.pk).is_online
        assert requests.post(base + reply["deviceMonitorAddr"], json=STATUS).status_code == 200
        assert page.next(is_box_update, 3.0)["online"] is True and Box.objects.get(pk=box.pk).is_online

        # Offline again, then a new login: a box logging in is up.
        requests.post(base + reply["deviceMonitorAddr"], json={**STATUS, "gateway_status": "OFFLINE"})
        assert page.next(is_box_update, 3.0)["online"] is False
        requests.get(f"{base}/box/login", params={"dev_sno": box.dev_sno, "hex_mac": "0x0000000000e3"})
        assert page.next(is_box_update, 3.0)["online"] is True
    finally:
        page.socket.close()


BAD_STATUS = [[STATUS], {**STATUS, "sub_devices": [None]}, {**STATUS, "sub_devices": [{"ep_id": ""}]},
              {**STATUS, "gateway_ext_data": "fast"}, {**STATUS, "sub_devices": [{"ep_id": "a", "ep_type": "gate"}]},
              {**STATUS, "gateway_ext_data": {"cpu_usage": True}}]


def test_every_kind_of_bad_status_report_is_refused_with_the_contract_code(client, make_box):
    url = login(client, make_box("bad reports"))["deviceMonitorAddr"]
    for body in BAD_STATUS:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"]["code"] == 40091, body
        assert response.json()["error"]["status"] == "PARAM_ERROR"
    assert not BoxStatus.objects.exists() and not SubDevice.objects.exists()
    sparse = client.post(url, {"gateway_status": "online", "gateway_ext_data": None, "sub_devices": None},
                         content_type="application/json")
    assert sparse.status_code == 200  # what a report leaves out is kept empty, as it always was
    assert (BoxStatus.objects.get().gateway_sn, BoxStatus.objects.get().cpu_usage) == ("", None)


def test_device_operate_events_read_either_spelling_and_refuse_what_is_not_one(client, make_box):
    box = make_box("spelling")
    url = login(client, box)["deviceInfoAddr"]
    added = client.post(url, {"actiontype": "1", "deviceInfo": {"epId": "X__10.0.0.8", "epType": "1", "extra": 7}},
                        content_type="application/json")
    assert added.status_code == 200
    device = SubDevice.objects.get(box=box)
    assert (device.ep_id, device.device_type, device.details) == ("X__10.0.0.8", 1, {"extra": 7})
    for body in ({"actionType": 1}, {"actionType": 1, "deviceInfo": {}}, {"deviceInfo": {"epId": "a"}},
                 {"actionType": 1, "deviceInfo": {"epId": "a", "epType": "door"}}, ["actionType"]):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"]["code"] == 40091, body
    assert SubDevice.objects.count() == 1
