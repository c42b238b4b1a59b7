"""Console pages for people, groups, commands and photo checks."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from distribution.models import Command, Enrolment
from users.models import PermissionGroup, Person
from users.photos import store_photo

from .fakebox import FakeBox, drain_results
from .paths import FACES


@pytest.fixture
def console(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def photo_upload():
    return SimpleUploadedFile("obama.jpg", (FACES / "enroll/obama/1.jpg").read_bytes(), "image/jpeg")


def test_group_person_and_enrolment_states_through_the_console(console, make_box, photo_upload,
                                                               django_capture_on_commit_callbacks):
    box = make_box("Front door")
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post("/groups/new/", {"name": "Staff", "description": "", "boxes": [box.pk]})
    assert response.status_code == 302
    group = PermissionGroup.objects.get(name="Staff")
    fake = FakeBox(console, box.dev_sno)

    with django_capture_on_commit_callbacks(execute=True):
        response = console.post("/people/new/", {"identity_id": "E-1", "name": "Barack", "person_type": 1,
                                                 "permission_groups": [group.pk], "photo_file": photo_upload,
                                                 "info_json": '{"floor": 3}'})
    person = Person.objects.get(identity_id="E-1")
    assert response.status_code == 302 and person.info == {"floor": 3}
    page = console.get(f"/people/{person.pk}/").content.decode()
    assert "Front door" in page and "pending" in page

    command = fake.receive()
    fake.answer_mq(fake.result(command, success=["E-1"]))
    drain_results()
    page = console.get(f"/people/{person.pk}/").content.decode()
    assert "enrolled" in page
    assert console.get(f"/people/{person.pk}/thumbnail.jpg").status_code == 200
    listing = console.get("/people/?q=bara").content.decode()
    assert "Barack" in listing and "1 enrolled" in listing
    assert "Barack" not in console.get("/people/?type=3").content.decode()
    box_page = console.get(f"/boxes/{box.pk}/").content.decode()
    assert "Barack" in box_page
    commands = console.get(f"/commands/?box={box.pk}").content.decode()
    assert "add_users_plus" in commands and "done" in commands


def test_bad_photo_shows_a_readable_error_and_writes_nothing(console):
    bad = SimpleUploadedFile("x.jpg", b"this is not a photo", "image/jpeg")
    response = console.post("/people/new/", {"name": "X", "person_type": 1, "photo_file": bad})
    assert response.status_code == 200
    assert b"is-invalid" in response.content or b"invalid-feedback" in response.content
    assert not Person.objects.exists()


def test_duplicate_identity_and_bad_json_are_form_errors(console, photo_upload):
    Person.objects.create(identity_id="dup", name="First")
    response = console.post("/people/new/", {"identity_id": "dup", "name": "Second", "person_type": 1,
                                             "photo_file": photo_upload})
    assert b"identity_id dup is already taken." in response.content
    response = console.post("/people/new/", {"name": "Third", "person_type": 1, "info_json": "[1, 2]"})
    assert b"JSON object" in response.content
    assert Person.objects.count() == 1


def test_fiqa_check_through_a_box_shows_the_report(console, make_box, photo_upload,
                                                   django_capture_on_commit_callbacks):
    box = make_box("Checker")
    fake = FakeBox(console, box.dev_sno)
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post("/fiqa/", {"box": box.pk, "photo": photo_upload, "level": "high"})
    command = Command.objects.get(method="fiqa")
    assert response.status_code == 302 and response["Location"] == f"/commands/{command.pk}/"

    from .broker import amqp_connect

    with amqp_connect(fake.mq) as connection:  # fiqa commands come on the fiqaDownQueue
        method, _, body = connection.channel().basic_get(fake.mq["fiqaDownQueue"], auto_ack=True)
    import json

    sent = json.loads(body)
    assert sent["method"] == "fiqa" and sent["info"]["fiqa_level"] == "high" and sent["info"]["image_base64_str"]
    report = {"success": True, "code": 0, "message": "ok", "dev_sno": box.dev_sno, "messageKey": "fiqa",
              "messageId": sent["messageId"], "result": {"data": [{
                  "bbox": [1, 2, 3, 4], "score": 0.99, "fiqa_result": False, "success": ["brightness"],
                  "fails": ["face_size"], "info": {"brightness": 0.5, "face_size": 12, "mask": None}}]}}
    with amqp_connect(fake.mq, vhost_key="uploadVHost") as connection:
        connection.channel().basic_publish("", fake.mq["fiqaUploadQueue"], json.dumps(report).encode())
    drain_results()
    page = console.get(f"/commands/{command.pk}/").content.decode()
    assert "face_size" in page and "fails" in page and "not assessed" in page
    assert Command.objects.get(pk=command.pk).state == "done"


def test_wipe_and_resync_buttons(console, make_box, django_capture_on_commit_callbacks):
    box = make_box("Lift")
    with django_capture_on_commit_callbacks(execute=True):
        console.post(f"/boxes/{box.pk}/command/wipe/")
        console.post(f"/boxes/{box.pk}/command/resync/")
    assert list(Command.objects.filter(box=box).values_list("method", flat=True)) == ["wipe_data"]
    assert not Enrolment.objects.exists()


def test_editing_a_person_and_a_group(console, make_box, django_capture_on_commit_callbacks):
    box = make_box("Side door")
    group = PermissionGroup.objects.create(name="Night")
    stored = store_photo((FACES / "enroll/obama/1.jpg").read_bytes())
    person = Person.objects.create(identity_id="N-1", name="Before", photo=stored.path, photo_sha256=stored.sha256)
    person.permission_groups.add(group)
    page = console.get(f"/people/{person.pk}/edit/").content.decode()
    assert "Before" in page and "disabled" in page  # identity_id cannot change
    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(f"/people/{person.pk}/edit/", {"name": "After", "person_type": 3,
                                                              "permission_groups": [group.pk]})
        assert response.status_code == 302
        console.post(f"/groups/{group.pk}/edit/", {"name": "Night shift", "description": "", "boxes": [box.pk]})
    person.refresh_from_db()
    assert (person.name, person.person_type) == ("After", 3)
    group.refresh_from_db()
    assert group.name == "Night shift" and list(group.boxes.all()) == [box]
    assert Command.objects.filter(box=box, method="add_users_plus").exists()
