"""Box login (upstream §4, CONTRACT.md §2) against the real broker and database."""
import json
from urllib.parse import parse_qs, urlsplit

import pika
import pytest
from django.forms.models import model_to_dict
from django.test import override_settings

from devices.models import Box
from devices.services import disable_box

from .broker import amqp_connect, platform_connect

MAC = "0xe0a50900062b"
OTHER_MAC = "0xe0a50900ffff"


def login(client, **params):
    return client.get("/box/login", params)


def assert_contract_error(response, http_status: int, code: int, status_name: str):
    assert response.status_code == http_status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["status"] == status_name
    assert body["error"]["message"]


def test_login_reply_has_every_contract_field(client, make_box):
    box = make_box("gate", record_upload_period=7, device_monitor_period=30)
    response = login(client, dev_sno=box.dev_sno, hex_mac=MAC)
    assert response.status_code == 200, response.content
    reply = response.json()
    assert set(reply) == {
        "token", "rabbitmq", "imgServerAddr", "recordAddr", "recordUploadPeriod",
        "deviceInfoAddr", "deviceMonitorAddr", "deviceMonitorPeriod", "realtimeAddr",
    }
    mq = reply["rabbitmq"]
    assert set(mq) == {
        "host", "port", "login", "password", "queue", "vHost", "uploadVHost", "uploadQueue",
        "fiqaDownQueue", "fiqaUploadQueue", "unNeedBindExchange", "exchange",
    }
    assert set(mq["exchange"]) == {"name", "type", "passive", "durable", "auto_delete", "arguments"}
    assert mq["queue"] == box.queue_name and mq["login"] == box.broker_username
    assert reply["recordUploadPeriod"] == 7 and reply["deviceMonitorPeriod"] == 30
    # Report URLs are relative to the login host and carry dev_sno + token (CONTRACT.md §6a).
    for key in ("recordAddr", "deviceInfoAddr", "deviceMonitorAddr", "realtimeAddr"):
        url = urlsplit(reply[key])
        assert url.path.startswith("/box/") and not url.netloc
        assert parse_qs(url.query) == {"dev_sno": [box.dev_sno], "token": [reply["token"]]}
    # A plain base (upstream §4): imgServerAddr + relative_pic_url is the photo's URL (CONTRACT.md §6a).
    assert reply["imgServerAddr"] == "http://testserver"


def test_first_login_binds_the_mac_and_records_it(client, make_box):
    box = make_box()
    assert login(client, dev_sno=box.dev_sno, hex_mac="E0:A5:09:00:06:2B").status_code == 200
    box.refresh_from_db()
    assert box.hex_mac == MAC
    assert box.last_login_at is not None and box.last_login_ip == "127.0.0.1"
    assert box.is_online


def test_new_login_issues_a_new_token_and_voids_the_old(client, make_box):
    box = make_box()
    first = login(client, dev_sno=box.dev_sno, hex_mac=MAC).json()["token"]
    second = login(client, dev_sno=box.dev_sno, hex_mac=MAC).json()["token"]
    box.refresh_from_db()
    assert first != second
    assert box.token_matches(second) and not box.token_matches(first)


def test_returned_credentials_consume_the_box_queue_and_publish_results(client, make_box):
    box = make_box()
    mq = login(client, dev_sno=box.dev_sno, hex_mac=MAC).json()["rabbitmq"]

    connection = amqp_connect(mq)
    channel = connection.channel()
    exchange = mq["exchange"]
    channel.exchange_declare(exchange["name"], exchange["type"], passive=exchange["passive"],
                             durable=exchange["durable"], auto_delete=exchange["auto_delete"])
    channel.queue_declare(mq["queue"], durable=True, arguments={"x-queue-type": "classic"})
    if not mq["unNeedBindExchange"]:
        channel.queue_bind(mq["queue"], exchange["name"], routing_key=mq["queue"])

    command = {"method": "wipe_data", "messageId": "m-1", "extend_params": {}}
    with platform_connect(mq["vHost"]) as platform:
        platform.channel().basic_publish(exchange["name"], mq["queue"], json.dumps(command).encode(),
                                         pika.BasicProperties(delivery_mode=2))
    method, _, body = next(channel.consume(mq["queue"], inactivity_timeout=5))
    assert method is not None, "the command never reached the box's queue"
    assert json.loads(body) == command
    channel.basic_ack(method.delivery_tag)
    channel.cancel()
    connection.close()

    upload = amqp_connect(mq, vhost_key="uploadVHost")
    upload_channel = upload.channel()
    upload_channel.confirm_delivery()
    upload_channel.basic_publish("", mq["uploadQueue"], b'{"messageKey": "wipe_data", "messageId": "m-1"}',
                                 pika.BasicProperties(delivery_mode=2), mandatory=True)
    upload.close()
    with platform_connect(mq["uploadVHost"]) as platform:
        channel = platform.channel()
        found = []
        while (msg := channel.basic_get(mq["uploadQueue"], auto_ack=True))[0] is not None:
            found.append(json.loads(msg[2]))
    assert {"messageKey": "wipe_data", "messageId": "m-1"} in found


def test_unknown_code_is_refused(client, db):
    assert_contract_error(login(client, dev_sno="NOSUCH000020200101000000", hex_mac=MAC), 404, 40401, "ID_NOT_FOUND")


@pytest.mark.parametrize("params", [{}, {"dev_sno": "X"}, {"hex_mac": MAC}, {"dev_sno": "", "hex_mac": MAC}])
def test_missing_parameters_are_refused(client, db, params):
    assert_contract_error(login(client, **params), 400, 40091, "PARAM_ERROR")


def test_malformed_mac_is_refused_and_changes_nothing(client, make_box):
    box = make_box()
    before = model_to_dict(Box.objects.get(pk=box.pk))
    assert_contract_error(login(client, dev_sno=box.dev_sno, hex_mac="not-a-mac"), 400, 40091, "PARAM_ERROR")
    assert model_to_dict(Box.objects.get(pk=box.pk)) == before


def test_other_mac_is_refused_until_released_and_nothing_changes(client, make_box):
    box = make_box()
    assert login(client, dev_sno=box.dev_sno, hex_mac=MAC).status_code == 200
    before = Box.objects.get(pk=box.pk)
    assert_contract_error(login(client, dev_sno=box.dev_sno, hex_mac=OTHER_MAC), 403, 40000, "BAD_REQUEST")
    after = Box.objects.get(pk=box.pk)
    assert model_to_dict(after) == model_to_dict(before)
    assert (after.token_hash, after.last_login_at, after.last_seen_at) == (
        before.token_hash, before.last_login_at, before.last_seen_at)

    from devices.services import release_binding

    release_binding(after)
    assert login(client, dev_sno=box.dev_sno, hex_mac=OTHER_MAC).status_code == 200
    assert Box.objects.get(pk=box.pk).hex_mac == OTHER_MAC


def test_disabled_box_is_refused_and_nothing_changes(client, make_box):
    box = make_box()
    disable_box(box)
    before = model_to_dict(Box.objects.get(pk=box.pk))
    assert_contract_error(login(client, dev_sno=box.dev_sno, hex_mac=MAC), 403, 40000, "BAD_REQUEST")
    assert model_to_dict(Box.objects.get(pk=box.pk)) == before
    assert Box.objects.get(pk=box.pk).last_login_at is None


@override_settings(BOX_LOGIN_RATE_PER_CODE="3/min")
def test_login_attempts_are_throttled_per_code(client, make_box):
    box, other = make_box("a"), make_box("b")
    for _ in range(3):
        assert login(client, dev_sno=box.dev_sno, hex_mac=MAC).status_code == 200
    response = login(client, dev_sno=box.dev_sno, hex_mac=MAC)
    assert_contract_error(response, 429, 40000, "BAD_REQUEST")
    assert int(response["Retry-After"]) > 0
    # Another code from the same address is not affected by this code's limit.
    assert login(client, dev_sno=other.dev_sno, hex_mac=OTHER_MAC).status_code == 200


@override_settings(BOX_LOGIN_RATE_PER_ADDRESS="4/min")
def test_login_attempts_are_throttled_per_address(client, db):
    for i in range(4):
        assert login(client, dev_sno=f"GUESSX{i:04d}20200101000000", hex_mac=MAC).status_code == 404
    assert_contract_error(login(client, dev_sno="GUESSX999920200101000000", hex_mac=MAC), 429, 40000, "BAD_REQUEST")
    # Another address still gets through.
    assert client.get("/box/login", {"dev_sno": "X", "hex_mac": MAC}, REMOTE_ADDR="10.1.2.3").status_code == 404
