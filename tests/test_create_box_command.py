import io
import json

from django.core.management import call_command

from devices.models import Box


def test_create_box_prints_json_with_dev_sno(db, broker_admin):
    out = io.StringIO()
    call_command("create_box", "--name", "Turnstile", "--device-monitor-period", "15", stdout=out)
    printed = json.loads(out.getvalue())
    box = Box.objects.get(dev_sno=printed["dev_sno"])
    try:
        assert printed["name"] == "Turnstile" and box.device_monitor_period == 15
        assert printed["login_url"].endswith("/box/login")
        assert broker_admin.user_exists(box.broker_username)
    finally:
        broker_admin.delete_box_resources(box)


def test_ensure_admin_creates_one_administrator_once(db, settings, tmp_path, django_user_model):
    settings.VAR_DIR = tmp_path
    settings.ADMIN_PASSWORD = ""
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    username, password = (tmp_path / "initial-admin-password").read_text().split()
    assert password in out.getvalue()
    assert django_user_model.objects.get(username=username).check_password(password)
    call_command("ensure_admin", stdout=io.StringIO())
    assert django_user_model.objects.count() == 1
