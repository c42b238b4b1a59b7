"""Bulk import from a CSV and a zip of photos, with progress and a per-row report."""
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from distribution.models import Command
from users.models import ImportJob, PermissionGroup, Person

from .face.conftest import FACES
from .fakebox import FakeBox

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
    assert messages[2] == (True, "created") and messages[3] == (True, "created")
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
