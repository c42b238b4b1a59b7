"""The attendance reports as CSV and XLSX: the same columns in both, times in the site's zone.
Every text cell goes through safe_cell (cloudplatform/spreadsheet.py): openpyxl, like a
spreadsheet opening a CSV, would take text starting with `=` for a formula."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook

from cloudplatform.spreadsheet import csv_lines, safe_cell

from .compute import DayRow, MonthSummary

DAY_COLUMNS = ["day", "identity_id", "name", "shift", "workday", "holiday", "first_in", "last_out",
               "minutes_present", "late_minutes", "early_minutes", "absent", "incomplete", "correction",
               "corrected_by"]
MONTH_COLUMNS = ["month", "identity_id", "name", "workdays", "days_present", "late_days", "late_minutes",
                 "early_days", "early_minutes", "absent_days", "incomplete_days", "corrected_days",
                 "minutes_present"]


def day_cells(row: DayRow) -> list[object]:
    fix = row.correction
    return [row.day, row.person.identity_id, row.person.name, row.shift, row.workday, row.holiday, row.first_in,
            row.last_out, row.minutes_present, row.late_minutes, row.early_minutes, row.absent, row.incomplete,
            fix.reason if fix else "", fix.made_by if fix else ""]


def month_cells(month: date, total: MonthSummary) -> list[object]:
    return [month.strftime("%Y-%m"), total.person.identity_id, total.person.name, total.workdays,
            total.days_present, total.late_days, total.late_minutes, total.early_days, total.early_minutes,
            total.absent_days, total.incomplete_days, total.corrected_days, total.minutes_present]


def csv_text(header: list[str], rows: Iterable[list[object]]) -> Iterator[str]:
    """CSV lines; times as ISO 8601 with the site's offset, yes/no as true/false."""
    return csv_lines(header, ([_csv_value(cell) for cell in row] for row in rows))


def _csv_value(cell: object) -> object:
    if isinstance(cell, datetime):
        return cell.isoformat(timespec="seconds")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return cell


def xlsx_bytes(title: str, header: list[str], rows: Iterable[list[object]]) -> bytes:
    """One sheet; times as spreadsheet dates in the site's zone (a sheet cell has no zone)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_value(cell) for cell in row])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(cell: object) -> object:
    if isinstance(cell, datetime):
        return cell.replace(tzinfo=None)  # already in the site's zone (compute.DayRow)
    return safe_cell(cell)
