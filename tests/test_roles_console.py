"""Roles in the console (issue 16 item 3): a site manager of site A sees nothing of site B on any
page or export, finds none of B's objects (404, so ids do not leak), and a viewer changes nothing.
The checks walk every console route: a page added later without scoping fails here unless it is
named below."""
import io

import openpyxl
from django.urls import reverse

from attendance.models import Correction, Holiday, Shift
from users.models import ImportJob, PersonPhoto

from .roles_routes import console_routes

# Pages with nothing of any site in them, and what they are.
UNSCOPED = {
    "console-home": "a redirect to the box list",
    "login": "the login form",
    "logout": "logging out",
    "password-change": "one's own password",
    "set_language": "the language menu",
    "javascript-catalog": "the console scripts' strings",
    "account-tokens": "one's own API tokens",
    "account-token-revoke": "one's own API token (another's is not found: accounts' tests)",
    "operator-set-password": "an invitation's link (its token is the check)",
}
# Administrators' pages, and changes to what spans every site: anyone else gets 403 whatever
# object they name (so the object's existence is not told either).
ADMINISTRATORS_ONLY = {"attendance-shift-create", "attendance-shift-edit", "attendance-shift-delete",
                       "attendance-holiday-delete", "import-create", "import-detail", "import-status",
                       "operator-list", "operator-create", "operator-detail", "operator-edit", "operator-token-revoke",
                       "operator-action", "face-strangers-merge", "face-stranger-enrol", "face-stranger-split",
                       "face-stranger-dismiss", "audit-list", "audit-export", "group-create", "group-edit",
                       "group-delete", "facegroup-create"}
# Pages a viewer may post to: they read (a search by photo) or concern only the viewer.
VIEWER_POSTS = {"face-search", "login", "logout", "set_language", "password-change"}


def objects(world, side: str) -> dict[str, dict]:
    """URL kwargs naming one object of `side` ("a" or "b") for each route with kwargs."""
    pick = {"a": 0, "b": 1}[side]
    box = (world.box_a, world.box_b)[pick].pk
    area = (world.floor, world.pier)[pick].pk
    person = (world.person_a, world.person_b)[pick]
    event = (world.event_a, world.event_b)[pick].pk
    shift = Shift.objects.get().pk
    holiday = Holiday.objects.get_or_create(day="2030-01-01", defaults={"name": "New year"})[0].pk
    job = ImportJob.objects.get_or_create(csv_path="/nonexistent.csv")[0].pk
    photo = PersonPhoto.objects.filter(person=person).first().pk
    return {
        "box-detail": {"pk": box}, "box-edit": {"pk": box}, "box-action": {"pk": box, "action": "release-binding"},
        "box-command": {"pk": box, "action": "resync"},
        "area-edit": {"pk": area}, "area-delete": {"pk": area}, "area-groups": {"pk": area},
        "event-detail": {"pk": event}, "event-picture": {"pk": event, "which": "spot"},
        "event-quarantine-raw": {"pk": (world.kept_a, world.kept_b)[pick].pk},
        "person-detail": {"pk": person.pk}, "person-edit": {"pk": person.pk}, "person-delete": {"pk": person.pk},
        "person-photo": {"pk": person.pk, "kind": "thumbnail"}, "person-send": {"pk": person.pk},
        "group-edit": {"pk": (world.group_a, world.group_b)[pick].pk},
        "group-delete": {"pk": (world.group_a, world.group_b)[pick].pk},
        "command-detail": {"pk": (world.command_a, world.command_b)[pick].pk},
        "attendance-correction-delete": {"pk": Correction.objects.get(person=person).pk},
        "attendance-shift-edit": {"pk": shift}, "attendance-shift-delete": {"pk": shift},
        "attendance-holiday-delete": {"pk": holiday},
        "import-detail": {"pk": job}, "import-status": {"pk": job},
        "operator-detail": {"pk": world.viewer.pk}, "operator-edit": {"pk": world.viewer.pk},
        "operator-token-revoke": {"pk": world.viewer.pk, "token_pk": 1},
        "operator-action": {"pk": world.viewer.pk, "action": "disable"},
        "person-photo-add": {"pk": person.pk},
        "person-photo-file": {"pk": person.pk, "photo_id": photo, "kind": "thumbnail"},
        "person-photo-action": {"pk": person.pk, "photo_id": photo, "action": "primary"},
        "event-feedback": {"pk": event}, "box-match-scores": {"pk": box}, "person-match-scores": {"pk": person.pk},
        **{name: {"pk": (world.stranger_a, world.stranger_b)[pick].pk}
           for name in ("face-stranger-detail", "face-stranger-enrol", "face-stranger-split", "face-stranger-dismiss")},
    }


# Routes whose kwargs choose a view of everything the operator sees, not one object.
LISTS_WITH_KWARGS = {"attendance-export": [{"report": report, "fmt": fmt} for report in ("daily", "monthly")
                                           for fmt in ("csv", "xlsx")]}


def readable(response) -> str:
    """The text a person would read in a page or an export (a spreadsheet's cells too)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":  # XLSX
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return body.decode(errors="replace")


def url_of(route, world, side: str) -> str:
    table = objects(world, side)
    assert route.name in table, f"{route.name}: say which object of each site it names, or allow-list it"
    return reverse(route.name, kwargs=table[route.name])


def lists(route) -> list[str]:
    if route.name in LISTS_WITH_KWARGS:
        return [reverse(route.name, kwargs=kwargs) for kwargs in LISTS_WITH_KWARGS[route.name]]
    return [reverse(route.name)] if not route.kwargs else []


def test_every_console_page_is_scoped_for_a_site_manager(client, world, admin_user):
    client.force_login(world.manager)
    showing_b_to_admin = checked = 0
    for route in console_routes():
        if route.name in UNSCOPED:
            continue
        expected_refusal = 403 if route.name in ADMINISTRATORS_ONLY else 404
        for url in lists(route):  # a page of what the operator sees: nothing of B
            page = client.get(url)
            assert page.status_code in ((403,) if route.name in ADMINISTRATORS_ONLY else (200, 405)), route.name
            text = readable(page)
            for marker in world.b_markers:
                assert marker not in text, f"{url} shows {marker!r} of site B to A's site manager"
            client.force_login(admin_user)
            showing_b_to_admin += any(marker in readable(client.get(url)) for marker in world.b_markers)
            client.force_login(world.manager)
        if route.kwargs and route.name not in LISTS_WITH_KWARGS:  # one object: B's is not there
            for method in ("get", "post"):
                answer = getattr(client, method)(url_of(route, world, "b"))
                assert answer.status_code in (expected_refusal, 405), f"{method} {route.name} of B"
            if route.name not in ADMINISTRATORS_ONLY:  # and A's is (read only: nothing is changed)
                assert client.get(url_of(route, world, "a")).status_code in (200, 405), route.name
        checked += 1
    assert checked >= 40 and showing_b_to_admin >= 10, (checked, showing_b_to_admin)


def test_a_viewer_changes_nothing_from_the_console(client, world):
    client.force_login(world.viewer)
    for route in console_routes():
        if route.name in VIEWER_POSTS or route.name in UNSCOPED:
            continue
        urls = lists(route) or [url_of(route, world, side) for side in ("a", "b")]
        for url in urls:
            answer = client.post(url, {"name": "changed"})
            assert answer.status_code == 403, f"viewer POST {route.name}: {answer.status_code}"
    page = client.get(reverse("box-detail", kwargs={"pk": world.box_a.pk})).content.decode()
    assert "Alpha gate" in page and "Disable" not in page and "/edit/" not in page  # reads, offered no change
    refused = client.get(reverse("box-create"))
    assert refused.status_code == 403 and "look but not change" in refused.content.decode()


def test_a_site_manager_changes_their_site_from_the_console(client, world):
    client.force_login(world.manager)
    # A new box must stand in their sites: only theirs are offered, and "none" is not.
    form = client.get(reverse("box-create")).content.decode()
    assert "Campus / Building A / Floor 2" in form and "Harbour" not in form and '<option value="">' not in form
    moved = client.post(reverse("box-edit", kwargs={"pk": world.box_a.pk}),
                        {"name": "Alpha gate", "area": world.pier.pk, "record_upload_period": 60,
                         "device_monitor_period": 60})
    assert moved.status_code == 200 and "Select a valid choice" in moved.content.decode()
    renamed = client.post(reverse("person-edit", kwargs={"pk": world.person_a.pk}),
                          {"name": "Alice A.", "person_type": 1, "permission_groups": [world.group_a.pk]})
    assert renamed.status_code == 302, renamed.content.decode()[-2000:]
    world.person_a.refresh_from_db()
    assert world.person_a.name == "Alice A."
    # Their own site is the administrators' to rename or delete.
    assert client.get(reverse("area-edit", kwargs={"pk": world.campus.pk})).status_code == 403
