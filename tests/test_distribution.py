"""People reach exactly the boxes that serve them; every command is tracked to its result.

A protocol-level fake box (pika, in the test) reads its real queue, fetches details and
photos over HTTP with the URLs it was given, and answers on the upload queue or notify_path.
"""
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from aibox_contract.codes import IMAGE_ERROR, IMAGE_TOO_LARGE, ContractCodeError
from distribution import services as distribution
from distribution.models import Command, CommandOutcome, Enrolment, ReceivedResult
from distribution.tasks import expire_commands, requeue_stuck_commands
from users import services
from users.models import PermissionGroup, Person
from users.photos import store_photo

from .broker import amqp_connect
from .fakebox import FakeBox, drain_results
from .helpers import broker_restart
from .paths import FACES


@pytest.fixture
def served_box(make_box, client, commit):
    box = make_box("gate")
    group = PermissionGroup.objects.create(name="staff")
    commit(services.set_group_boxes, group, [box])
    return box, group, FakeBox(client, box.dev_sno)


def test_new_person_is_sent_fetched_and_shown_enrolled(served_box, commit, photo):
    box, group, fake = served_box
    person = commit(services.create_person, name="Barack", identity_id="p-1", photo=photo,
                    permission_groups=[group], info={"department": "oval"})
    command = fake.receive()
    assert command["method"] == "add_users_plus" and command["userid_list"] == ["p-1"]
    assert set(command["extend_params"]) == {"path", "notify_path"}

    [details] = fake.details(command)
    assert details["identity_id"] == "p-1" and details["register_type"] == 1
    assert details["info"]["name"] == "Barack" and details["info"]["type"] == 1
    assert details["info"]["department"] == "oval"
    assert details["info"]["permission_ids"] == [str(group.key)]
    assert fake.photo(details["relative_pic_url"]).getvalue() == photo

    fake.answer_mq(fake.result(command, success=["p-1"]))
    assert drain_results() >= 1
    enrolment = Enrolment.objects.get(box=box, identity_id="p-1")
    assert enrolment.state == "enrolled" and enrolment.person == person
    stored = Command.objects.get(message_id=command["messageId"])
    assert stored.state == "done" and stored.outcomes.get().success


def test_each_kind_of_change_sends_the_right_command(served_box, commit, photo, make_box, client):
    box, group, fake = served_box
    person = commit(services.create_person, name="A", identity_id="p-2", photo=photo, permission_groups=[group])
    fake.answer_mq(fake.result(fake.receive(), success=["p-2"]))
    drain_results()

    commit(services.update_person, person, name="A. B.")
    assert fake.receive()["userid_list"] == ["p-2"]  # edited: sent again

    commit(services.update_person, person, photo=(FACES / "probe/obama/2.jpg").read_bytes())
    assert fake.receive()["method"] == "add_users_plus"  # photo replaced

    commit(services.update_person, person, permission_groups=[])
    removed = fake.receive()
    assert removed["method"] == "delete_users" and removed["userid_list"] == ["p-2"]

    commit(services.update_person, person, permission_groups=[group])
    assert fake.receive()["method"] == "add_users_plus"

    commit(services.set_group_boxes, group, [])  # group detached from the box
    assert fake.receive()["method"] == "delete_users"

    commit(services.set_group_boxes, group, [box])  # attached again
    assert fake.receive()["method"] == "add_users_plus"

    commit(services.delete_person, person)
    deleted = fake.receive()
    assert deleted["method"] == "delete_users" and deleted["userid_list"] == ["p-2"]
    assert fake.receive(timeout=0.5) is None, "nothing else may be sent"

    other = make_box("elsewhere")
    assert FakeBox(client, other.dev_sno, "0x0a0b0c0d0e01").receive(timeout=0.5) is None


def test_attaching_a_group_sends_its_members_in_batches_of_100(make_box, client, commit, photo):
    box = make_box("big")
    group = PermissionGroup.objects.create(name="many")
    stored = store_photo(photo)
    people = Person.objects.bulk_create(Person(identity_id=f"m{i:03d}", name=f"M {i}", photo=stored.path,
                                               photo_sha256=stored.sha256) for i in range(250))
    group.people.set(people)
    commit(services.set_group_boxes, group, [box])
    commands = FakeBox(client, box.dev_sno).receive_all()
    assert [len(c["userid_list"]) for c in commands] == [100, 100, 50]
    assert sorted(i for c in commands for i in c["userid_list"]) == [p.identity_id for p in people]


def test_failures_reported_over_notify_path_show_code_and_reason(served_box, commit, photo):
    box, group, fake = served_box
    commit(services.create_person, name="A", identity_id="ok", photo=photo, permission_groups=[group])
    commit(services.create_person, name="B", identity_id="bad", photo=photo, permission_groups=[group])
    commands = fake.receive_all()
    for command in commands:
        ids = command["userid_list"]
        result = fake.result(command, success=[i for i in ids if i == "ok"],
                             failed={i: (40004, "no face") for i in ids if i == "bad"})
        assert fake.answer_http(command, result).status_code == 200
    bad = Enrolment.objects.get(box=box, identity_id="bad")
    assert (bad.state, bad.code, bad.message) == ("failed", 40004, "no face")
    assert Enrolment.objects.get(box=box, identity_id="ok").state == "enrolled"
    assert {c.state for c in Command.objects.filter(box=box, method="add_users_plus")} == {"done", "failed"}


def test_a_notify_path_result_without_message_id_takes_the_url_one(served_box, commit, photo):
    """Upstream §5.4 makes messageId optional in the body; the notify_path names the command."""
    box, group, fake = served_box
    commit(services.create_person, name="A", identity_id="no-id", photo=photo, permission_groups=[group])
    command = fake.receive()
    result = fake.result(command, success=["no-id"])
    del result["messageId"]
    response = fake.answer_http(command, result)
    assert response.status_code == 200, response.content
    assert response.json() == {"data": {"messageId": command["messageId"], "applied": True}}
    assert Command.objects.get(message_id=command["messageId"]).state == "done"
    assert Enrolment.objects.get(box=box, identity_id="no-id").state == "enrolled"
    assert ReceivedResult.objects.get().message_id == command["messageId"]


def test_a_notify_path_result_naming_another_command_or_box_is_refused(served_box, commit, photo, make_box, client):
    box, group, fake = served_box
    commit(services.create_person, name="A", identity_id="x-1", photo=photo, permission_groups=[group])
    commit(services.create_person, name="B", identity_id="x-2", photo=photo, permission_groups=[group])
    first, second = fake.receive_all()
    mismatched = {**fake.result(second, success=["x-2"])}
    response = fake.answer_http(first, mismatched)  # body names `second`, the URL `first`
    assert response.status_code == 400 and response.json()["error"]["code"] == 40091
    # Another box, with its own valid token, cannot answer for this box's command.
    intruder = FakeBox(client, make_box("other").dev_sno, "0x0000000000ee")
    assert intruder.answer_http(first, {**fake.result(first, success=["x-1"])}).status_code == 400
    assert intruder.answer_http(first, {**fake.result(first, success=["x-1"]), "dev_sno": ""}).status_code == 400
    assert set(Command.objects.filter(box=box).values_list("state", flat=True)) == {"published"}
    assert ReceivedResult.objects.exclude(error="").count() == 3


def test_results_are_idempotent_by_message_id(served_box, commit, photo):
    box, group, fake = served_box
    commit(services.create_person, name="A", identity_id="once", photo=photo, permission_groups=[group])
    command = fake.receive()
    result = fake.result(command, success=["once"])
    fake.answer_mq(result)
    fake.answer_mq(result)
    assert fake.answer_http(command, result).status_code == 200
    drain_results()
    assert CommandOutcome.objects.filter(identity_id="once").count() == 1
    assert Enrolment.objects.filter(box=box, identity_id="once").count() == 1


def test_malformed_and_unknown_results_are_kept_and_do_not_stop_the_consumer(served_box):
    _, _, fake = served_box
    fake.answer_mq({"nonsense": True})
    fake.answer_mq({"messageId": "4b0e5b8e-5b4e-4c3b-9e53-000000000000", "dev_sno": fake.dev_sno, "success": True})
    with amqp_connect(fake.mq, vhost_key="uploadVHost") as connection:
        connection.channel().basic_publish("", fake.mq["uploadQueue"], b"\xff not json")
    assert drain_results() == 3
    errors = list(ReceivedResult.objects.exclude(error="").values_list("error", flat=True))
    assert len(errors) == 3 and any("no command" in e for e in errors)
    response = fake.client.post(f"/box/results?dev_sno={fake.dev_sno}&token={fake.token}", "garbage",
                                content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == 40091


def test_another_box_cannot_fetch_these_people_or_photos(served_box, commit, photo, make_box, client):
    box, group, fake = served_box
    commit(services.create_person, name="A", identity_id="mine", photo=photo, permission_groups=[group])
    command = fake.receive()
    [details] = fake.details(command)

    intruder_box = make_box("intruder")
    intruder = FakeBox(client, intruder_box.dev_sno, "0x0a0b0c0d0e02")
    auth = f"dev_sno={intruder.dev_sno}&token={intruder.token}"
    reply = client.post(f"/box/persons?{auth}", {"userid_list": ["mine"]}, content_type="application/json")
    assert reply.status_code == 200 and reply.json()["data"]["user_list"] == []
    photo_name = details["relative_pic_url"].split("?")[0].rsplit("/", 1)[-1]
    denied = client.get(f"/box/photos/{photo_name}?{auth}")
    assert denied.status_code == 404 and denied.json()["error"]["code"] == 40401
    # Its own dev_sno with the other box's command id does not pass either.
    stolen = command["extend_params"]["path"].replace(fake.dev_sno, intruder.dev_sno)
    assert client.post(stolen, {"userid_list": ["mine"]}, content_type="application/json").status_code == 401
    assert client.post(f"/box/persons?dev_sno={fake.dev_sno}&token=wrong", {"userid_list": []},
                       content_type="application/json").status_code == 401


def test_bad_photos_and_duplicate_ids_are_refused_and_nothing_is_written(served_box, commit, photo):
    _, group, fake = served_box
    for data, code in ((b"not an image", IMAGE_ERROR), (photo[: len(photo) // 2], IMAGE_ERROR)):
        with pytest.raises(ContractCodeError) as refused:
            commit(services.create_person, name="X", photo=data, permission_groups=[group])
        assert refused.value.code == code
    with override_settings(PHOTO_MAX_BYTES=1000), pytest.raises(ContractCodeError) as too_big:
        commit(services.create_person, name="X", photo=photo, permission_groups=[group])
    assert too_big.value.code == IMAGE_TOO_LARGE
    assert not Person.objects.exists() and not Command.objects.exists()

    commit(services.create_person, name="X", identity_id="dup", photo=photo, permission_groups=[group])
    with pytest.raises(services.DuplicateIdentity):
        commit(services.create_person, name="Y", identity_id="dup", photo=photo, permission_groups=[group])
    assert Person.objects.get(identity_id="dup").name == "X"
    assert len(fake.receive_all()) == 1


def stuck_send_then_delete(box) -> list[str]:
    """A send and the delete that followed it, both still queued a minute on (their tasks lost
    with a worker): their messageIds, oldest first."""
    send = distribution.queue_command(box, Command.Method.ADD_USERS, {"userid_list": ["late-1"]}, publish=False)
    delete = distribution.queue_command(box, Command.Method.DELETE_USERS, {"userid_list": ["late-1"]}, publish=False)
    Command.objects.filter(pk__in=[send.pk, delete.pk]).update(created_at=timezone.now() - timedelta(minutes=1))
    return [str(send.message_id), str(delete.message_id)]


def test_beat_sends_a_boxs_stuck_commands_again_in_the_order_they_were_made(served_box):
    """Else the box deletes the person, then enrols them: the opposite of what was asked."""
    box, _group, fake = served_box
    made = stuck_send_then_delete(box)
    assert requeue_stuck_commands() == 2
    assert [command["messageId"] for command in fake.receive_all()] == made


def test_beat_resends_a_boxs_unanswered_commands_in_the_order_they_were_made(served_box, settings):
    box, _group, fake = served_box
    made = stuck_send_then_delete(box)
    Command.objects.filter(box=box).update(state=Command.State.PUBLISHED, published_at=timezone.now(), attempts=1)
    settings.COMMAND_RESULT_TIMEOUT = 0
    time.sleep(0.01)
    assert expire_commands() == {"resent": 2, "expired": 0}
    assert [command["messageId"] for command in fake.receive_all()] == made


def test_unanswered_commands_are_resent_then_expire(served_box, commit, photo, settings):
    box, group, fake = served_box
    commit(services.create_person, name="A", identity_id="silent", photo=photo, permission_groups=[group])
    first = fake.receive()
    settings.COMMAND_RESULT_TIMEOUT = 0
    settings.COMMAND_MAX_ATTEMPTS = 2
    time.sleep(0.01)
    assert expire_commands() == {"resent": 1, "expired": 0}
    assert fake.receive()["messageId"] == first["messageId"]  # the same message again
    time.sleep(0.01)
    assert expire_commands() == {"resent": 0, "expired": 1}
    assert Command.objects.get(message_id=first["messageId"]).state == "expired"
    enrolment = Enrolment.objects.get(box=box, identity_id="silent")
    assert enrolment.state == "failed" and "did not answer" in enrolment.message
    # A late answer still counts.
    fake.answer_mq(fake.result(first, success=["silent"]))
    drain_results()
    assert Enrolment.objects.get(box=box, identity_id="silent").state == "enrolled"


def test_wipe_and_resync_are_sent_to_the_box(served_box, commit, photo):
    box, group, fake = served_box
    commit(services.create_person, name="A", identity_id="w1", photo=photo, permission_groups=[group])
    fake.answer_mq(fake.result(fake.receive(), success=["w1"]))
    drain_results()
    wipe = commit(distribution.wipe_box, box)
    command = fake.receive()
    assert command["method"] == "wipe_data" and command["wipe_options"] == {"users": True, "events": False}
    fake.answer_http(command, {"success": True, "code": 0, "message": "ok", "dev_sno": box.dev_sno,
                               "messageKey": "wipe_data", "messageId": str(wipe.message_id),
                               "result": {"wipe_options": {"users": True, "events": False}}})
    assert not Enrolment.objects.filter(box=box).exists()
    commit(distribution.resync_box, box)
    assert fake.receive()["userid_list"] == ["w1"]


def test_broker_restart_between_publish_and_consume_loses_nothing(served_box, commit, photo):
    box, group, fake = served_box
    commit(services.create_person, name="A", identity_id="r1", photo=photo, permission_groups=[group])
    commit(services.create_person, name="B", identity_id="r2", photo=photo, permission_groups=[group])
    broker_restart()
    commands = fake.receive_all()
    assert sorted(i for c in commands for i in c["userid_list"]) == ["r1", "r2"]
    fake.answer_mq(fake.result(commands[0], success=commands[0]["userid_list"]))
    broker_restart()
    for command in commands[1:]:
        fake.answer_mq(fake.result(command, success=command["userid_list"]))
    drain_results()
    assert sorted(Enrolment.objects.filter(box=box, state="enrolled").values_list("identity_id", flat=True)) == [
        "r1", "r2"]
    assert CommandOutcome.objects.filter(identity_id__in=["r1", "r2"]).count() == 2


def test_a_result_with_nul_bytes_is_kept_and_refused_cleanly(served_box, client):
    from distribution.models import ReceivedResult

    box, _, fake = served_box
    response = client.post(f"/box/results?dev_sno={box.dev_sno}&token={fake.token}", b"\x00{\"a\": \"\\u0000\"}",
                           content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == 40091
    assert "\x00" not in ReceivedResult.objects.get(dev_sno=box.dev_sno).body
