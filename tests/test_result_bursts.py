"""Command results stored in bursts (issue 17 item 2): the results consumer stores every result
that has arrived in one transaction with bulk writes and acknowledges them only after it
committed. Each outcome is stored once, a result delivered again doubles nothing, and a burst
the database refuses goes back to the queue whole, to be stored once later."""
import json
import os
import subprocess
import sys
import time

import pika
import pytest
from django.conf import settings
from django.db import DatabaseError

from distribution import results
from distribution.models import Command, CommandOutcome, Enrolment, ReceivedResult

from .broker import platform_connect
from .fakebox import drain_results
from .helpers import database_url
from .paths import REPO

BOXES, COMMANDS_PER_BOX, PEOPLE_PER_COMMAND = 3, 4, 25


@pytest.fixture
def sent(make_box) -> list[Command]:
    """Commands of add_users_plus published to three boxes, each person pending on its box, as
    distribution leaves them; the upload queue empty."""
    commands = []
    for b in range(BOXES):
        box = make_box(f"gate {b}")
        for c in range(COMMANDS_PER_BOX):
            ids = [f"p{b}-{c}-{i}" for i in range(PEOPLE_PER_COMMAND)]
            command = Command.objects.create(box=box, method=Command.Method.ADD_USERS, state=Command.State.PUBLISHED,
                                             payload={"method": "add_users_plus", "userid_list": ids})
            Enrolment.objects.bulk_create(Enrolment(box=box, identity_id=i, command=command) for i in ids)
            commands.append(command)
    with platform_connect(settings.BOX_UPLOAD_VHOST) as connection:
        connection.channel().queue_purge(settings.BOX_UPLOAD_QUEUE)
    return commands


def result_of(command: Command) -> dict:
    """The box's answer (upstream §5.4): the last person of each command failed (no face)."""
    ids = command.payload["userid_list"]
    return {"success": True, "code": 0, "message": "done", "dev_sno": command.box.dev_sno,
            "messageKey": "add_users_plus", "messageId": str(command.message_id),
            "result": {"success_users": [{"userid": i, "username": "", "code": 0, "message": "enrolled"}
                                         for i in ids[:-1]],
                       "failed_users": [{"userid": ids[-1], "username": "", "code": 40001, "message": "no face"}]}}


def publish(bodies: list[dict]) -> None:
    with platform_connect(settings.BOX_UPLOAD_VHOST) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        for body in bodies:
            channel.basic_publish("", settings.BOX_UPLOAD_QUEUE, json.dumps(body).encode(),
                                  pika.BasicProperties(delivery_mode=2), mandatory=True)


def waiting_in_queue() -> int:
    with platform_connect(settings.BOX_UPLOAD_VHOST) as connection:
        return connection.channel().queue_declare(settings.BOX_UPLOAD_QUEUE, passive=True).method.message_count


def assert_stored_once(commands: list[Command]) -> None:
    outcomes = list(CommandOutcome.objects.values_list("command_id", "identity_id", "success", "code"))
    assert len(outcomes) == len(set((c, i) for c, i, _, _ in outcomes)) == len(commands) * PEOPLE_PER_COMMAND
    assert sum(not ok for _, _, ok, _ in outcomes) == len(commands)
    assert set(Command.objects.values_list("state", flat=True)) == {Command.State.PARTLY_FAILED}
    states = dict(Enrolment.objects.values_list("identity_id", "state"))
    assert list(states.values()).count(Enrolment.State.FAILED) == len(commands)
    assert list(states.values()).count(Enrolment.State.ENROLLED) == len(commands) * (PEOPLE_PER_COMMAND - 1)
    assert Enrolment.objects.get(identity_id="p0-0-24").code == 40001


def test_the_consumer_process_stores_a_burst_once_each(transactional_db, sent):
    publish([result_of(c) for c in sent])
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    consumer = subprocess.Popen([sys.executable, "manage.py", "consume_results"], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while Command.objects.filter(state=Command.State.PUBLISHED).exists():
            assert consumer.poll() is None, consumer.stdout.read()
            assert time.monotonic() < deadline, "the consumer did not store every result"
            time.sleep(0.2)
        time.sleep(0.5)  # acknowledged after the commit: give it the moment
        assert waiting_in_queue() == 0
    finally:
        consumer.terminate()
        consumer.communicate(timeout=20)
    assert_stored_once(sent)
    assert ReceivedResult.objects.filter(error="").count() == len(sent)


def test_results_delivered_again_double_nothing(db, sent):
    bodies = [result_of(c) for c in sent]
    publish(bodies + bodies[:5])  # some twice in the same burst
    assert drain_results() == len(sent) + 5
    finished = dict(Command.objects.values_list("pk", "finished_at"))
    publish(bodies)  # and all of them again later (a consumer that died before its ack)
    assert drain_results() == len(sent)
    assert_stored_once(sent)
    assert dict(Command.objects.values_list("pk", "finished_at")) == finished
    assert ReceivedResult.objects.count() == 2 * len(sent) + 5  # every one kept as received


def test_a_burst_the_database_refuses_goes_back_to_the_queue_whole(db, sent, monkeypatch):
    real_write = results.ResultBatch.write

    def write_then_fail(self):
        real_write(self)  # the rows are written, then the transaction fails
        raise DatabaseError("disk full")

    publish([result_of(c) for c in sent])
    monkeypatch.setattr(results.ResultBatch, "write", write_then_fail)
    drain_results()
    assert CommandOutcome.objects.count() == 0 and ReceivedResult.objects.count() == 0
    assert set(Command.objects.values_list("state", flat=True)) == {Command.State.PUBLISHED}
    assert waiting_in_queue() == len(sent)
    monkeypatch.setattr(results.ResultBatch, "write", real_write)
    assert drain_results() == len(sent)
    assert_stored_once(sent)
