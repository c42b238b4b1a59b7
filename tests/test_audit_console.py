"""The audit trail (issue 16 item 4) from the console: every kind of change an administrator
makes there, from a known address, appears with who, where, what, before and after; the audit
page searches and exports it (both languages), is for administrators only, and nothing in it
can be edited, not even in Django's admin."""
import csv
import io
import zipfile

import pytest
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import ApiToken
from accounts.services import create_api_token, set_role
from attendance.models import Correction, Holiday, Shift
from audit.models import AuditEntry
from devices.models import Area, Box
from events.models import Event
from events.services import intake_events
from users.models import FaceGroup, ImportJob, PermissionGroup, Person

from .helpers import SET_PASSWORD_LINK, assert_entry, assert_no_secret_anywhere, entries_of, event
from .paths import FACES

ADDRESS = "203.0.113.77"
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def console(admin_user) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS)
    client.force_login(admin_user)
    return client


def jpeg(name: str = "enroll/biden/1.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile("face.jpg", (FACES / name).read_bytes(), "image/jpeg")


def whats(kind: str, object_id) -> list[str]:
    return [entry.what for entry in entries_of(kind, object_id)]


def last(kind: str, object_id) -> AuditEntry:
    return entries_of(kind, object_id)[-1]


def test_boxes_and_areas_changed_in_the_console(console, commit, broker_admin):
    assert commit(console.post, "/boxes/new/", {"name": "Gate", "record_upload_period": 5,
                                                 "device_monitor_period": 20}).status_code == 302
    box = Box.objects.get(name="Gate")
    created = last("devices.box", box.pk)
    assert_entry(created, "create", {"dev_sno": (None, box.dev_sno), "name": (None, "Gate")}, address=ADDRESS)
    commit(console.post, "/boxes/areas/new/", {"name": "Campus", "parent": ""})
    campus = Area.objects.get(name="Campus")
    commit(console.post, f"/boxes/areas/{campus.pk}/edit/", {"name": "Main campus", "parent": ""})
    commit(console.post, f"/boxes/{box.pk}/edit/", {"name": "North gate", "area": campus.pk,
                                                     "record_upload_period": 60, "device_monitor_period": 20})
    assert_entry(last("devices.box", box.pk), "update", {"name": ("Gate", "North gate"),
                                                         "area": (None, "Main campus"),
                                                         "record_upload_period": (5, 60)}, address=ADDRESS)
    Box.objects.filter(pk=box.pk).update(hex_mac="A0B1C2D3E4F5")
    for action in ("disable", "enable", "release-binding", "rotate-credentials"):
        commit(console.post, f"/boxes/{box.pk}/{action}/")
    for action in ("wipe-resend", "wipe-detach", "send-missing", "resync"):
        commit(console.post, f"/boxes/{box.pk}/command/{action}/")
    assert whats("devices.box", box.pk)[2:] == ["box_disabled", "box_enabled", "binding_released",
                                                "credentials_rotated", "wipe_and_resend", "wipe_and_detach",
                                                "send_missing", "resync"]
    wipe = entries_of("devices.box", box.pk)[6]
    assert wipe.additional_data["wipe_options"] == {"users": True, "events": False}
    assert wipe.additional_data["commands"][0]["method"] == "wipe_data"
    passwords = [box.broker_password, Box.objects.get(pk=box.pk).broker_password]
    commit(console.post, f"/boxes/{box.pk}/delete/")
    commit(console.post, f"/boxes/areas/{campus.pk}/delete/")
    assert whats("devices.box", box.pk)[-1] == "delete"
    assert whats("devices.area", campus.pk) == ["create", "update", "delete"]
    assert last("devices.area", campus.pk).changes["name"] == ["Main campus", None]
    assert {entry.remote_addr for entry in AuditEntry.objects.all()} == {ADDRESS}
    assert_no_secret_anywhere(passwords)


def test_people_groups_and_photos_changed_in_the_console(console, commit, make_box):
    box = make_box("Gate")
    commit(console.post, "/groups/new/", {"name": "staff", "description": "day", "boxes": [box.pk]})
    staff = PermissionGroup.objects.get(name="staff")
    assert [entry.changes for entry in entries_of("users.permissiongroup", staff.pk)][1] == {
        "boxes": [[], [str(box)]]}
    commit(console.post, "/groups/face/new/", {"name": "vip"})
    vip = FaceGroup.objects.get(name="vip")
    assert whats("users.facegroup", vip.pk) == ["create"]
    commit(console.post, "/people/new/", {"identity_id": "P-1", "name": "Pat", "person_type": 1,
                                          "permission_groups": [staff.pk], "face_groups": [vip.pk],
                                          "photo_file": jpeg()})
    pat = Person.objects.get(identity_id="P-1")
    first_photo = pat.photo_sha256
    commit(console.post, f"/people/{pat.pk}/edit/", {"name": "Patricia", "person_type": 1,
                                                     "permission_groups": [staff.pk], "face_groups": [],
                                                     "photo_file": jpeg("enroll/obama/1.jpg")})
    pat.refresh_from_db()
    changes = [entry.changes for entry in entries_of("users.person", pat.pk)]
    assert {"name": ["Pat", "Patricia"]} in changes and {"face_groups": [["vip"], []]} in changes
    photo = [entry for entry in entries_of("users.person", pat.pk) if entry.what == "photo_changed"][-1]
    assert_entry(photo, "photo_changed", {"photo_sha256": (first_photo, pat.photo_sha256)}, address=ADDRESS)
    commit(console.post, f"/people/{pat.pk}/send/")
    assert whats("users.person", pat.pk)[-1] == "person_sent"
    site = Area.objects.create(name="Harbour")
    commit(console.post, f"/boxes/areas/{site.pk}/groups/", {"groups": [staff.pk]})
    assert last("users.permissiongroup", staff.pk).changes == {"areas": [[], ["Harbour"]]}
    commit(console.post, f"/people/{pat.pk}/delete/")
    commit(console.post, f"/groups/{staff.pk}/delete/")
    assert whats("users.person", pat.pk)[-1] == "delete"
    assert last("users.person", pat.pk).changes["name"] == ["Patricia", None]
    assert whats("users.permissiongroup", staff.pk)[-1] == "delete"


def test_a_photo_check_sent_to_a_box_is_recorded(console, commit, make_box):
    box = make_box("Gate")
    commit(console.post, "/fiqa/", {"box": box.pk, "photo": jpeg(), "level": "high"})
    entry = last("devices.box", box.pk)
    assert entry.what == "photo_check" and entry.additional_data["fiqa_level"] == "high"
    assert entry.additional_data["commands"][0]["method"] == "fiqa" and len(entry.additional_data["photo_sha256"]) == 64


def test_attendance_shifts_holidays_and_corrections_changed_in_the_console(console, commit, db):
    staff = PermissionGroup.objects.create(name="staff")
    Person.objects.create(identity_id="B-2", name="Bob")
    commit(console.post, "/attendance/shifts/new/", {"name": "Early", "start": "06:00", "end": "14:00",
                                                      "grace_minutes": "5", "weekdays": ["0", "1"],
                                                      "groups": [staff.pk], "people": ""})
    commit(console.post, "/attendance/holidays/", {"day": "2026-05-01", "name": "Labour day"})
    commit(console.post, "/attendance/corrections/", {"identity_id": "B-2", "day": "2026-03-13", "excused": "on",
                                                      "reason": "Training"})
    kinds = {entry.kind: entry for entry in AuditEntry.objects.all()}
    assert kinds["attendance.shift"].changes["weekdays"] == [None, [0, 1]]
    assert kinds["attendance.shiftassignment"].changes["group"] == [None, "staff"]
    assert kinds["attendance.holiday"].changes["name"] == [None, "Labour day"]
    assert_entry(kinds["attendance.correction"], "create", {"reason": (None, "Training"), "excused": (None, True)},
                 address=ADDRESS)
    commit(console.post, f"/attendance/corrections/{Correction.objects.get().pk}/delete/")
    commit(console.post, f"/attendance/holidays/{Holiday.objects.get().pk}/delete/")
    commit(console.post, f"/attendance/shifts/{Shift.objects.get().pk}/delete/")
    deleted = AuditEntry.objects.filter(action=AuditEntry.Action.DELETE)
    assert sorted(deleted.values_list("content_type__model", flat=True)) == [
        "correction", "holiday", "shift", "shiftassignment"]


def test_an_import_run_by_the_worker_is_recorded_as_its_starter_s(console, commit, db):
    photos = io.BytesIO()
    with zipfile.ZipFile(photos, "w") as archive:
        archive.write(FACES / "enroll/biden/1.jpg", "joe.jpg")
    upload = {"csv_file": SimpleUploadedFile("people.csv", b"identity_id,name,type,groups,photo\n"
                                                           b"E-1,Joe,1,Lab,joe.jpg\n", "text/csv"),
              "photos": SimpleUploadedFile("photos.zip", photos.getvalue(), "application/zip")}
    # The task runs after the request (on commit, as a worker would): no request, the job's starter.
    commit(console.post, "/people/import/", upload)
    job = ImportJob.objects.get()
    assert job.state == "done" and job.succeeded == 1, job.report
    assert whats("users.importjob", job.pk) == ["create"]
    joe = Person.objects.get(identity_id="E-1")
    assert_entry(entries_of("users.person", joe.pk)[0], "create", {"name": (None, "Joe")}, address=ADDRESS)
    lab = PermissionGroup.objects.get(name="Lab")
    assert_entry(entries_of("users.permissiongroup", lab.pk)[0], "create", {"name": (None, "Lab")}, address=ADDRESS)


def test_accounts_password_and_api_tokens_changed_in_the_console(console, commit, admin_user):
    old_hash = admin_user.password
    response = commit(console.post, "/account/password/", {"old_password": "correct horse battery",
                                                            "new_password1": "a brand new long secret 42",
                                                            "new_password2": "a brand new long secret 42"})
    assert response.status_code == 302
    admin_user.refresh_from_db()
    entry = last("auth.user", admin_user.pk)
    assert_entry(entry, "password_changed", {"password": ("••••••", "••••••")}, address=ADDRESS)
    created = commit(console.post, "/account/tokens/", {"name": "export script", "lifetime": "0"})
    token = ApiToken.objects.get(user=admin_user)
    key = created.context["new_key"]
    commit(console.post, f"/account/tokens/{token.pk}/revoke/")
    assert whats("accounts.apitoken", token.pk) == ["create", "delete"]
    assert entries_of("accounts.apitoken", token.pk)[0].changes["name"] == [None, "export script"]
    assert_no_secret_anywhere([old_hash, admin_user.password, token.digest, token.token_key, key])


def test_feedback_on_an_event_is_recorded_with_its_label_before_and_after(console, commit, make_box):
    box = make_box("Gate")
    intake_events(box, [event("ann", 1_700_000_000_000)])
    wrong = Event.objects.get()
    commit(console.post, f"/faces/events/{wrong.pk}/feedback/", {"verdict": "reject"})
    entry = last("events.event", wrong.pk)
    assert_entry(entry, "event_feedback", {"label": ("Ann (ann)", "")}, address=ADDRESS)
    assert entry.additional_data["verdict"] == "reject"


@pytest.fixture
def trail(console, commit, db):
    """A few entries by two operators from two addresses."""
    commit(console.post, "/boxes/areas/new/", {"name": "Campus", "parent": ""})
    commit(console.post, "/groups/face/new/", {"name": "=HYPERLINK(\"http://evil.example\")"})
    olga = Client(REMOTE_ADDR="192.0.2.9")
    olga.force_login(_superuser("olga"))
    commit(olga.post, "/groups/face/new/", {"name": "night shift"})
    return console


def _superuser(name: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create(username=name, is_staff=True, is_superuser=True,
                                           password=make_password("long enough password"))


def test_the_audit_page_searches_and_shows_before_and_after(trail):
    page = trail.get("/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Campus" in html and "night shift" in html and "203.0.113.77" in html and "192.0.2.9" in html
    assert 'data-after>Campus</ins>' in html
    only_olga = trail.get("/audit/", {"actor": "olga"}).content.decode()
    assert "night shift" in only_olga and "Campus" not in only_olga
    by_address = trail.get("/audit/", {"address": "192.0.2."}).context["rows"]
    assert [row[0].object_repr for row in by_address] == ["night shift"]
    areas = trail.get("/audit/", {"kind": "devices.area", "action": "create", "q": "camp"}).context["rows"]
    assert [row[0].object_repr for row in areas] == ["Campus"]
    assert trail.get("/audit/", {"since": "2000-01-01", "until": "2000-01-01"}).context["rows"] == []
    refused = trail.get("/audit/", {"since": "not a day"})
    assert refused.status_code == 400 and refused.context["rows"] == []


def test_the_audit_page_reads_in_chinese(trail):
    html = trail.get("/audit/", **CHINESE).content.decode()
    assert "审计日志" in html and "已创建" in html and "操作员" in html


def test_the_csv_export_has_a_row_per_entry_and_plain_text_cells(trail):
    response = trail.get("/audit/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["operator"], row["address"], row["kind"], row["action"]) for row in rows] == [
        ("admin", "203.0.113.77", "devices.area", "Created"),
        ("admin", "203.0.113.77", "users.facegroup", "Created"),
        ("olga", "192.0.2.9", "users.facegroup", "Created")]
    assert rows[0]["changes"] == "name:  → Campus"
    assert rows[1]["object"].startswith("'=HYPERLINK"), "a formula is shown as text"
    only_olga = trail.get("/audit/export.csv", {"actor": "olga"})
    assert len(list(csv.DictReader(io.StringIO(b"".join(only_olga.streaming_content).decode())))) == 1


def test_the_audit_trail_is_for_administrators_and_in_their_menu(trail, client, django_user_model):
    assert 'id="audit-link"' in trail.get("/boxes/").content.decode()
    viewer = django_user_model.objects.create_user("vera")
    set_role(viewer, "viewer")
    client.force_login(viewer)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert 'id="audit-link"' not in client.get("/boxes/").content.decode()


def test_nothing_in_the_trail_can_be_changed_in_django_s_admin(trail):
    entry = AuditEntry.objects.first()
    assert trail.get("/admin/audit/auditentry/").status_code == 200
    assert trail.get("/admin/audit/auditentry/add/").status_code == 403
    assert trail.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"object_repr": "x"}).status_code == 403
    assert trail.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = trail.post("/admin/audit/auditentry/", {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert bulk.status_code in (200, 302, 403)
    assert AuditEntry.objects.filter(pk=entry.pk, object_repr=entry.object_repr).exists()


def test_operator_accounts_invited_changed_disabled_and_reset_in_the_console(console, commit, django_user_model,
                                                                              site_areas):
    campus = site_areas[0]
    page = commit(console.post, "/operators/new/", {"username": "mei", "name": "Li Mei", "email": "", "role": "viewer"})
    link = SET_PASSWORD_LINK.search(page.content.decode()).group(1)
    mei = django_user_model.objects.get(username="mei")
    assert_entry(entries_of("auth.user", mei.pk)[0], "create", {"username": (None, "mei")}, address=ADDRESS)
    operator = mei.operator
    assert entries_of("accounts.operator", operator.pk)[0].changes["role"] == [None, "viewer"]
    # Mei chooses her password from the link: nobody is logged in, she is the one acting.
    owner = Client(REMOTE_ADDR="198.51.100.5")
    opened = owner.get(link)
    chosen = "a fresh long phrase 42"
    owner.post(opened["Location"], {"new_password1": chosen, "new_password2": chosen})
    assert_entry(last("auth.user", mei.pk), "password_changed", {"password": ("••••••", "••••••")}, actor="mei",
                 address="198.51.100.5")
    commit(console.post, f"/operators/{mei.pk}/edit/", {"name": "Li Mei", "email": "mei@example.org",
                                                         "role": "site_manager", "sites": [campus.pk]})
    assert {"role": ["viewer", "site_manager"]} in [entry.changes for entry in entries_of("accounts.operator",
                                                                                           operator.pk)]
    assert last("accounts.operator", operator.pk).changes == {"sites": [[], ["Campus"]]}
    for action in ("disable", "enable", "reset"):
        commit(console.post, f"/operators/{mei.pk}/{action}/")
    assert whats("auth.user", mei.pk)[-3:] == ["account_disabled", "account_enabled", "password_changed"]
    assert last("auth.user", mei.pk).changes["password"][1] == "••••••"
    mei.refresh_from_db()
    assert_no_secret_anywhere([mei.password])


def test_edits_of_groups_shifts_photos_and_others_tokens_in_the_console(console, commit, make_box, admin_user,
                                                                        django_user_model):
    gate, door = make_box("Gate"), make_box("Door")
    staff = PermissionGroup.objects.create(name="staff")
    staff.boxes.add(gate)
    commit(console.post, f"/groups/{staff.pk}/edit/", {"name": "day staff", "description": "", "boxes": [door.pk]})
    changes = [entry.changes for entry in entries_of("users.permissiongroup", staff.pk)]
    assert {"name": ["staff", "day staff"]} in changes
    assert changes[-2:] == [{"boxes": [[str(gate)], []]}, {"boxes": [[], [str(door)]]}]
    commit(console.post, "/attendance/shifts/new/", {"name": "Early", "start": "06:00", "end": "14:00",
                                                      "grace_minutes": "0", "weekdays": ["0"], "people": ""})
    shift = Shift.objects.get()
    commit(console.post, f"/attendance/shifts/{shift.pk}/", {"name": "Early", "start": "07:00", "end": "15:00",
                                                             "grace_minutes": "10", "weekdays": ["0", "2"],
                                                             "people": ""})
    assert_entry(last("attendance.shift", shift.pk), "update", {"start": ("06:00:00", "07:00:00"),
                                                                "weekdays": ([0], [0, 2])}, address=ADDRESS)
    commit(console.post, "/people/new/", {"identity_id": "P-3", "name": "Pam", "person_type": 1, "photo_file": jpeg()})
    pam = Person.objects.get(identity_id="P-3")
    commit(console.post, f"/people/{pam.pk}/photos/add/", {"photo": jpeg("enroll/obama/1.jpg"), "primary": "on"})
    added = pam.photos.get(is_primary=True)
    commit(console.post, f"/people/{pam.pk}/photos/{added.pk}/remove/")
    assert whats("users.personphoto", added.pk) == ["create", "delete"]
    assert [entry.what for entry in entries_of("users.person", pam.pk)].count("photo_changed") == 3
    other = django_user_model.objects.create_user("olga")
    token, _key = create_api_token(other, name="olga's script", valid_for=None)
    commit(console.post, f"/operators/{other.pk}/tokens/{token.pk}/revoke/")
    assert_entry(last("accounts.apitoken", token.pk), "delete", {"name": ("olga's script", None)}, address=ADDRESS)
