"""A database made before commands, enrolments and results moved from `users` to `distribution`
(issue 14) migrates forward without losing a row or a relation.

The database is put back at the last `users` migration before the move with Django's
MigrationExecutor, filled through that state's historical models, then migrated forward; every
row must then read through the current models. Runs in both passes (SQLite and PostgreSQL).
"""
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from devices.models import Box
from distribution.models import Command, CommandOutcome, Enrolment, ReceivedResult
from users.models import Person

BEFORE_MOVE = ("users", "0003_command_publish_error")
MOVED_APPS = ("users", "distribution")


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh loader: the applied set changed


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def before_move() -> list[tuple[str, str]]:
    """Every app at its latest migration, but users at the last one before the move (and so no
    distribution, which comes after it, nor another app's migrations that need the move's)."""
    graph = MigrationExecutor(connection).loader.graph
    after_move = ("users", "0004_move_distribution_models")
    return [BEFORE_MOVE] + [node for node in graph.leaf_nodes()
                            if node[0] not in MOVED_APPS and after_move not in graph.forwards_plan(node)]


def fill_old_database(apps) -> dict:
    """One of each moved row, related as the platform relates them, written with the
    pre-move models (users.Command, ...)."""
    box = apps.get_model("devices", "Box").objects.create(name="old box", dev_sno="OLD0000000000001",
                                                           broker_password="secret")
    group = apps.get_model("users", "PermissionGroup").objects.create(name="old group")
    group.boxes.add(box)
    face_group = apps.get_model("users", "FaceGroup").objects.create(name="old faces")
    person = apps.get_model("users", "Person").objects.create(identity_id="old-person", name="Old Person",
                                                              photo="photos/aa/old.jpg")
    person.permission_groups.add(group)
    person.face_groups.add(face_group)
    message_id = uuid.uuid4()
    command = apps.get_model("users", "Command").objects.create(
        box=box, method="add_users_plus", message_id=message_id, state="partly_failed", attempts=2,
        publish_error="was refused once", payload={"method": "add_users_plus", "userid_list": ["old-person", "gone"]},
        result={"success": False})
    apps.get_model("users", "CommandOutcome").objects.create(command=command, identity_id="old-person", success=True,
                                                             code=0, message="ok")
    apps.get_model("users", "CommandOutcome").objects.create(command=command, identity_id="gone", success=False,
                                                             code=40004, message="no face")
    apps.get_model("users", "Enrolment").objects.create(box=box, identity_id="old-person", person=person,
                                                        command=command, state="enrolled", code=0)
    apps.get_model("users", "ReceivedResult").objects.create(source="mq", dev_sno=box.dev_sno,
                                                             message_id=str(message_id), body='{"success": false}')
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(app_label="users",
                                                                                         model="command")
    permission, _ = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="view_command", defaults={"name": "Can view command"})
    return {"box": box.pk, "person": person.pk, "command": command.pk, "message_id": message_id,
            "content_type": content_type.pk, "permission": permission.pk}


@pytest.mark.django_db(transaction=True)
def test_a_pre_move_database_migrates_forward_without_loss():
    try:
        executor = migrate(before_move())
        old = fill_old_database(executor.loader.project_state(before_move()).apps)
        migrate(latest())
    finally:
        migrate(latest())  # whatever happened, the next tests find the current schema
    ContentType.objects.clear_cache()

    command = Command.objects.get(pk=old["command"])
    assert (command.box_id, command.method, command.message_id, command.state, command.attempts,
            command.publish_error, command.result) == (old["box"], "add_users_plus", old["message_id"],
                                                       "partly_failed", 2, "was refused once", {"success": False})
    assert command.payload["userid_list"] == ["old-person", "gone"]
    assert [(o.identity_id, o.success, o.code, o.message) for o in command.outcomes.all()] == [
        ("gone", False, 40004, "no face"), ("old-person", True, 0, "ok")]
    enrolment = Enrolment.objects.get(box_id=old["box"], identity_id="old-person")
    assert (enrolment.person.name, enrolment.command_id, enrolment.state) == ("Old Person", command.pk, "enrolled")
    box = Box.objects.get(pk=old["box"])
    assert list(box.commands.all()) == [command]
    assert list(box.enrolments.all()) == [enrolment]
    person = Person.objects.get(pk=old["person"])
    assert list(person.enrolments.all()) == [enrolment]
    assert [g.name for g in person.permission_groups.all()] == ["old group"]
    assert [g.name for g in person.face_groups.all()] == ["old faces"]
    assert list(box.permission_groups.values_list("name", flat=True)) == ["old group"]
    result = ReceivedResult.objects.get(message_id=str(old["message_id"]))
    assert (result.source, result.dev_sno, result.body) == ("mq", "OLD0000000000001", '{"success": false}')
    # Permissions granted on the old model still name the moved one.
    assert ContentType.objects.get_for_model(Command).pk == old["content_type"]
    assert Permission.objects.get(pk=old["permission"]).content_type.app_label == "distribution"
    # The tables kept their rows and their id sequences: new rows follow the old ones.
    newer = Command.objects.create(box=box, method="wipe_data", payload={})
    assert newer.pk > command.pk
    assert CommandOutcome.objects.create(command=newer, identity_id="x", success=True, code=0).pk > 0
