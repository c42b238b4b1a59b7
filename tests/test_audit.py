"""The audit trail (issue 16 item 4) through the API: every audited model with an API endpoint
gets a create/update/delete round trip from a known address, and each step's entry says who,
from where, what, before and after; secrets never appear; /api/audit/ is read-only and filters;
what boxes write leaves no entry."""
import base64

import pytest
from auditlog.context import auditlog_disabled
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import pre_save
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.services import create_api_token
from audit.models import AuditEntry
from audit.registry import AUDITED_MODELS
from cloudplatform.urls import router
from devices.models import Box
from events.services import intake_events
from users.models import Person

from .fakebox import FakeBox, drain_results
from .helpers import AUDIT_ADDRESS, STATUS, assert_entry, assert_no_secret_anywhere, cluster_of, entries_of, event
from .paths import FACES


def photo_base64(name: str) -> str:
    return base64.b64encode((FACES / name).read_bytes()).decode()


@pytest.fixture
def api(admin_user):
    client = APIClient(REMOTE_ADDR=AUDIT_ADDRESS)
    client.force_authenticate(admin_user)
    return client


# label → (endpoint, create body, update body, the detail URL's key in the reply, what the update changes).
ROUND_TRIPS = {
    "devices.Area": ("/api/areas/", {"name": "Campus"}, {"name": "Main campus"}, "id",
                     {"name": ("Campus", "Main campus")}),
    "devices.Box": ("/api/boxes/", {"name": "Gate"}, {"name": "North gate", "record_upload_period": 30}, "id",
                    {"name": ("Gate", "North gate"), "record_upload_period": (5, 30)}),
    "users.PermissionGroup": ("/api/groups/", {"name": "staff", "description": "all staff"},
                              {"description": "day staff"}, "id", {"description": ("all staff", "day staff")}),
    "users.Person": ("/api/persons/", {"identity_id": "J-1", "name": "Joe", "person_type": 1},
                     {"name": "Joseph", "info": {"desk": 4}}, "identity_id",
                     {"name": ("Joe", "Joseph"), "info": ({}, {"desk": 4})}),
}


# Audited models whose API deletes nothing, with a round trip of their own.
ROUND_TRIPS_ELSEWHERE = {
    "auth.User": "tests/test_accounts_operators.py: operators are disabled, never deleted",
}


def test_every_audited_model_with_a_writable_api_has_a_round_trip():
    """A new API endpoint for an audited model must join ROUND_TRIPS (and so be checked)."""
    writable = {viewset.serializer_class.Meta.model._meta.label
                for _prefix, viewset, _basename in router.registry if hasattr(viewset, "create")}
    assert {label for label in writable if label in AUDITED_MODELS} == set(ROUND_TRIPS) | set(ROUND_TRIPS_ELSEWHERE)


@pytest.mark.parametrize("label", sorted(ROUND_TRIPS))
def test_create_update_delete_through_the_api_are_recorded(api, label, commit):
    endpoint, created_body, update_body, key, updated = ROUND_TRIPS[label]
    kind = label.lower()
    created = commit(api.post, endpoint, created_body, format="json")
    assert created.status_code == 201, created.content
    detail, object_id = f"{endpoint}{created.json()[key]}/", created.json()["id"]
    assert commit(api.patch, detail, update_body, format="json").status_code == 200
    assert commit(api.delete, detail).status_code == 204
    create, update, delete = entries_of(kind, object_id)
    assert_entry(create, "create", {field: (None, value) for field, value in created_body.items()})
    assert_entry(update, "update", updated)
    assert set(update.changes) == set(updated), "only what changed"
    assert_entry(delete, "delete", {field: (after, None) for field, (_before, after) in updated.items()})
    listed = api.get("/api/audit/", {"kind": kind, "object": object_id}).json()
    assert [row["action"] for row in listed["results"]] == ["delete", "update", "create"]
    assert listed["results"][1]["address"] == AUDIT_ADDRESS and listed["results"][1]["actor"] == "admin"


def test_a_person_s_photo_and_groups_replaced_show_before_and_after(api, commit):
    commit(api.post, "/api/groups/", {"name": "staff"}, format="json")
    commit(api.post, "/api/groups/", {"name": "guests"}, format="json")
    first = commit(api.post, "/api/persons/", {"identity_id": "P-1", "name": "Pat", "permission_groups": ["staff"],
                                              "photo_base64": photo_base64("enroll/biden/1.jpg")}, format="json")
    person_id, before = first.json()["id"], first.json()["photo_sha256"]
    commit(api.patch, "/api/persons/P-1/", {"photo_base64": photo_base64("enroll/obama/1.jpg"),
                                            "permission_groups": ["guests"]}, format="json")
    after = api.get("/api/persons/P-1/").json()["photo_sha256"]
    entries = entries_of("users.person", person_id)
    photos = [entry for entry in entries if entry.what == "photo_changed"]
    assert [entry.changes["photo_sha256"] for entry in photos] == [["", before], [before, after]]
    assert before != after and photos[1].changes["photo"][1].endswith(f"{after}.jpg")
    assert_entry(photos[1], "photo_changed", {})
    groups = [entry.changes["permission_groups"] for entry in entries if "permission_groups" in entry.changes]
    assert groups[0] == [[], ["staff"]] and groups[-1] == [[], ["guests"]]
    stored = [(entry.what, entry.changes["sha256"]) for entry in AuditEntry.objects.filter(
        content_type__model="personphoto").order_by("id")]
    assert stored == [("create", [None, before]), ("delete", [before, None]), ("create", [None, after])]


def test_a_group_s_boxes_and_areas_memberships_are_recorded(api, commit, make_box, site_areas):
    gate = make_box("Gate")
    campus = site_areas[0]
    group = commit(api.post, "/api/groups/", {"name": "staff", "boxes": [gate.dev_sno]}, format="json").json()
    commit(api.patch, f"/api/groups/{group['id']}/", {"boxes": [], "areas": [campus.pk]}, format="json")
    changes = [entry.changes for entry in entries_of("users.permissiongroup", group["id"])]
    assert {"boxes": [[], [str(gate)]]} in changes
    assert {"boxes": [[str(gate)], []]} in changes
    assert {"areas": [[], ["Campus"]]} in changes


def test_box_credentials_and_binding_actions_are_recorded_without_secrets(api, commit, make_box):
    box = make_box("Gate")
    Box.objects.filter(pk=box.pk).update(hex_mac="A0B1C2D3E4F5")
    old_password = box.broker_password
    for action in ("disable", "enable", "release-binding", "rotate-credentials"):
        assert commit(api.post, f"/api/boxes/{box.pk}/{action}/").status_code == 200, action
    entries = entries_of("devices.box", box.pk)
    assert [entry.what for entry in entries] == ["box_disabled", "box_enabled", "binding_released",
                                                 "credentials_rotated"]
    assert entries[0].changes == {"enabled": [True, False]}
    assert entries[1].changes == {"enabled": [False, True]}
    assert entries[2].changes == {"hex_mac": ["A0B1C2D3E4F5", ""]}
    assert entries[3].changes == {"broker_password": ["••••••", "••••••"]}
    box.refresh_from_db()
    assert_no_secret_anywhere([old_password, box.broker_password])


def test_a_token_authenticated_call_records_the_token_s_operator(admin_user, commit):
    token, key = create_api_token(admin_user, name="script", valid_for=None)
    client = APIClient(REMOTE_ADDR="192.0.2.44", HTTP_AUTHORIZATION=f"Token {key}")
    created = commit(client.post, "/api/areas/", {"name": "Harbour"}, format="json")
    (entry,) = entries_of("devices.area", created.json()["id"])
    assert_entry(entry, "create", {"name": (None, "Harbour")}, address="192.0.2.44")
    assert not entries_of("accounts.apitoken", token.pk), "made outside any request: no operator"
    assert_no_secret_anywhere([key, token.digest, token.token_key])


def test_the_address_is_the_one_axes_uses_a_client_s_forwarded_for_is_not_believed(api, commit):
    created = commit(api.post, "/api/areas/", {"name": "Spoofed"}, format="json", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert entries_of("devices.area", created.json()["id"])[0].remote_addr == AUDIT_ADDRESS
    with override_settings(AXES_CLIENT_IP_CALLABLE=lambda request: request.META["HTTP_X_FORWARDED_FOR"]):
        behind = commit(api.post, "/api/areas/", {"name": "Proxied"}, format="json", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert entries_of("devices.area", behind.json()["id"])[0].remote_addr == "10.9.9.9"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_audit_api_is_read_only(api, commit, method):
    created = commit(api.post, "/api/areas/", {"name": "Campus"}, format="json")
    entry = entries_of("devices.area", created.json()["id"])[0]
    target = "/api/audit/" if method == "post" else f"/api/audit/{entry.pk}/"
    response = getattr(api, method)(target, {"actor": "someone else"}, format="json")
    assert response.status_code == 405
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "admin" and AuditEntry.objects.count() == 1
    assert api.get(f"/api/audit/{entry.pk}/").json()["object_repr"] == "Campus"


def test_an_entry_cannot_be_saved_again(db):
    entry = AuditEntry.objects.create(content_type=ContentType.objects.get_for_model(Box), object_pk="1",
                                      object_repr="x", action=0, changes={})
    entry.object_repr = "changed"
    with pytest.raises(PermissionError):
        entry.save()


def test_retention_deletes_only_entries_older_than_the_sites_days_and_is_off_by_default(db, settings):
    from datetime import timedelta

    from django.utils import timezone

    from audit.services import purge_entries_before
    from audit.tasks import purge_old_audit_entries

    box_type = ContentType.objects.get_for_model(Box)
    now = timezone.now()
    for age_days in (400, 200, 100, 10, 0):
        entry = AuditEntry.objects.create(content_type=box_type, object_pk=str(age_days), object_repr="x", action=0,
                                          changes={})
        AuditEntry.objects.filter(pk=entry.pk).update(timestamp=now - timedelta(days=age_days))
    settings.AUDIT_RETENTION_DAYS = 0  # the default (a .env may set another)
    assert purge_old_audit_entries() == 0 and AuditEntry.objects.count() == 5
    settings.AUDIT_RETENTION_DAYS = 150
    assert purge_old_audit_entries() == 2
    assert sorted(AuditEntry.objects.values_list("object_pk", flat=True)) == ["0", "10", "100"]
    assert purge_entries_before(now - timedelta(days=5), batch=1) == 2  # a batch at a time, to the end
    assert list(AuditEntry.objects.values_list("object_pk", flat=True)) == ["0"]


def test_the_audit_api_filters_and_refuses_bad_filters(api, commit, admin_user, django_user_model):
    commit(api.post, "/api/areas/", {"name": "Campus"}, format="json")
    other = django_user_model.objects.create_superuser("olga", "o@example.org", "another long password")
    olga = APIClient(REMOTE_ADDR="203.0.113.50")
    olga.force_authenticate(other)
    commit(olga.post, "/api/groups/", {"name": "night"}, format="json")
    names = lambda **query: [row["object_repr"] for row in api.get("/api/audit/", query).json()["results"]]  # noqa: E731
    assert names(actor="olga") == ["night"]
    assert names(address="203.0.113.") == ["night"]
    assert names(kind="devices.area") == ["Campus"]
    assert names(action="create", q="camp") == ["Campus"]
    assert names(since="2000-01-01", until="2000-01-02") == []
    assert len(names(since="2000-01-01")) == 2
    assert api.get("/api/audit/", {"kind": "nope.nothing"}).status_code == 400
    assert api.get("/api/audit/", {"since": "yesterday"}).status_code == 400
    assert api.get("/api/audit/", {"action": "explode"}).status_code == 400


def test_the_audit_api_is_in_the_schema_and_for_administrators_only(api, client, django_user_model, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert set(schema["paths"]["/api/audit/"]) == {"get"}
    assert {"actor", "kind", "object", "action", "address", "since", "until", "q"} <= {
        parameter["name"] for parameter in schema["paths"]["/api/audit/"]["get"]["parameters"]}
    client.force_login(django_user_model.objects.create_user("viewer"))
    assert client.get("/api/audit/").status_code == 403


def test_what_boxes_write_leaves_no_entry(api, client, make_box, commit):
    """A box's login (binding its MAC), status report, events and command results are its own
    doing: none is an operator's change, even while operators work."""
    box = make_box("Gate")
    commit(api.post, "/api/groups/", {"name": "staff", "boxes": [box.dev_sno]}, format="json")
    commit(api.post, "/api/persons/", {"identity_id": "A-1", "name": "Ann", "permission_groups": ["staff"],
                                       "photo_base64": photo_base64("enroll/biden/1.jpg")}, format="json")
    before = AuditEntry.objects.count()
    fake = FakeBox(client, box.dev_sno)
    assert Box.objects.get(pk=box.pk).hex_mac, "the login bound the MAC"
    assert client.post(fake.login["deviceMonitorAddr"], STATUS, content_type="application/json").status_code == 200
    intake_events(box, [event("A-1", 1_700_000_000_000)])
    command = fake.receive()
    fake.answer_mq(fake.result(command, success=["A-1"]))
    assert drain_results() == 1
    assert AuditEntry.objects.count() == before


def test_strangers_enrolled_split_merged_and_dismissed_are_recorded(client, admin_user, seen):
    """Strangers' clusters are the clustering worker's to update; what an operator does with one
    is recorded by the service that does it."""
    client.defaults["REMOTE_ADDR"] = AUDIT_ADDRESS
    client.force_login(admin_user)
    url = "/api/strangers/"
    obama, other = cluster_of(seen["obama"][0]), cluster_of(seen["stranger"][0])
    part = client.post(f"{url}{obama.pk}/split/", {"events": [seen["obama"][2].pk]},
                       content_type="application/json").json()["id"]
    client.post(f"{url}{obama.pk}/merge/", {"others": [part]}, content_type="application/json")
    client.post(f"{url}{other.pk}/dismiss/")
    enrolled = client.post(f"{url}{obama.pk}/enrol/", {"name": "Barack", "person_type": 2},
                           content_type="application/json")
    assert enrolled.status_code == 201, enrolled.content
    split, merge, enrol = entries_of("faces.strangercluster", obama.pk)
    assert_entry(split, "stranger_split", {})
    assert split.additional_data == {"new_stranger": part, "events": [seen["obama"][2].pk]}
    assert merge.what == "strangers_merged" and merge.additional_data == {"merged": [part], "events_moved": 1}
    assert_entry(enrol, "stranger_enrolled", {"state": ("open", "enrolled"),
                                              "person": ("", f"Barack ({enrolled.json()['identity_id']})")})
    assert enrol.additional_data == {"events_relabelled": 3}
    (dismissed,) = entries_of("faces.strangercluster", other.pk)
    assert_entry(dismissed, "stranger_dismissed", {"state": ("open", "dismissed")})
    person = Person.objects.get(name="Barack")
    assert entries_of("users.person", person.pk)[0].what == "create"
    kinds = client.get("/api/audit/", {"kind": "faces.strangercluster"}).json()
    assert kinds["count"] == 4


def test_a_person_s_photos_added_made_primary_and_removed_are_recorded(api, commit):
    created = commit(api.post, "/api/persons/", {"identity_id": "P-2", "name": "Pia",
                                                 "photo_base64": photo_base64("enroll/biden/1.jpg")}, format="json")
    first = created.json()["photo_sha256"]
    added = commit(api.post, "/api/persons/P-2/photos/", {"photo_base64": photo_base64("enroll/obama/1.jpg")},
                   format="json")
    assert added.status_code == 201, added.content
    second = added.json()
    commit(api.post, f"/api/persons/P-2/photos/{second['id']}/primary/")
    commit(api.delete, f"/api/persons/P-2/photos/{second['id']}/")
    photo_entries = entries_of("users.personphoto", second["id"])
    assert [entry.what for entry in photo_entries] == ["create", "delete"]
    assert_entry(photo_entries[0], "create", {"sha256": (None, second["sha256"])})
    primaries = [entry.changes["photo_sha256"] for entry in entries_of("users.person", created.json()["id"])
                 if entry.what == "photo_changed"]
    assert primaries == [["", first], [first, second["sha256"]], [second["sha256"], first]]


def test_a_box_s_call_saves_without_django_auditlog_at_work(client, make_box):
    """No operator can be behind a box's login: its Box save skips django-auditlog's read of the
    old row (measured: about 0.5 ms of a login's save)."""
    states = []

    def note(sender, instance, **kwargs):
        states.append(auditlog_disabled.get())

    pre_save.connect(note, sender=Box)
    try:
        box = make_box("Gate")
        FakeBox(client, box.dev_sno)
    finally:
        pre_save.disconnect(note, sender=Box)
    assert states[-1] is True, states
