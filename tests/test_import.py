"""Bulk import from a CSV and a zip of photos, with progress and a per-row report."""
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from distribution.models import Command
from users.models import ImportJob, PermissionGroup, Person

from .fakebox import FakeBox
from .paths import FACES

CSV = """identity_id,name,type,groups,photo
E-1,Barack,staff,HQ;Lab,obama.jpg
E-2,Joe,vip,HQ,biden.jpg
,Nameless photo,visitor,HQ,missing.jpg
E-4,,staff,HQ,obama.jpg
E-5,Broken,staff,HQ,broken.jpg
E-6,Odd type,boss,HQ,obama.jpg
"""


def photos_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/obama.jpg", (FACES / "enroll/obama/1.jpg").read_bytes())
        archive.writestr("photos/biden.jpg", (FACES / "enroll/biden/1.jpg").read_bytes())
        archive.writestr("photos/broken.jpg", b"\xff\xd8\xff not really")
    return buffer.getvalue()


def test_console_import_reports_every_row_and_sends_people_in_batches(client, admin_user, make_box,
                                                                       django_capture_on_commit_callbacks):
    box = make_box("HQ gate")
    PermissionGroup.objects.create(name="HQ").boxes.add(box)
    fake = FakeBox(client, box.dev_sno)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/people/import/", {
            "csv_file": SimpleUploadedFile("people.csv", CSV.encode(), "text/csv"),
            "photos": SimpleUploadedFile("photos.zip", photos_zip(), "application/zip"),
        })
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/people/import/{job.pk}/"
    assert (job.state, job.total, job.succeeded, job.failed) == ("done", 6, 2, 4)
    messages = {row["line"]: (row["ok"], row["message"]) for row in job.report}
    assert messages[2] == (True, "created (1 photo)") and messages[3] == (True, "created (1 photo)")
    assert "not in the zip" in messages[4][1]
    assert "name is empty" in messages[5][1]
    assert "code 40003" in messages[6][1]
    assert "unknown type" in messages[7][1]
    assert Person.objects.get(identity_id="E-2").person_type == 5
    assert set(PermissionGroup.objects.values_list("name", flat=True)) == {"HQ", "Lab"}
    # One command for both people, not one per row.
    commands = fake.receive_all()
    assert len(commands) == 1 and sorted(commands[0]["userid_list"]) == ["E-1", "E-2"]
    status = client.get(f"/people/import/{job.pk}/status/").json()
    assert status["percent"] == 100 and status["state"] == "done"
    page = client.get(f"/people/import/{job.pk}/").content.decode()
    assert "not in the zip" in page and "table-danger" in page


def test_reimport_updates_and_command_line_works(tmp_path, db, django_capture_on_commit_callbacks):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "obama.jpg").write_bytes((FACES / "enroll/obama/1.jpg").read_bytes())
    table = tmp_path / "people.csv"
    table.write_text("identity_id,name,photo\nX-1,First,obama.jpg\n")
    out = io.StringIO()
    call_command("import_people", str(table), "--photos", str(folder), stdout=out)
    assert "1 imported, 0 failed" in out.getvalue()
    table.write_text("identity_id,name\nX-1,Renamed\n")
    call_command("import_people", str(table), stdout=io.StringIO())
    person = Person.objects.get(identity_id="X-1")
    assert person.name == "Renamed" and person.photo
    assert not Command.objects.exists()  # nobody serves them: nothing to send


def test_several_photos_per_person_by_list_folder_or_identity_id(tmp_path, db):
    """Issue 15 item 1: a row's photos as a list, a folder per person, or files named after the
    identity_id; each judged, the best primary, the report naming those a box would refuse."""
    from .helpers import blurred

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.jpg", (FACES / "enroll/obama/1.jpg").read_bytes())
        archive.writestr("b.jpg", (FACES / "probe/obama/1.jpg").read_bytes())
        archive.writestr("joe/1.jpg", blurred("enroll/biden/1.jpg"))
        archive.writestr("joe/2.jpg", (FACES / "probe/biden/1.jpg").read_bytes())
        archive.writestr("K-3.jpg", (FACES / "enroll/kit_harington/1.jpg").read_bytes())
        archive.writestr("K-3_2.png", (FACES / "probe/kit_harington/2.jpg").read_bytes())
        for number in range(6):
            archive.writestr(f"many/{number}.jpg", (FACES / "enroll/rose_leslie/1.jpg").read_bytes())
    (tmp_path / "photos.zip").write_bytes(buffer.getvalue())
    table = tmp_path / "people.csv"
    table.write_text("identity_id,name,photo\nB-1,Barack,a.jpg;b.jpg\nJ-2,Joe,joe\nK-3,Kit,\nR-4,Rose,many\n")
    job = ImportJob.objects.create(csv_path=str(table), photos_path=str(tmp_path / "photos.zip"))
    from users.importer import run_import

    job = run_import(job)
    messages = {row["identity_id"] or row["name"]: (row["ok"], row["message"]) for row in job.report}
    assert messages["B-1"] == (True, "created (2 photos)")
    assert messages["J-2"][0] and "2 photos; photo 1 would be refused by boxes: clarity" in messages["J-2"][1]
    assert messages["K-3"] == (True, "created (2 photos)")
    assert not messages["R-4"][0] and "at most 5" in messages["R-4"][1]
    joe = Person.objects.get(identity_id="J-2")
    assert joe.photos.count() == 2 and joe.photos.get(is_primary=True).position == 1  # the sharp one
    kit = Person.objects.get(identity_id="K-3")
    assert [p.position for p in kit.photos.all()] == [0, 1] and kit.photo_sha256
