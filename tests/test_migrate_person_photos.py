"""A database from the single-photo days migrates forward (users 0006): each person's photo
becomes their one primary PersonPhoto, unassessed until `manage.py assess_photos` judges it,
and the stock-box fields (Person.photo, photo_sha256) stay as they were."""
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from users.models import Person
from users.photos import store_photo

BEFORE = [("users", "0005_permissiongroup_areas")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_the_single_photo_becomes_the_primary_person_photo(photo):
    stored = store_photo(photo)
    graph = MigrationExecutor(connection).loader.graph
    # Other apps' latest migrations, but those that come after PersonPhoto (going back takes them back too).
    before = BEFORE + [node for node in latest() if node[0] != "users"
                       and ("users", "0006_personphoto") not in graph.forwards_plan(node)]
    try:
        apps = migrate(before).loader.project_state(before).apps
        people = apps.get_model("users", "Person").objects
        people.create(identity_id="old", name="Old", photo=stored.path, photo_sha256=stored.sha256,
                      thumbnail=stored.thumbnail)
        people.create(identity_id="none", name="No photo")
        migrate(latest())
    finally:
        migrate(latest())
    old = Person.objects.get(identity_id="old")
    [moved] = old.photos.all()
    assert (moved.path, moved.sha256, moved.is_primary, moved.assessed) == (stored.path, stored.sha256, True, False)
    assert (old.photo, old.photo_sha256) == (stored.path, stored.sha256)
    assert not Person.objects.get(identity_id="none").photos.exists()

    call_command("assess_photos")
    moved.refresh_from_db()
    assert moved.assessed and moved.passes("high") and moved.face_size > 200
