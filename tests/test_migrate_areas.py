"""A database made before sites and areas (issue 16 item 1) migrates forward: its boxes have no
area and keep serving their groups' people. Put back with Django's MigrationExecutor, filled
through that state's historical models, migrated forward (as tests/test_migrate_distribution_move.py)."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from devices.models import Box
from users.selectors import served_by

BEFORE_AREAS = [("devices", "0004_box_said_offline"), ("users", "0004_move_distribution_models")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def not_needing_areas() -> list[tuple[str, str]]:
    """Other apps' latest migrations, but those that come after areas (an operator's sites are
    areas, ...): going back before areas takes them back too."""
    graph = MigrationExecutor(connection).loader.graph
    return [node for node in graph.leaf_nodes()
            if node[0] not in {"devices", "users"} and ("devices", "0005_areas") not in graph.forwards_plan(node)]


@pytest.mark.django_db(transaction=True)
def test_boxes_from_before_areas_have_none_and_keep_their_people():
    before = BEFORE_AREAS + not_needing_areas()
    try:
        apps = migrate(before).loader.project_state(before).apps
        box = apps.get_model("devices", "Box").objects.create(name="old box", dev_sno="OLD0000000000002",
                                                               broker_password="secret")
        group = apps.get_model("users", "PermissionGroup").objects.create(name="old group")
        group.boxes.add(box)
        person = apps.get_model("users", "Person").objects.create(identity_id="old", name="Old", photo="p.jpg")
        person.permission_groups.add(group)
        migrate(latest())
    finally:
        migrate(latest())
    box = Box.objects.get(dev_sno="OLD0000000000002")
    assert box.area is None
    assert [p.identity_id for p in served_by(box)] == ["old"]
    assert list(box.permission_groups.get().areas.all()) == []
