"""Operator accounts (issue 16 item 3): administrators invite operators (a one-time link to choose a
password, handed over by hand), edit their role and sites, disable and enable them, reset them;
what each change does to the operator's password, sessions and API tokens, at once."""
import json
import time

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role
from accounts.selectors import fresh_scope
from accounts.services import OperatorError, create_api_token, disable_operator, reset_operator, set_role

from .helpers import SET_PASSWORD_LINK
from .roles_routes import all_routes

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a fresh long phrase 42"
@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


def invite(admin: Client, username: str, role: str = Role.VIEWER, **fields) -> str:
    """Create an operator on the console page; returns the one-time link's path it shows."""
    page = admin.post("/operators/new/", {"username": username, "name": fields.pop("name", ""),
                                          "email": fields.pop("email", ""), "role": role, **fields})
    assert page.status_code == 200, page.content.decode()[:2000]
    found = SET_PASSWORD_LINK.search(page.content.decode())
    assert found, "the page shows the link"
    assert page["Cache-Control"] == "no-store"
    return found.group(2)


def choose_password(path: str, password: str = NEW_PASSWORD) -> Client:
    """Follow a set-password link in a fresh browser and choose `password`."""
    browser = Client()
    opened = browser.get(path)
    assert opened.status_code == 302  # to the same form without the token in the address
    chosen = browser.post(opened["Location"], {"new_password1": password, "new_password2": password}, follow=True)
    assert chosen.redirect_chain[-1][0] == reverse("login"), chosen.content.decode()[:2000]
    assert "Password set" in chosen.content.decode()
    return browser


def logs_in(username: str, password: str) -> Client | None:
    browser = Client()
    answer = browser.post("/login/", {"username": username, "password": password})
    return browser if answer.status_code == 302 else None


def test_an_invited_viewer_chooses_a_password_once_and_logs_in_with_the_role(admin, django_user_model):
    path = invite(admin, "mei", name="Li Mei", email="mei@example.org")
    mei = django_user_model.objects.get(username="mei")
    assert not mei.has_usable_password() and mei.first_name == "Li Mei"
    assert logs_in("mei", "") is None
    choose_password(path)
    browser = logs_in("mei", NEW_PASSWORD)
    assert browser is not None
    assert fresh_scope(mei.pk).role == Role.VIEWER
    assert browser.get("/api/boxes/").status_code == 200
    assert browser.post("/api/areas/", {"name": "X"}, content_type="application/json").status_code == 403
    assert "This link no longer works" in Client().get(path).content.decode()  # it worked once


def test_a_site_manager_needs_sites_and_gets_them(admin, django_user_model, site_areas):
    campus, _building, _floor, harbour = site_areas
    refused = admin.post("/operators/new/", {"username": "sam", "role": Role.SITE_MANAGER})
    assert refused.status_code == 200 and "A site manager needs at least one site." in refused.content.decode()
    assert not django_user_model.objects.filter(username="sam").exists()
    invite(admin, "sam", Role.SITE_MANAGER, sites=[campus.pk])
    sam = django_user_model.objects.get(username="sam")
    assert fresh_scope(sam.pk).site_ids == {campus.pk}
    listing = admin.get("/operators/").content.decode()
    row = listing.split(f'data-operator="{sam.pk}"')[1].split("</tr>")[0]
    assert "Site manager" in row and "Campus" in row and "awaiting a password" in row

    edited = admin.post(f"/operators/{sam.pk}/edit/", {"name": "Sam", "email": "", "role": Role.SITE_MANAGER,
                                                        "sites": [harbour.pk]})
    assert edited.status_code == 302
    assert fresh_scope(sam.pk).site_ids == {harbour.pk}


def test_a_username_is_taken_once_and_readable_errors_say_so(admin):
    invite(admin, "mei")
    again = admin.post("/operators/new/", {"username": "MEI", "role": Role.VIEWER})
    assert "Another operator already has this username." in again.content.decode()
    bad = admin.post("/operators/new/", {"username": "li mei!", "role": Role.VIEWER, "email": "not-an-address"})
    page = bad.content.decode()
    assert "Enter a valid username" in page and "Enter a valid email address." in page


def test_disabling_refuses_the_session_and_tokens_at_once_and_enabling_restores_them(admin, django_user_model):
    choose_password(invite(admin, "mei"))
    mei = django_user_model.objects.get(username="mei")
    browser = logs_in("mei", NEW_PASSWORD)
    _token, key = create_api_token(mei, name="script", valid_for=None)
    token_api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert browser.get("/api/boxes/").status_code == 200 and token_api.get("/api/boxes/").status_code == 200

    admin.post(f"/operators/{mei.pk}/disable/")
    assert browser.get("/api/boxes/").status_code == 401
    assert token_api.get("/api/boxes/").status_code == 401
    assert logs_in("mei", NEW_PASSWORD) is None
    assert "disabled" in admin.get("/operators/").content.decode()

    admin.post(f"/operators/{mei.pk}/enable/")
    assert token_api.get("/api/boxes/").status_code == 200
    assert logs_in("mei", NEW_PASSWORD) is not None


def test_an_administrator_cannot_disable_themselves(admin, admin_user):
    answer = admin.post(f"/operators/{admin_user.pk}/disable/", follow=True)
    assert "You cannot disable your own account." in answer.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_the_last_enabled_administrator_keeps_the_role(django_user_model):
    boss = django_user_model.objects.create_user("boss", password=PASSWORD)
    set_role(boss, Role.ADMINISTRATOR)
    clerk = django_user_model.objects.create_user("clerk", password=PASSWORD)
    with pytest.raises(OperatorError, match="last enabled administrator"):
        disable_operator(boss, by=clerk)
    browser = logs_in("boss", PASSWORD)
    demoted = browser.post(f"/operators/{boss.pk}/edit/", {"name": "", "email": "", "role": Role.VIEWER})
    assert "the last enabled administrator" in demoted.content.decode()
    assert fresh_scope(boss.pk).is_administrator
    # With a second administrator, the first may step down.
    set_role(clerk, Role.ADMINISTRATOR)
    stepped_down = browser.post(f"/operators/{boss.pk}/edit/", {"name": "", "email": "", "role": Role.VIEWER})
    assert stepped_down.status_code == 302
    assert fresh_scope(boss.pk).role == Role.VIEWER


def test_a_reset_ends_the_password_sessions_and_tokens_and_makes_a_new_link(admin, django_user_model):
    first_link = invite(admin, "mei")
    choose_password(first_link)
    mei = django_user_model.objects.get(username="mei")
    browser = logs_in("mei", NEW_PASSWORD)
    create_api_token(mei, name="script", valid_for=None)
    page = admin.post(f"/operators/{mei.pk}/reset/")
    found = SET_PASSWORD_LINK.search(page.content.decode())
    assert found and "no longer work" in page.content.decode()
    assert browser.get("/api/boxes/").status_code == 401  # the session ended
    assert logs_in("mei", NEW_PASSWORD) is None
    assert not ApiToken.objects.filter(user=mei).exists()
    choose_password(found.group(2), "another long phrase 9")
    assert logs_in("mei", "another long phrase 9") is not None


def test_an_administrator_revokes_an_operators_token(admin, django_user_model):
    mei = django_user_model.objects.create_user("mei", password=PASSWORD)
    token, key = create_api_token(mei, name="leaked", valid_for=None)
    assert "leaked" in admin.get(f"/operators/{mei.pk}/").content.decode()
    admin.post(f"/operators/{mei.pk}/tokens/{token.pk}/revoke/")
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/boxes/").status_code == 401


@pytest.mark.parametrize("role", [Role.SITE_MANAGER, Role.VIEWER, None])
def test_only_administrators_reach_operator_pages_and_api(django_user_model, admin_user, site_areas, role):
    user = django_user_model.objects.create_user("someone", password=PASSWORD)
    if role:
        set_role(user, role, [site_areas[0]])
    browser = Client()
    browser.force_login(user)
    for route in all_routes():
        if not route.name.startswith(("operator-", "api-operator-")) or route.name == "operator-set-password":
            continue
        kwargs = {name: {"pk": admin_user.pk, "action": "disable", "token_pk": 1}[name] for name in route.kwargs}
        url = reverse(route.name, kwargs=kwargs)
        for method in ("get", "post"):
            answer = getattr(browser, method)(url)
            assert answer.status_code in (403, 405), f"{role} {method} {url}: {answer.status_code}"
    assert "/operators/" not in browser.get("/account/tokens/").content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_the_operators_api_invites_edits_disables_and_resets(admin_user, django_user_model, site_areas):
    campus = site_areas[0]
    api = APIClient()
    api.force_authenticate(admin_user)
    created = api.post("/api/operators/", {"username": "sam", "name": "Sam", "role": "site_manager",
                                           "sites": [campus.pk]}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["role"] == "site_manager" and body["sites"] == [campus.pk] and body["awaiting_password"]
    choose_password(body["set_password_link"].removeprefix("http://testserver"))
    sam = django_user_model.objects.get(username="sam")
    assert api.get("/api/operators/").json()["count"] == 2
    refused = api.post("/api/operators/", {"username": "x", "role": "site_manager"}, format="json")
    assert refused.status_code == 400 and "sites" in refused.json()
    assert api.patch(f"/api/operators/{sam.pk}/", {"role": "viewer"}, format="json").json()["sites"] == []
    assert api.post(f"/api/operators/{sam.pk}/disable/").json()["is_active"] is False
    assert api.post(f"/api/operators/{admin_user.pk}/disable/").status_code == 400
    assert api.post(f"/api/operators/{sam.pk}/enable/").json()["is_active"] is True
    reset = api.post(f"/api/operators/{sam.pk}/reset/").json()
    assert reset["awaiting_password"] and "/account/set-password/" in reset["set_password_link"]
    assert "/api/operators/" in api.get("/api/schema/", {"format": "json"}).json()["paths"]


def test_operator_pages_read_in_chinese(admin, admin_user):
    chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    assert "操作员" in admin.get("/operators/", **chinese).content.decode()
    assert "新建操作员" in admin.get("/operators/new/", **chinese).content.decode()
    assert "管理员" in admin.get(f"/operators/{admin_user.pk}/", **chinese).content.decode()


def test_the_audit_trail_records_invite_edit_disable_and_reset(admin_user, commit):
    """Account writes pass through accounts.services: the audit trail says who did what, from
    where, before and after; the password is never shown."""
    from audit.models import AuditEntry

    api = APIClient(REMOTE_ADDR="198.51.100.23")
    api.force_authenticate(admin_user)
    created = commit(api.post, "/api/operators/", {"username": "mei", "name": "Mei", "role": "viewer"}, format="json")
    pk = created.json()["id"]
    commit(api.patch, f"/api/operators/{pk}/", {"name": "Li Mei"}, format="json")
    commit(api.post, f"/api/operators/{pk}/disable/")
    commit(api.post, f"/api/operators/{pk}/reset/")
    entries = list(AuditEntry.objects.filter(content_type__app_label="auth", content_type__model="user",
                                             object_pk=str(pk)).order_by("id"))
    assert [entry.what for entry in entries] == ["create", "update", "account_disabled", "password_changed"]
    assert all((entry.actor_name, entry.remote_addr) == ("admin", "198.51.100.23") for entry in entries)
    assert entries[0].changes["username"] == [None, "mei"]
    assert entries[1].changes["first_name"] == ["Mei", "Li Mei"]
    assert [str(value) for value in entries[2].changes["is_active"]] == ["True", "False"]
    assert "password" in entries[3].changes
    assert "!" not in json.dumps(entries[3].changes) and "md5$" not in json.dumps(entries[3].changes)


def test_with_a_mail_server_the_link_is_also_emailed(admin, settings, mailoutbox):
    settings.EMAIL_URL = "smtp://mail.example.org"  # configured; the test backend keeps the mail
    path = invite(admin, "mei", email="mei@example.org")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["mei@example.org"]
    assert "http://testserver" + path in mailoutbox[0].body
    invite(admin, "bo")  # no address: nothing to send
    assert len(mailoutbox) == 1


def test_a_mail_server_that_does_not_answer_leaves_the_link_on_the_page(admin, settings):
    settings.EMAIL_URL = "smtp://127.0.0.1:9"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    page = admin.post("/operators/new/", {"username": "mei", "email": "mei@example.org", "role": Role.VIEWER})
    assert SET_PASSWORD_LINK.search(page.content.decode())
    assert "could not be e-mailed" in page.content.decode()


def test_a_reset_or_disabled_operators_open_live_page_is_closed(asgi_server, django_user_model, admin_user,
                                                                 monkeypatch):
    """The live feed's socket outlives the page's requests: it ends with the session too."""
    from websockets.exceptions import ConnectionClosed

    from cloudplatform.live import publish
    from tests.console_socket import ConsoleSocket

    monkeypatch.setattr("events.consumers.SCOPE_TTL", 0.0)  # read the account again on every message
    users = {name: django_user_model.objects.create_user(name, password=PASSWORD) for name in ("mei", "bo", "jo")}
    for user in users.values():
        set_role(user, Role.VIEWER)
    pages = {name: ConsoleSocket.for_user(asgi_server, user) for name, user in users.items()}
    try:
        time.sleep(0.5)  # the pages' live subscriptions are in place
        reset_operator(users["mei"], by=admin_user)
        disable_operator(users["bo"], by=admin_user)
        publish("box", {"id": 0, "name": "probe"}, site=None)
        assert pages["jo"].next(lambda message: message.get("name") == "probe", 5)
        for name in ("mei", "bo"):
            with pytest.raises(ConnectionClosed):
                while True:
                    assert json.loads(pages[name].socket.recv(timeout=5)).get("name") != "probe", name
    finally:
        for page in pages.values():
            page.close()
