"""Plain helpers several test modules share (their fixtures are in conftest.py): import them from
here, not from another test module."""
import base64
import io
import json
import re
import subprocess
import time

import requests
from django.db import connection
from PIL import Image, ImageFilter

from audit.models import AuditEntry
from edge_agent.api.app import create_app
from edge_agent.box import EdgeBox
from events.models import Event
from faces.models import StrangerCluster, StrangerSighting

from .fakebox import drain_results
from .paths import FACES, IDENTITIES

AGENT_KEY = "test-key"  # the agent's local API key in the tests that drive a real agent
AUDIT_ADDRESS = "198.51.100.23"
# The one-time set-password link an administrator is shown for an operator: (full URL, path).
SET_PASSWORD_LINK = re.compile(r'id="set-password-link-value" value="(http://testserver(/account/set-password/[^"]+))"')

# A stock box's status report (part 2 §4.4.8).
STATUS = {
    "gateway_ip": "192.168.1.251 ", "gateway_name": "bm1682", "gateway_status": "online", "gateway_sn": "SN1",
    "dev_sno": "X", "gateway_ext_data": {"sw_version": "V2R1C01", "sdk_version": "1.1.56", "cpu_usage": 6.5,
                                         "memory_size": 1.55, "memory_usage": 0.77, "disk_size": 10.39,
                                         "disk_free_size": 9.41, "gateway_mac": "e0:a5:09:00:0e:6d"},
    "sub_devices": [{"ep_status": "online", "ep_location": "hall", "ep_url": "rtsp://192.168.1.101/ch2",
                     "ep_type": "2", "ep_name": "", "ep_id": "X__192.168.1.101", "ep_ip": "192.168.1.101"}],
}


def face_photo(path: str) -> bytes:
    """A shared face photo, by its path under the faces data set."""
    return (FACES / path).read_bytes()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def blurred(path: str, radius: float = 6) -> bytes:
    return jpeg(Image.open(FACES / path).filter(ImageFilter.GaussianBlur(radius)))


def tiny_face_photo(face_px: int = 23) -> bytes:
    """Obama's enrolment photo shrunk until his face is about `face_px` pixels, on a 400 px canvas."""
    source = Image.open(FACES / "enroll" / "obama" / "1.jpg").convert("RGB")
    scale = face_px / 230  # his face is 230 px wide in the original
    small = source.resize((round(source.width * scale), round(source.height * scale)))
    canvas = Image.new("RGB", (400, 400), (128, 128, 128))
    canvas.paste(small, (50, 50))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def small_photos() -> list[tuple[str, bytes]]:
    """Enrolment photos at 800 px, so enrolling hundreds stays quick (kit_harington's face
    would shrink below the 80 px that level `high` asks for)."""
    photos = []
    for identity in IDENTITIES:
        if identity == "kit_harington":
            continue
        image = Image.open(FACES / "enroll" / identity / "1.jpg").convert("RGB")
        image.thumbnail((800, 800))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        photos.append((identity, buffer.getvalue()))
    return photos


def event(identity: str, timestamp, picture: bytes | None = None, **ext) -> dict:
    """One event as a stock box reports it (part 2 §4.4.6)."""
    body = {"identity_id": identity, "identity_name": identity.title(), "group_name": "default_group",
            "timestamp": timestamp, "score": 0.91,
            "ext_data": {"device_ip": "192.168.1.25", "ep_id": "X__192.168.1.25", "person_type": 1,
                         "device_type": "4", "grab_fiqa_info": {}, "box_fiqa_info": {"fiqa_result": True},
                         "dev_sno": "X", **ext}}
    if picture:
        body["ext_data"]["spot_pic"] = base64.b64encode(picture).decode()
    return body


def record_url(client, box) -> str:
    login = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x0000000000e1"}).json()
    return login["recordAddr"]  # used verbatim, as a stock box does


def cluster_of(event: Event) -> StrangerCluster:
    return StrangerSighting.objects.select_related("cluster").get(event=event).cluster


def entries_of(kind: str, object_id) -> list[AuditEntry]:
    app_label, model = kind.split(".")
    return list(AuditEntry.objects.filter(content_type__app_label=app_label, content_type__model=model,
                                          object_pk=str(object_id)).order_by("id"))


def assert_entry(entry: AuditEntry, what: str, changes: dict, actor: str = "admin",
                 address: str = AUDIT_ADDRESS) -> None:
    assert (entry.actor_name, entry.remote_addr, entry.what) == (actor, address, what), entry.__dict__
    for field, before_after in changes.items():
        assert entry.changes[field] == list(before_after), (field, entry.changes)


def assert_no_secret_anywhere(secrets: list[str]) -> None:
    for entry in AuditEntry.objects.all():
        text = json.dumps([entry.changes, entry.additional_data, entry.serialized_data, entry.object_repr,
                           entry.object_pk, entry.changes_text])
        for secret in secrets:
            assert secret not in text, (secret, entry.pk)


def wait_for(condition, timeout: float = 30.0, step: float = 0.2):
    """`condition()`'s first true value, answering the boxes' results meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        drain_results()
        if value := condition():
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


def configure(api, box, live_server) -> None:
    """Give the agent its dev_sno and login URL through its local API (upstream 01 §8)."""
    headers = {"X-API-Key": AGENT_KEY}
    assert api.put("/SophonMQ/api/DevSno", json={"dev_sno": box.dev_sno}, headers=headers).json == {
        "data": {"response": box.dev_sno}}
    login_url = live_server.url + "/box/login"
    assert api.put("/SophonMQ/api/LoginUrl", json={"login_url": login_url}, headers=headers).status_code == 200
    # upstream 01 §8.1.1 answers dev_sno and its §8 overview response: both; §8.2.1 answers response.
    assert api.get("/SophonMQ/api/DevSno", headers=headers).json == {
        "data": {"dev_sno": box.dev_sno, "response": box.dev_sno}}
    assert api.get("/SophonMQ/api/LoginUrl", headers=headers).json == {"data": {"response": login_url}}


def push(agent: EdgeBox, photo_path) -> dict:
    """A camera picture recognised by the agent through its local API."""
    api = create_app(agent, AGENT_KEY).test_client()
    reply = api.post("/SophonFogSys/api/recognize", headers={"X-API-Key": AGENT_KEY},
                     json={"image": base64.b64encode(photo_path.read_bytes()).decode()})
    assert reply.status_code == 200, reply.json
    return reply.json["data"]


def database_url() -> str:
    """The test database, for a platform process started by the test."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def console_login(base_url: str, username: str, password: str) -> requests.Session:
    """A session logged in to a running platform's console through the login form, as a browser would."""
    session = requests.Session()
    page = session.get(f"{base_url}/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    reply = session.post(f"{base_url}/login/", data={"username": username, "password": password,
                                                     "csrfmiddlewaretoken": token},
                         headers={"Referer": f"{base_url}/login/"}, timeout=10, allow_redirects=False)
    assert reply.status_code == 302, reply.text[:500]
    return session


def broker_restart() -> None:
    """Stop and start RabbitMQ's application; back when its management API answers."""
    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, timeout=120)
    subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, timeout=120)
    subprocess.run(["rabbitmqctl", "-q", "await_startup"], check=True, timeout=120)
    for _ in range(60):
        try:
            if requests.get("http://localhost:15672/api/overview", auth=("guest", "guest"), timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
