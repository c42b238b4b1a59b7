"""The monthly attendance report in Chromium: filter by group, download the CSV of what it shows."""
import csv

import pytest

from tests.attendance_month import WORKDAYS, ZONE_NAME, build_month
from tests.browser.chromium import SHOTS, needs_chromium
from users.models import PermissionGroup

PASSWORD = "correct horse battery"

pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
    needs_chromium,
]


def test_the_monthly_report_filters_by_group_and_downloads_its_csv(browser_page, asgi_server, make_box, admin_user,
                                                                  settings):
    settings.TIME_ZONE = ZONE_NAME
    month = build_month(make_box("gate"), admin_user)
    nights = PermissionGroup.objects.create(name="Night crew")
    month["bob"].permission_groups.add(nights)
    page, base = browser_page, asgi_server.url
    page.goto(base + "/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.click("#nav >> text=Attendance")
    page.click("#attendance-tabs >> text=Monthly")
    page.fill("#month", "2026-03")
    page.click("#attendance-filters button[type=submit]")
    page.wait_for_selector("#attendance-table tr[data-identity='A-1']")
    page.select_option("#group", label="Night crew")
    page.click("#attendance-filters button[type=submit]")
    page.wait_for_selector("#attendance-table tr[data-identity='A-1']", state="detached")
    assert page.locator("#attendance-table tbody tr").count() == 1
    assert page.locator("tr[data-identity='B-2'] td.absent").inner_text() == "1"
    page.screenshot(path=str(SHOTS / "attendance-monthly.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename == "attendance-2026-03.csv"
    with open(download.value.path(), newline="", encoding="utf-8") as text:
        rows = list(csv.DictReader(text))
    assert [(row["name"], row["workdays"], row["late_days"], row["early_days"], row["absent_days"])
            for row in rows] == [("Bob", str(WORKDAYS), "1", "1", "1")]
    # The person's days of that month, the overnight shift's departure on the next morning.
    page.click("#attendance-table >> text=Bob")
    page.wait_for_selector("#attendance-table tr[data-day='2026-03-16']")
    assert "06:02 (+1)" in page.locator("tr[data-day='2026-03-16']").inner_text()
    assert page.locator("#attendance-table tbody tr").count() == 31
    page.screenshot(path=str(SHOTS / "attendance-daily.png"), full_page=True)
    assert page.script_errors == []
