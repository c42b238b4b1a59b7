"""The console in Simplified Chinese and English (issue 12 item 7), and the pages every console
page shares: 403/404/500 in the console frame, navigation landmarks, the way back from the API docs.

The catalog test collects the strings as `make messages` does, into a copy of the catalogs, and
fails on any left untranslated or fuzzy; the page tests render the main pages with a Chinese
Accept-Language and fail on any English word that is not data, a wire name or a brand.
"""
import html
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django.utils import timezone, translation

from devices.models import BoxStatus, SubDevice
from distribution.models import Command, Enrolment
from events.models import Event
from users.models import FaceGroup, PermissionGroup, Person

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGS = [LOCALE / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po" for domain in ("django", "djangojs")]
# Where the console's strings are (`make messages` scans the tree without node_modules, tests,
# the edge agent and the like: Makefile MESSAGE_IGNORES).
SOURCES = ["templates", "static/js", "aibox_contract", "cloudplatform", "devices", "users", "events"]
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}

# ASCII words a Chinese page may show: wire and field names of the contract, brands, units.
ALLOWED = {
    "AIBOX", "API", "VIP", "CSV", "JSON", "MAC", "CPU", "IPC", "FIQA", "RabbitMQ", "UTC", "GB", "IP", "ID",
    "dev_sno", "identity_id", "permission_id", "ep_id", "ext_data", "gateway_status", "offline", "online",
    "add_users_plus", "delete_users", "wipe_data", "fiqa", "zip", "csv", "name", "type", "groups", "photo",
    "department", "upstream", "English", "token", "staff", "YYYY-MM-DD",
}


def untranslated(path: Path) -> list[str]:
    """msgids of `path` with an empty or fuzzy translation (GNU gettext's msgattrib)."""
    found = []
    for option in ("--untranslated", "--only-fuzzy"):
        listing = subprocess.run(["msgattrib", option, "--no-obsolete", "--no-wrap", str(path)],
                                 capture_output=True, text=True, check=True).stdout
        found += [m for m in re.findall(r'^msgid "(.*)"$', listing, re.M) if m]
    return found


def test_every_console_string_has_a_chinese_translation(tmp_path, monkeypatch):
    """Collect the strings from templates, Python and static/js as `make messages` does, merged
    into a copy of the committed catalogs: nothing may come out untranslated or fuzzy. It runs in
    a copy of the sources, as makemessages writes into the locale folder beside what it scans."""
    for source in SOURCES:
        shutil.copytree(Path(settings.BASE_DIR) / source, tmp_path / source,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[copy]):
        for domain in ("django", "djangojs"):
            call_command("makemessages", locale=["zh_Hans"], domain=domain, no_obsolete=True, verbosity=0)
    missing = {path.name: untranslated(copy / "zh_Hans" / "LC_MESSAGES" / path.name) for path in CATALOGS}
    assert missing == {"django.po": [], "djangojs.po": []}, "translate these in locale/zh_Hans (make messages)"


def test_compiled_catalogs_are_up_to_date():
    for po in CATALOGS:
        mo = po.with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, f"{mo} is stale: run make setup"
        subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], check=True)


@pytest.fixture
def site(make_box, admin_user):
    return build_site(make_box)


def build_site(make_box, box_name: str = "一号门") -> dict:
    """A box with a status report, a camera, people, groups, events and commands, named in Chinese
    (so that any English left on a page is the console's own)."""
    box = make_box(box_name)
    BoxStatus.objects.create(box=box, reported_at=timezone.now(), gateway_ip="10.0.0.9", gateway_name="门岗",
                             cpu_usage=12.5, memory_size=4.0, memory_usage=0.5, disk_size=64.0, disk_free_size=20.0,
                             sdk_version="1.0.2")
    SubDevice.objects.create(box=box, ep_id=f"{box.dev_sno}__10.0.0.21", name="大堂摄像机", ip="10.0.0.21",
                             status="online", location="大堂", device_type=1)
    group = PermissionGroup.objects.create(name="总部", description="总部员工")
    group.boxes.add(box)
    FaceGroup.objects.create(name="默认组")
    person = Person.objects.create(identity_id="E1001", name="张三", person_type=1)
    person.permission_groups.add(group)
    Person.objects.create(identity_id="B2002", name="李四", person_type=3)
    command = Command.objects.create(box=box, method=Command.Method.ADD_USERS, payload={"userid_list": ["E1001"]},
                                     state=Command.State.PUBLISHED, attempts=1, published_at=timezone.now())
    Enrolment.objects.create(box=box, identity_id="E1001", person=person, command=command)
    fiqa = Command.objects.create(box=box, method=Command.Method.FIQA, payload={}, state=Command.State.PUBLISHED)
    now = timezone.now()
    for minutes, (identity, name, kind) in enumerate([("E1001", "张三", 1), ("", "", 4), ("B2002", "李四", 3)]):
        Event.objects.create(box=box, dedup_key=f"k{minutes}", occurred_at=now - timedelta(minutes=minutes),
                             timestamp_ms=0, identity_id=identity, identity_name=name, score=0.91, person_type=kind,
                             device_type=1, device_ip="10.0.0.21", ep_id=f"{box.dev_sno}__10.0.0.21")
    return {"box": box, "person": person, "group": group, "command": command, "fiqa": fiqa,
            "event": Event.objects.first()}


def main_pages(site: dict) -> list[str]:
    return ["/boxes/", f"/boxes/{site['box'].pk}/", "/boxes/new/", f"/boxes/{site['box'].pk}/edit/",
            "/people/", f"/people/{site['person'].pk}/", "/people/new/", f"/people/{site['person'].pk}/edit/",
            "/people/import/", "/groups/", "/groups/new/", f"/groups/{site['group'].pk}/edit/", "/events/",
            f"/events/{site['event'].pk}/", "/events/quarantine/", "/commands/", f"/commands/{site['command'].pk}/",
            f"/commands/{site['fiqa'].pk}/", "/fiqa/", "/account/password/"]


def visible_words(page: str, data: set[str]) -> set[str]:
    """English-looking words a reader sees: text and the attributes read aloud or shown, without
    <code>/<pre> (wire values), scripts, and the site's own data."""
    page = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", page, flags=re.S | re.I)
    shown = re.findall(r'\s(?:title|placeholder|aria-label|alt|data-confirm)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    words = set(re.findall(r"[A-Za-z][A-Za-z_'-]*[A-Za-z]", html.unescape(" ".join([text, *shown]))))
    return {word for word in words if word not in ALLOWED and word not in data}


def site_data(site: dict) -> set[str]:
    """Words in the site's own values (generated ids, the administrator's name)."""
    box = site["box"]
    values = [box.dev_sno, box.queue_name, box.broker_username, "admin",
              *(str(command.message_id) for command in Command.objects.all())]
    return set(re.findall(r"[A-Za-z][A-Za-z_'-]*[A-Za-z]", " ".join(values)))


def test_main_pages_in_chinese_show_no_english(client, admin_user, site):
    client.force_login(admin_user)
    data = site_data(site)
    leftovers = {}
    for path in main_pages(site):
        response = client.get(path, **CHINESE)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert '<html lang="zh-hans">' in page, path
        assert "盒子" in page and "人员" in page, path  # the navigation, at least
        english = visible_words(page, data)
        if english:
            leftovers[path] = sorted(english)
    assert leftovers == {}


def test_english_stays_the_default(client, admin_user, site):
    client.force_login(admin_user)
    page = client.get("/boxes/").content.decode()
    assert '<html lang="en">' in page and ">Boxes<" in page.replace('</i> ', ">")
    assert "盒子" not in page


def test_messages_and_form_errors_in_chinese(client, admin_user, site):
    client.force_login(admin_user)
    response = client.post("/people/new/", {"name": "王五", "person_type": 1, "info_json": "[1]"}, **CHINESE)
    assert "必须是 JSON 对象" in response.content.decode()
    response = client.post("/people/new/", {"name": "王五", "person_type": 1}, **CHINESE)
    assert "需要一张人脸照片才能在盒子上注册此人员。" in response.content.decode()
    response = client.post(f"/boxes/{site['box'].pk}/edit/", {"name": "一号门", "record_upload_period": 5,
                                                             "device_monitor_period": 20}, follow=True, **CHINESE)
    assert "已保存。盒子下次登录时获取新的周期。" in response.content.decode()


def test_the_language_menu_switches_and_remembers(client, admin_user, site):
    client.force_login(admin_user)
    page = client.get("/people/").content.decode()
    assert 'action="/i18n/setlang/"' in page and 'value="zh-hans"' in page and "简体中文" in page
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/people/"})
    assert response.status_code == 302 and response["Location"] == "/people/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = client.get("/people/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-hans">' in page and "新建人员" in page  # the choice beats the browser's
    client.post("/i18n/setlang/", {"language": "en", "next": "/people/"})
    assert "New person" in client.get("/people/", **CHINESE).content.decode()


def test_the_javascript_catalog_is_a_script_file(client, db):
    response = client.get("/jsi18n/", **CHINESE)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert '"Blacklist match:": "\\u9ed1\\u540d\\u5355\\u544a\\u8b66\\uff1a"' in body  # 黑名单告警：
    assert '"Available %s"' not in body  # only the console's catalog, not the admin's
    assert "Content-Security-Policy" in response.headers  # served under the same CSP as the pages


def test_box_facing_errors_keep_their_codes_and_english_by_default(client, db):
    reply = client.get("/box/login").json()
    assert reply == {"error": {"code": 40091, "status": "PARAM_ERROR",
                               "message": "Missing query parameter(s): dev_sno, hex_mac."}}
    reply = client.get("/box/login", **CHINESE).json()  # a box that asks for Chinese gets it
    assert reply == {"error": {"code": 40091, "status": "PARAM_ERROR", "message": "缺少查询参数：dev_sno, hex_mac。"}}


def test_numbers_and_times_read_alike_in_both_languages(client, admin_user, site):
    """Quantities are phrased per language around the same figures; times have one format in
    every language (YYYY-MM-DD HH:MM:SS, 24 h, the site's zone named in the footer)."""
    client.force_login(admin_user)
    english = client.get(f"/boxes/{site['box'].pk}/").content.decode()
    chinese = client.get(f"/boxes/{site['box'].pk}/", **CHINESE).content.decode()
    assert "12.5 %" in english and "12.5 %" in chinese
    assert "50 % of 4.0 GB" in english and "4.0 GB 的 50 %" in chinese
    assert "20.0 of 64.0 GB" in english and "20.0 / 64.0 GB" in chinese
    times = re.compile(r"<time datetime=\"[^\"]+\">(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</time>")
    assert times.findall(english) and times.findall(english) == times.findall(chinese)
    assert "Times are shown in UTC" in english and "时间以 UTC" in chinese


@pytest.mark.parametrize("headers", [{}, CHINESE])
def test_a_non_staff_account_is_told_why_in_the_console_frame(client, django_user_model, headers):
    client.force_login(django_user_model.objects.create_user("guard", password="x"))
    response = client.get("/boxes/", **headers)
    assert response.status_code == 403
    page = response.content.decode()
    reason = "此控制台仅供操作员使用" if headers else "This console is for operators"
    assert reason in page and 'id="refusal-reason"' in page
    assert 'class="navbar' in page and "guard" in page  # the frame, and who is logged in
    assert 'href="/people/"' not in page  # no sections they cannot open
    assert 'action="/logout/"' in page


def test_not_found_is_a_console_page(client, admin_user):
    client.force_login(admin_user)
    for headers, words in (({}, "There is nothing here"), (CHINESE, "这里什么也没有")):
        response = client.get("/boxes/999999/", **headers)
        assert response.status_code == 404
        page = response.content.decode()
        assert words in page and 'class="navbar' in page and 'href="/"' in page


def test_server_error_page_is_a_console_page(db):
    from django.views.defaults import server_error

    request = RequestFactory().get("/boxes/")
    with translation.override("zh-hans"):
        response = server_error(request)
    page = response.content.decode()
    assert response.status_code == 500
    assert "平台出错了" in page and 'class="navbar' in page and "返回控制台" in page


def test_navigation_marks_the_page_and_offers_a_skip_link(client, admin_user, site):
    client.force_login(admin_user)
    page = client.get(f"/people/{site['person'].pk}/").content.decode()
    current = re.findall(r'<a class="nav-link active" aria-current="page" href="([^"]+)"', page)
    assert current == ["/people/"]
    assert page.count('aria-current="page"') == 1
    assert re.search(r'<a class="visually-hidden-focusable skip-link" href="#main">', page)
    assert '<main class="container-xl" id="main"' in page


def test_the_api_docs_lead_back_to_the_console(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/api/docs/", **CHINESE).content.decode()
    assert '<nav class="api-docs-back"' in page and 'href="/"' in page and "返回控制台" in page
    assert "<script>" not in page  # still the split view: no inline script under the CSP
