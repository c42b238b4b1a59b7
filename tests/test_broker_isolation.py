"""Per-box broker identities: each box reaches its own queue and the upload queue, nothing else."""
import time

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker, ProbableAuthenticationError

from devices.services import disable_box, enable_box, rotate_credentials

from .broker import amqp_connect, platform_connect

MAC_A, MAC_B = "0x0000000000aa", "0x0000000000bb"


@pytest.fixture
def two_boxes(client, make_box):
    a, b = make_box("A"), make_box("B")
    reply_a = client.get("/box/login", {"dev_sno": a.dev_sno, "hex_mac": MAC_A}).json()
    reply_b = client.get("/box/login", {"dev_sno": b.dev_sno, "hex_mac": MAC_B}).json()
    return (a, reply_a["rabbitmq"]), (b, reply_b["rabbitmq"])


def assert_refused(operation) -> None:
    with pytest.raises(ChannelClosedByBroker) as refusal:
        operation()
    assert refusal.value.reply_code == 403, refusal.value


def test_box_cannot_consume_another_box_queue(two_boxes):
    (_, mq_a), (_, mq_b) = two_boxes
    with amqp_connect(mq_a) as connection:
        channel = connection.channel()
        assert_refused(lambda: channel.basic_consume(mq_b["queue"], lambda *args: None))
    with amqp_connect(mq_a) as connection:
        assert_refused(lambda: connection.channel().basic_get(mq_b["queue"]))


def test_box_cannot_declare_or_bind_other_queues(two_boxes):
    (_, mq_a), (_, mq_b) = two_boxes
    with amqp_connect(mq_a) as connection:
        assert_refused(lambda: connection.channel().queue_declare("some.other.queue", durable=True))
    with amqp_connect(mq_a) as connection:
        # Binding B's queue to A's exchange, or A's queue to B's exchange (to read B's commands).
        assert_refused(lambda: connection.channel().queue_bind(mq_b["queue"], mq_a["exchange"]["name"]))
    with amqp_connect(mq_a) as connection:
        assert_refused(lambda: connection.channel().queue_bind(mq_a["queue"], mq_b["exchange"]["name"]))
    with amqp_connect(mq_a) as connection:
        assert_refused(lambda: connection.channel().exchange_declare("rogue", "fanout"))
    with amqp_connect(mq_a, vhost_key="uploadVHost") as connection:
        assert_refused(lambda: connection.channel().queue_declare("rogue.upload", durable=True))


def test_box_cannot_publish_to_another_box_queue(two_boxes):
    (_, mq_a), (_, mq_b) = two_boxes
    for exchange, routing_key in (("", mq_b["queue"]), (mq_b["exchange"]["name"], mq_b["queue"])):
        with amqp_connect(mq_a) as connection:
            channel = connection.channel()
            channel.confirm_delivery()
            assert_refused(lambda: channel.basic_publish(exchange, routing_key, b"{}"))  # noqa: B023


def test_box_cannot_reach_the_default_vhost(two_boxes):
    (_, mq_a), _ = two_boxes
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        amqp_connect({**mq_a, "vHost": "/"})


def test_disabled_box_cannot_connect_and_its_connections_are_closed(two_boxes):
    (box, mq), _ = two_boxes
    open_connection = amqp_connect(mq)
    disable_box(box)
    with pytest.raises(ProbableAuthenticationError):
        amqp_connect(mq)
    assert _closed_within(open_connection, seconds=10), "the disabled box's open connection was left open"

    enable_box(box)
    amqp_connect(mq).close()


def test_old_password_stops_working_after_rotation(client, two_boxes):
    (box, old_mq), _ = two_boxes
    open_connection = amqp_connect(old_mq)
    rotate_credentials(box)
    with pytest.raises(ProbableAuthenticationError):
        amqp_connect(old_mq)
    assert _closed_within(open_connection, seconds=10)
    box.refresh_from_db()
    assert not box.token_hash, "rotation must void the token"

    new_mq = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": MAC_A}).json()["rabbitmq"]
    assert new_mq["password"] != old_mq["password"]
    amqp_connect(new_mq).close()


def _closed_within(connection: pika.BlockingConnection, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection.process_data_events(time_limit=0.2)
        except pika.exceptions.AMQPConnectionError:
            return True
        if connection.is_closed:
            return True
    connection.close()
    return False


def test_box_reads_its_own_fiqa_queue_and_answers_on_the_fiqa_upload_queue(two_boxes):
    (_, mq_a), (_, mq_b) = two_boxes
    with amqp_connect(mq_a) as connection:
        channel = connection.channel()
        channel.queue_declare(mq_a["fiqaDownQueue"], passive=True)
        channel.basic_get(mq_a["fiqaDownQueue"])
        assert_refused(lambda: channel.basic_get(mq_b["fiqaDownQueue"]))
    with amqp_connect(mq_a, vhost_key="uploadVHost") as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish("", mq_a["fiqaUploadQueue"], b'{"probe": "isolation-test"}', mandatory=True)
    with platform_connect(mq_a["uploadVHost"]) as platform:
        channel = platform.channel()
        bodies = []
        while (message := channel.basic_get(mq_a["fiqaUploadQueue"], auto_ack=True))[0] is not None:
            bodies.append(message[2])
    assert b'{"probe": "isolation-test"}' in bodies
