"""The administrators' view of events: page, filters, CSV, API, pictures, retention; box status API."""
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from cloudplatform.wire import validated
from devices.box_serializers import StatusReportSerializer
from devices.reports import record_status
from events.models import Event, QuarantinedEvent
from events.services import intake_events, purge_events_before
from events.tasks import purge_old_events

from .helpers import event
from .paths import FACES


@pytest.fixture
def stored(make_box):
    """Two boxes' events: obama (staff) twice, a stranger, and a blacklisted person."""
    north, south = make_box("north gate"), make_box("south door")
    now = int(timezone.now().timestamp() * 1000)
    photo = (FACES / "probe/obama/1.jpg").read_bytes()
    intake_events(north, [event("obama", now - 60_000, photo), event("obama", now - 30_000)])
    intake_events(south, [event("stranger_1", now - 20_000, person_type=4),
                          event("mallory", now - 10_000, photo, person_type=3)])
    return north, south


def test_the_events_page_lists_filters_and_counts(client, admin_user, stored):
    north, south = stored
    client.force_login(admin_user)
    page = client.get("/events/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("data-event-id=") == 4 and "blacklist" in html and "stranger" in html
    assert page.context["chart"]["counts"][-1] + page.context["chart"]["counts"][-2] == 4
    assert {row["box__name"]: row["count"] for row in page.context["per_box"]} == {"north gate": 2, "south door": 2}
    assert client.get("/events/", {"box": south.pk}).content.decode().count("data-event-id=") == 2
    assert client.get("/events/", {"type": 3}).content.decode().count("data-event-id=") == 1
    assert client.get("/events/", {"q": "obam"}).content.decode().count("data-event-id=") == 2
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client.get("/events/", {"since": tomorrow}).content.decode().count("data-event-id=") == 0


def test_csv_export_follows_the_filters(client, admin_user, stored):
    client.force_login(admin_user)
    response = client.get("/events/export.csv", {"q": "obama"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["identity_id"] for r in rows] == ["obama", "obama"] and rows[0]["box"] == "north gate"
    assert rows[0]["person_type"] == "staff" and float(rows[0]["score"]) == 0.91


def test_events_api_filters_and_pictures_are_for_administrators_only(client, admin_user, stored):
    assert client.get("/api/events/").status_code == 401
    listed = client.get("/events/1/spot.jpg")
    assert listed.status_code == 302  # to the login page
    client.force_login(admin_user)
    blacklist = client.get("/api/events/", {"type": 3}).json()
    assert blacklist["count"] == 1 and blacklist["results"][0]["person_type_label"] == "blacklist"
    picture = client.get(blacklist["results"][0]["spot_pic_url"])
    assert b"".join(picture.streaming_content) == (FACES / "probe/obama/1.jpg").read_bytes()
    assert client.get("/api/events/", {"identity_id": "obama"}).json()["count"] == 2
    assert client.get("/api/events/", {"box": stored[1].pk, "type": 4}).json()["count"] == 1


def test_box_status_api_gives_the_report_and_sub_devices(client, admin_user, make_box):
    box = make_box("status box")
    client.force_login(admin_user)
    assert client.get(f"/api/boxes/{box.pk}/status/").json()["report"] is None
    report = {"gateway_status": "online", "dev_sno": box.dev_sno,
              "gateway_ext_data": {"cpu_usage": 12.5, "memory_size": 8, "memory_usage": 0.4, "disk_size": 100,
                                   "disk_free_size": 60},
              "sub_devices": [{"ep_id": f"{box.dev_sno}__10.0.0.5", "ep_name": "Gate", "ep_ip": "10.0.0.5",
                               "ep_status": "online", "ep_type": 0}]}
    record_status(box, validated(StatusReportSerializer, report), report)
    status = client.get(f"/api/boxes/{box.pk}/status/").json()
    assert status["online"] is True and status["report"]["cpu_usage"] == 12.5
    assert status["report"]["disk_free_size"] == 60
    assert [(d["ep_id"], d["status"]) for d in status["sub_devices"]] == [(f"{box.dev_sno}__10.0.0.5", "online")]


def test_retention_deletes_old_events_and_the_pictures_no_one_else_uses(make_box, settings):
    box = make_box("retention")
    cutoff = (timezone.now() - timedelta(days=40)).replace(hour=12, minute=0, second=0, microsecond=0)
    ms = int(cutoff.timestamp() * 1000)
    shared, alone = (FACES / "probe/obama/1.jpg").read_bytes(), (FACES / "probe/biden/1.jpg").read_bytes()
    # Pictures are files named by day and content: "a" and "c" share one.
    intake_events(box, [event("a", ms - 60_000, shared), event("b", ms - 50_000, alone),
                        event("c", ms + 60_000, shared)])
    pictures = dict(Event.objects.values_list("identity_id", "spot_pic"))
    assert pictures["a"] == pictures["c"]
    media = Path(settings.MEDIA_ROOT)
    settings.EVENT_RETENTION_DAYS = 0
    assert purge_old_events() == {"events": 0, "pictures": 0, "quarantined": 0}  # 0 keeps everything
    assert purge_events_before(cutoff) == {"events": 2, "pictures": 1, "quarantined": 0}
    assert list(Event.objects.values_list("identity_id", flat=True)) == ["c"]
    assert (media / pictures["c"]).exists() and not (media / pictures["b"]).exists()
    settings.EVENT_RETENTION_DAYS = 30
    assert purge_old_events() == {"events": 1, "pictures": 1, "quarantined": 0}


def test_retention_deletes_quarantined_events_not_received_since(make_box):
    box = make_box("old quarantine")
    intake_events(box, [{"identity_id": "old"}, {"identity_id": "new"}])
    long_ago = timezone.now() - timedelta(days=40)
    QuarantinedEvent.objects.filter(raw__contains='"old"').update(last_received_at=long_ago)
    assert purge_events_before(timezone.now() - timedelta(days=30)) == {"events": 0, "pictures": 0, "quarantined": 1}
    assert json.loads(QuarantinedEvent.objects.get().raw) == {"identity_id": "new"}
