"""Logins check the box's broker identity instead of making it again (issue 17 item 2), against
the real broker: a second login only looks (seven small reads of the box's own parts); whatever is
missing (a user deleted, a permission, queue or exchange gone, a password changed behind the
platform's back) is made again on the next login, and only that; logins arriving together read only
their own boxes' parts, never a list of the fleet."""
import threading
from urllib.parse import quote

import pytest
from pika.exceptions import ProbableAuthenticationError

from devices.broker import BrokerAdmin, BrokerAdminError, box_reads, snapshot_reads
from devices.services import provide_for_login, rotate_credentials

from .broker import amqp_connect

MAC = "0xe0a50900062b"


@pytest.fixture
def management_calls(monkeypatch) -> list[tuple[str, str]]:
    """Every management API call the platform makes from now on (method, path); the real
    broker still answers each."""
    made = []
    real = BrokerAdmin._call

    def counted(self, method, path, json=None, ok_missing=False):
        made.append((method, path))
        return real(self, method, path, json=json, ok_missing=ok_missing)

    monkeypatch.setattr(BrokerAdmin, "_call", counted)
    return made


def looks(calls: list[tuple[str, str]], reads: list[tuple[str, str]]) -> int:
    """How many times the calls read `reads` (a box's, or the whole fleet's snapshot) whole."""
    return min(calls.count(("GET", path)) for _, path in reads)


def without_looks(calls: list[tuple[str, str]], reads: list[tuple[str, str]]) -> list[tuple[str, str]]:
    paths = {path for _, path in reads}
    return [(method, path) for method, path in calls if not (method == "GET" and path in paths)]


def only_looked_once(calls: list[tuple[str, str]], box) -> bool:
    return sorted(calls) == sorted(("GET", path) for _, path in box_reads(box))


def login(client, box) -> dict:
    response = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": MAC})
    assert response.status_code == 200, response.content
    return response.json()["rabbitmq"]


def assert_box_can_use(mq: dict) -> None:
    """The credentials work, the box reads its queue through its exchange and writes the upload queue."""
    connection = amqp_connect(mq)
    channel = connection.channel()
    channel.exchange_declare(mq["exchange"]["name"], "fanout", passive=True)
    channel.queue_bind(mq["queue"], mq["exchange"]["name"], routing_key=mq["queue"])
    channel.queue_declare(mq["queue"], passive=True)
    connection.close()
    amqp_connect(mq, vhost_key="uploadVHost").close()


def q(name: str) -> str:
    return quote(name, safe="")


def test_a_second_login_only_reads_its_own_box_s_parts(client, make_box, management_calls):
    box = make_box()
    login(client, box)
    management_calls.clear()
    mq = login(client, box)
    assert only_looked_once(management_calls, box)
    assert_box_can_use(mq)


def test_a_deleted_broker_user_is_made_again_on_the_next_login(client, make_box, broker_admin, management_calls):
    box = make_box()
    before = login(client, box)
    broker_admin._call("DELETE", f"users/{q(box.broker_username)}")  # also takes its permissions
    with pytest.raises(ProbableAuthenticationError):
        amqp_connect(before)
    management_calls.clear()
    mq = login(client, box)
    assert_box_can_use(mq)
    # Only the missing parts: the user and its two permissions, after one look.
    assert looks(management_calls, box_reads(box)) == 1
    made = without_looks(management_calls, box_reads(box))
    assert [m for m, _ in made] == ["PUT", "PUT", "PUT"]
    assert [p.split("/")[0] for _, p in made] == ["users", "permissions", "permissions"]


def test_a_deleted_permission_or_queue_is_made_again_on_the_next_login(client, make_box, broker_admin,
                                                                      management_calls, settings):
    box = make_box()
    login(client, box)
    broker_admin._call("DELETE", f"permissions/{q(settings.BOX_UPLOAD_VHOST)}/{q(box.broker_username)}")
    broker_admin._call("DELETE", f"queues/{q(settings.BOX_VHOST)}/{q(box.queue_name)}")  # its binding goes too
    broker_admin._call("DELETE", f"exchanges/{q(settings.BOX_VHOST)}/{q(box.exchange_name)}")
    management_calls.clear()
    mq = login(client, box)
    assert_box_can_use(mq)
    assert looks(management_calls, box_reads(box)) == 1
    made = [p.split("/")[0] for _, p in without_looks(management_calls, box_reads(box))]
    assert made == ["exchanges", "queues", "bindings", "permissions"]


def test_a_password_changed_behind_the_platform_is_set_back(client, make_box, broker_admin, management_calls):
    box = make_box()
    login(client, box)
    broker_admin._call("PUT", f"users/{q(box.broker_username)}", json={"password": "not-the-box-s", "tags": ""})
    management_calls.clear()
    mq = login(client, box)
    assert_box_can_use(mq)
    assert looks(management_calls, box_reads(box)) == 1
    assert [p.split("/")[0] for _, p in without_looks(management_calls, box_reads(box))] == ["users"]


def test_rotated_credentials_are_made_whole_and_then_only_checked(client, make_box, management_calls):
    box = make_box()
    old = login(client, box)
    rotate_credentials(box)
    management_calls.clear()
    mq = login(client, box)
    assert mq["password"] != old["password"]
    assert only_looked_once(management_calls, box)  # rotation itself made the new identity
    assert_box_can_use(mq)
    with pytest.raises(ProbableAuthenticationError):
        amqp_connect(old)


def test_a_box_never_provisioned_with_its_credentials_is_made_whole(client, make_box, management_calls):
    box = make_box()
    type(box).objects.filter(pk=box.pk).update(broker_provisioned="")  # e.g. a box from before the record
    management_calls.clear()
    assert_box_can_use(login(client, box))
    assert looks(management_calls, box_reads(box)) == 0 and len(management_calls) == 7
    management_calls.clear()
    login(client, box)
    assert only_looked_once(management_calls, box)


def test_logins_arriving_together_read_only_their_own_boxes(make_box, management_calls):
    """A site coming back: each login reads its own box's parts once, nothing of the fleet's (a
    list of every user or queue costs the broker in proportion to the fleet, for every login)."""
    boxes = [make_box(f"b{i}") for i in range(16)]
    management_calls.clear()
    start = threading.Barrier(len(boxes))
    made, errors = [], []

    def log_in(box):
        start.wait()
        try:
            made.append(provide_for_login(box))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=log_in, args=(box,)) for box in boxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and made == [0] * len(boxes)
    assert sorted(management_calls) == sorted(("GET", path) for box in boxes for _, path in box_reads(box))


def test_reconciling_looks_once_and_repairs_only_what_is_missing(make_box, broker_admin, management_calls):
    from devices.tasks import reconcile_broker_identities

    lost, kept = make_box("lost"), make_box("kept")
    broker_admin._call("DELETE", f"users/{q(lost.broker_username)}")
    management_calls.clear()
    assert reconcile_broker_identities() == {"repaired": 1, "revoked": 0, "failed": 0}
    box_calls = [(m, p) for m, p in management_calls if lost.slug in p or kept.slug in p]
    assert broker_admin.user_exists(lost.broker_username)
    assert [p.split("/")[0] for _, p in box_calls] == ["users", "permissions", "permissions"]
    assert all(lost.slug in p for _, p in box_calls)
    assert looks(management_calls, snapshot_reads()) == 1


def test_a_login_goes_through_when_the_broker_cannot_be_checked(client, make_box, broker_admin, management_calls,
                                                               monkeypatch):
    """The broker's reads can fail (RabbitMQ answered its export of definitions 500 while another
    client deleted a vhost, seen in a suite run): the login then makes every part again instead
    of answering 503."""
    box = make_box()
    login(client, box)
    broker_admin._call("DELETE", f"users/{q(box.broker_username)}")

    def failing(self, box):
        raise BrokerAdminError("GET users: 500")

    monkeypatch.setattr(BrokerAdmin, "box_snapshot", failing)
    management_calls.clear()
    mq = login(client, box)
    assert_box_can_use(mq)
    assert management_calls == [(call.method, call.path) for call in broker_admin.box_identity(box)]


def test_the_fleet_snapshot_fails_when_a_list_is_not_there(broker_admin, settings):
    """A vhost deleted behind the platform: its list answers 404, which must not read as "no box
    has anything there" (beat's reconcile would then make every box's parts again, one by one)."""
    settings.BOX_UPLOAD_VHOST = "aibox-test-no-such-vhost"
    with pytest.raises(BrokerAdminError, match="404"):
        broker_admin.snapshot()
