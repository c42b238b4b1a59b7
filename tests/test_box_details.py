"""A box's details request (upstream §6.1) for many people: every entry carries its person's
permission ids and comparison groups, and the request's queries do not grow with the people
asked for (the agent asks for 50 at a time, a thousand boxes at once when a group is given out)."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from users import services
from users.models import FaceGroup, PermissionGroup, Person
from users.photos import store_photo

from .fakebox import FakeBox
from .helpers import face_photo


def _people(count: int, groups: list[PermissionGroup], face_groups: list[FaceGroup]) -> None:
    photo = store_photo(face_photo("enroll/obama/1.jpg"))
    for i in range(count):
        person = Person.objects.create(identity_id=f"d{i:03d}", name=f"Person {i}", photo=photo.path,
                                       photo_sha256=photo.sha256, thumbnail=photo.thumbnail)
        person.permission_groups.set(groups)
        person.face_groups.set(face_groups)


def _details(client, fake: FakeBox, ids: list[str]) -> tuple[list[dict], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(fake.signed("/box/persons"), {"userid_list": ids}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["data"]["user_list"], len(queries.captured_queries)


def test_details_of_fifty_people_name_their_groups_in_as_many_queries_as_for_two(make_box, client):
    box = make_box("Gate")
    # Made in the reverse of their names' order: the entries list them by name.
    visitors = services.save_group(PermissionGroup(), boxes=[box], name="visitors")
    staff = services.save_group(PermissionGroup(), boxes=[box], name="staff")
    vip, lobby = FaceGroup.objects.create(name="vip"), FaceGroup.objects.create(name="lobby")
    _people(50, [visitors, staff], [vip, lobby])
    fake = FakeBox(client, box.dev_sno)

    two, queries_for_two = _details(client, fake, ["d000", "d001"])
    fifty, queries_for_fifty = _details(client, fake, [f"d{i:03d}" for i in range(50)])

    assert len(two) == 2 and len(fifty) == 50
    assert queries_for_fifty == queries_for_two
    for entry in fifty:
        assert entry["info"]["permission_ids"] == [str(staff.key), str(visitors.key)]  # by name
        assert entry["info"]["group_name"] == "lobby,vip"
