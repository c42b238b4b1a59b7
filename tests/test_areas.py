"""Sites and areas (issue 16 item 1): a permission group attached to an area serves its people
to every box in that area and below it, through the same commands as a group attached to a box.

The box's real queue (FakeBox) shows what each change published."""
import pytest

from devices import services as devices
from devices.models import Box
from devices.selectors import area_tree, boxes_within
from distribution.models import Enrolment
from users import services
from users.models import PermissionGroup
from users.selectors import served_by, served_within

from .fakebox import FakeBox


@pytest.fixture
def staff(db, commit, photo):
    group = PermissionGroup.objects.create(name="staff")
    commit(services.create_person, name="Ann", identity_id="ann", photo=photo, permission_groups=[group])
    return group


def test_group_on_a_building_reaches_a_box_on_a_floor_below_and_detaching_removes(
        site_areas, staff, make_box, client, commit):
    _site, building, floor, _other = site_areas
    box = make_box("floor gate", area=floor)
    fake = FakeBox(client, box.dev_sno)
    assert fake.receive(timeout=0.5) is None  # nobody served yet

    commit(services.set_group_areas, staff, [building])
    command = fake.receive()
    assert command["method"] == "add_users_plus" and command["userid_list"] == ["ann"]
    assert Enrolment.objects.get(box=box, identity_id="ann").state == "pending"

    commit(services.set_group_areas, staff, [])
    command = fake.receive()
    assert command["method"] == "delete_users" and command["userid_list"] == ["ann"]
    assert fake.receive(timeout=0.5) is None


def test_a_box_elsewhere_is_not_served(site_areas, staff, make_box, client, commit):
    _site, building, _floor, other = site_areas
    box = make_box("harbour gate", area=other)
    fake = FakeBox(client, box.dev_sno)
    commit(services.set_group_areas, staff, [building])
    assert fake.receive(timeout=0.5) is None
    assert not served_by(box).exists()


def test_moving_a_box_or_its_area_syncs_whom_it_serves(site_areas, staff, make_box, client, commit):
    site, building, floor, other = site_areas
    commit(services.set_group_areas, staff, [building])
    box = make_box("gate", area=other)
    fake = FakeBox(client, box.dev_sno)

    commit(devices.update_box, box, area=floor)  # the box moves under the building
    assert fake.receive()["method"] == "add_users_plus"

    commit(devices.save_area, floor, name="Floor 2", parent=other)  # its floor moves to the harbour
    assert fake.receive()["method"] == "delete_users"

    commit(devices.save_area, floor, name="Floor two", parent=building)  # back, renamed
    assert fake.receive()["userid_list"] == ["ann"]
    commit(devices.save_area, floor, name="Floor 2", parent=building)  # a rename alone sends nothing
    assert fake.receive(timeout=0.5) is None


def test_new_members_and_a_deleted_group_reach_boxes_through_areas(site_areas, staff, make_box, client, commit, photo):
    _site, building, floor, _other = site_areas
    box = make_box("gate", area=floor)
    fake = FakeBox(client, box.dev_sno)
    commit(services.set_group_areas, staff, [building])
    fake.receive()

    commit(services.create_person, name="Bob", identity_id="bob", photo=photo, permission_groups=[staff])
    assert fake.receive()["userid_list"] == ["bob"]

    commit(services.delete_group, staff)
    command = fake.receive()
    assert command["method"] == "delete_users" and sorted(command["userid_list"]) == ["ann", "bob"]


def test_the_tree_refuses_loops_and_deleting_what_is_not_empty(site_areas, make_box):
    site, building, floor, other = site_areas
    with pytest.raises(devices.AreaError):
        devices.save_area(building, name="Building A", parent=floor)
    with pytest.raises(devices.AreaError):
        devices.delete_area(building)  # an area inside it
    make_box("gate", area=floor)
    with pytest.raises(devices.AreaError):
        devices.delete_area(floor)  # a box in it
    devices.delete_area(other)
    assert [(row.path, row.depth) for row in area_tree()] == [
        ("Campus", 0), ("Campus / Building A", 1), ("Campus / Building A / Floor 2", 2)]
    assert list(boxes_within([site.pk])) == list(Box.objects.filter(area=floor))


def test_boxes_without_an_area_keep_working(staff, make_box, client, commit):
    box = make_box("old gate")
    assert box.area is None
    fake = FakeBox(client, box.dev_sno)
    commit(services.set_group_boxes, staff, [box])
    assert fake.receive()["userid_list"] == ["ann"]


def test_people_served_within_a_site_are_those_its_boxes_serve(site_areas, staff, make_box, commit, photo):
    site, building, floor, other = site_areas
    guests = PermissionGroup.objects.create(name="guests")
    commit(services.create_person, name="Gus", identity_id="gus", photo=photo, permission_groups=[guests])
    commit(services.set_group_areas, staff, [site])
    quay = make_box("quay", area=other)
    commit(services.set_group_boxes, guests, [quay])
    assert list(served_within(site.pk)) == []  # no box there yet
    make_box("gate", area=floor)
    assert [p.identity_id for p in served_within(site.pk)] == ["ann"]
    assert [p.identity_id for p in served_within(floor.pk)] == ["ann"]
    assert [p.identity_id for p in served_within(other.pk)] == ["gus"]
