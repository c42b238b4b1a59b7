"""Attendance in the console, its exports and the API: the known month (tests/attendance_month.py)
comes out the same everywhere; pages in English and Chinese; administrators only."""
import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from attendance.models import Correction, Holiday, Shift, ShiftAssignment
from tests.attendance_month import EXPECTED, WORKDAYS, ZONE_NAME, build_month
from tests.test_i18n import CHINESE, visible_words

MARCH = {"since": "2026-03-01", "until": "2026-03-31"}
PAGES = ["/attendance/?since=2026-03-01&until=2026-03-31", "/attendance/monthly/?month=2026-03",
         "/attendance/shifts/", "/attendance/shifts/new/", "/attendance/holidays/", "/attendance/corrections/"]


@pytest.fixture
def month(db, settings, make_box, admin_user):
    settings.TIME_ZONE = ZONE_NAME
    return build_month(make_box("gate"), admin_user)


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def _flags(rows, name):
    mine = [row for row in rows if row["name"].lower() == name]
    return ({row["day"]: int(row["late_minutes"]) for row in mine if int(row["late_minutes"])},
            {row["day"]: int(row["early_minutes"]) for row in mine if int(row["early_minutes"])},
            {row["day"] for row in mine if row["absent"] in (True, "true")})


def _expected(name):
    wanted = EXPECTED[name]
    return ({day.isoformat(): minutes for day, minutes in wanted["late"].items()},
            {day.isoformat(): minutes for day, minutes in wanted["early"].items()},
            {day.isoformat() for day in wanted["absent"]})


def test_the_api_gives_the_months_rows_and_summary(admin, month):
    response = admin.get("/api/attendance/", {**MARCH, "limit": 1000})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 62
    for name in EXPECTED:
        assert _flags(body["results"], name) == _expected(name)
    leave = next(row for row in body["results"] if row["name"] == "Alice" and row["day"] == "2026-03-10")
    assert leave["correction"]["reason"] == "Sick leave" and leave["correction"]["made_by"] == "admin"
    night = next(row for row in body["results"] if row["name"] == "Bob" and row["day"] == "2026-03-16")
    assert (night["first_in"], night["last_out"]) == ("2026-03-16T21:55:00+08:00", "2026-03-17T06:02:00+08:00")
    summary = admin.get("/api/attendance/summary/", {"month": "2026-03"}).json()["results"]
    alice = next(row for row in summary if row["name"] == "Alice")
    assert (alice["month"], alice["workdays"], alice["late_days"], alice["early_days"], alice["absent_days"]) == \
        ("2026-03", WORKDAYS, 2, 1, 1)
    bob_only = admin.get("/api/attendance/summary/", {"month": "2026-03", "person": month["bob"].pk}).json()
    assert [row["name"] for row in bob_only["results"]] == ["Bob"]


def test_the_api_refuses_bad_filters_by_name(admin, month):
    response = admin.get("/api/attendance/", {"since": "2026-03-31", "until": "2026-03-01", "group": "999"})
    assert response.status_code == 400 and set(response.json()) == {"until", "group"}
    assert admin.get("/api/attendance/summary/", {"month": "2026-13"}).status_code == 400


def test_csv_and_xlsx_exports_give_the_same_rows(admin, month):
    response = admin.get("/attendance/daily.csv", MARCH)
    assert response["Content-Disposition"] == 'attachment; filename="attendance-20260301-20260331.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 62
    for name in EXPECTED:
        assert _flags(rows, name) == _expected(name)
    response = admin.get("/attendance/daily.xlsx", {**MARCH, "group": month["staff"].pk})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *values = [list(row) for row in sheet.iter_rows(values_only=True)]
    cells = [dict(zip(header, row, strict=True)) for row in values]
    assert len(cells) == 62
    forgot = next(row for row in cells if row["name"] == "Alice" and row["day"].date() == date(2026, 3, 11))
    assert (forgot["correction"], forgot["last_out"].hour) == ("Forgot to pass", 18)
    for name in EXPECTED:
        late = {row["day"].date().isoformat(): row["late_minutes"] for row in cells
                if row["name"].lower() == name and row["late_minutes"]}
        assert late == _expected(name)[0]
    monthly = admin.get("/attendance/monthly.csv", {"month": "2026-03"})
    totals = {row["name"]: row for row in csv.DictReader(io.StringIO(b"".join(monthly.streaming_content).decode()))}
    assert (totals["Bob"]["late_days"], totals["Bob"]["absent_days"]) == ("1", "1")


def test_exports_make_formula_text_plain(admin, month):
    month["alice"].name = "=HYPERLINK(\"http://evil.example\")"
    month["alice"].save()
    text = b"".join(admin.get("/attendance/daily.csv", MARCH).streaming_content).decode()
    assert "'=HYPERLINK" in text
    sheet = load_workbook(io.BytesIO(admin.get("/attendance/daily.xlsx", MARCH).content)).active
    assert any(cell.value == "'=HYPERLINK(\"http://evil.example\")" and cell.data_type == "s"
               for row in sheet.iter_rows() for cell in row)


def test_the_reports_show_the_month(admin, month):
    page = admin.get("/attendance/monthly/", {"month": "2026-03", "group": month["staff"].pk}).content.decode()
    bob = re.search(r'<tr data-identity="B-2">.*?</tr>', page, re.S)[0]
    assert re.search(r'class="text-end absent">1<', bob) and "Bob" in bob
    assert "Vera" not in page
    daily = admin.get("/attendance/", {"since": "2026-03-10", "person": month["alice"].pk}).content.decode()
    assert "Sick leave" in daily and "Excused" in daily and "Bob" not in daily and "Only Alice." in daily
    correct = re.search(r'href="(/attendance/corrections/\?[^"]+)"', daily)[1].replace("&amp;", "&")
    form = admin.get(correct).content.decode()
    assert 'value="A-1"' in form and 'value="2026-03-10"' in form, "the row's Correct link fills the form"
    night = admin.get("/attendance/", {"since": "2026-03-16", "person": month["bob"].pk}).content.decode()
    assert "21:55" in night and "06:02 (+1)" in night
    assert admin.get("/attendance/", {"since": "2026-02-30"}).status_code == 400


def test_pages_in_english_and_chinese(admin, month):
    data = {"Alice", "Bob", "Office", "Night", "Spring", "day", "Sick", "leave", "Forgot", "to", "pass", "Staff",
            "admin", "Asia", "Shanghai", "XLSX"}  # the zone in the footer, a file format
    for path in PAGES:
        english = admin.get(path)
        assert english.status_code == 200 and ">Attendance<" in english.content.decode().replace("</i> ", ">"), path
        chinese = admin.get(path, **CHINESE).content.decode()
        assert "考勤" in chinese, path
        assert visible_words(chinese, data) == set(), path


def test_administrators_edit_shifts_holidays_and_corrections(admin, month, admin_user):
    response = admin.post("/attendance/shifts/new/", {"name": "Early", "start": "06:00", "end": "14:00",
                                                      "grace_minutes": "0", "weekdays": ["5", "6"],
                                                      "groups": [month["staff"].pk], "people": "V-3"})
    assert response.status_code == 302
    early = Shift.objects.get(name="Early")
    assert early.weekdays == [5, 6] and not early.overnight
    assert ShiftAssignment.objects.get(group=month["staff"]).shift == early, "a group has one shift"
    assert ShiftAssignment.objects.get(person=month["visitor"]).shift == early
    refused = admin.post("/attendance/shifts/new/", {"name": "X", "start": "06:00", "end": "14:00",
                                                     "grace_minutes": "0", "people": "nobody"})
    assert refused.status_code == 400 and not Shift.objects.filter(name="X").exists()
    admin.post("/attendance/holidays/", {"day": "2026-05-01", "name": "Labour day"})
    assert Holiday.objects.filter(day=date(2026, 5, 1), name="Labour day").exists()
    admin.post("/attendance/corrections/", {"identity_id": "B-2", "day": "2026-03-13", "excused": "on",
                                            "reason": "Training"})
    fix = Correction.objects.get(person=month["bob"], day=date(2026, 3, 13))
    assert (fix.excused, fix.made_by, fix.made_by_name) == (True, admin_user, "admin")
    page = admin.get("/attendance/corrections/").content.decode()
    assert "Training" in page and "admin" in page
    assert admin.post("/attendance/corrections/", {"identity_id": "B-2", "day": "2026-03-13",
                                                   "reason": "nothing"}).status_code == 400


@pytest.mark.parametrize("path", PAGES + ["/attendance/daily.csv", "/attendance/monthly.xlsx"])
def test_non_staff_are_refused(client, django_user_model, month, path):
    assert client.get(path).status_code == 302  # to the login page
    client.force_login(django_user_model.objects.create_user("clerk", password="x" * 12))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/api/attendance/", "/api/attendance/summary/"])
def test_the_api_is_for_administrators_only(client, django_user_model, db, path):
    assert client.get(path).status_code in (401, 403)
    client.force_login(django_user_model.objects.create_user("clerk", password="x" * 12))
    assert client.get(path).status_code == 403


def test_the_endpoints_are_in_the_openapi_schema(admin, db):
    schema = admin.get("/api/schema/", {"format": "json"}).json()
    assert {"/api/attendance/", "/api/attendance/summary/"} <= set(schema["paths"])
    listed = schema["paths"]["/api/attendance/"]["get"]
    assert {"since", "until", "group", "person", "q", "limit", "offset"} <= {p["name"] for p in listed["parameters"]}


def test_a_site_or_area_narrows_attendance_to_the_people_served_there(admin, month, site_areas):
    campus, _building, floor, harbour = site_areas
    from devices.models import Box

    Box.objects.filter(name="gate").update(area=floor)
    month["staff"].boxes.add(Box.objects.get(name="gate"))  # Staff is served at the gate on Floor 2
    for area, names in ((campus, {"Alice", "Bob"}), (floor, {"Alice", "Bob"}), (harbour, set())):
        summary = admin.get("/api/attendance/summary/", {"month": "2026-03", "area": area.pk})
        assert summary.status_code == 200
        assert {row["name"] for row in summary.json()["results"]} == names, area.name
    page = admin.get("/attendance/monthly/", {"month": "2026-03", "area": harbour.pk}).content.decode()
    assert f'<option value="{harbour.pk}" selected>Harbour</option>' in page and "Alice" not in page
    assert "Campus / Building A / Floor 2" in page  # the areas listed as paths
    assert admin.get("/api/attendance/", {"since": "2026-03-02", "area": 999999}).status_code == 400
