"""A stock AIBOX (Sophon SE3) box, written only from the upstream documents.

It knows nothing of this project's code: every request, field name and type comes from
`../shared/spec/upstream/01-mq-edge-cloud-contract.md` (cited as "01 §n") and the event and
status parts of `02-fog-system-local-api.md` ("02 §4.x.y"), plus CONTRACT.md where upstream
leaves a choice open. It has no face engine: a photo that Pillow can open counts as enrolled.
Imports: stdlib, pika, requests, Pillow only.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pika
import requests
from PIL import Image

DEFAULT_MAC = "0xe0a50900062b"  # 01 §4: "0x" + the MAC in hex
HTTP_TIMEOUT = 30

# 01 §3 status codes this box uses
SUCCESS = 0
PARAM_ERROR = 40071
SERVER_PROCESS_FAILED = 50072
REMOTE_SERVER_FAILED = 50073
REMOTE_DATA_FAILED = 50074
IMAGE_ERROR = 40003


class LoginRefused(Exception):
    """01 §4: any answer but 200 is a failed login."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"login refused: {response.status_code} {response.text[:300]}")
        self.response = response


def resolve(login_url: str, url: str) -> str:
    """01 §9: `http(s)://...` is absolute; anything else is joined to the login URL's scheme and host."""
    url = url.strip()
    if url.startswith(("http://", "https://")):
        return url
    parts = urlsplit(login_url)
    return f"{parts.scheme}://{parts.netloc}{url}"


def with_credentials(url: str, dev_sno: str | None, token: str | None) -> str:
    """01 §6.1: `{host}/getSendPerson?&dev_sno=xxxx&token=xxxxx`: the box appends its dev_sno and token."""
    query = []
    if dev_sno is not None:
        query.append(f"dev_sno={dev_sno}")
    if token is not None:
        query.append(f"token={token}")
    if not query:
        return url
    return url + ("&" if "?" in url else "?&") + "&".join(query)


def is_image(data: bytes) -> bool:
    """The box's stand-in for enrolment: the photo decodes as an image."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
        return True
    except Exception:  # any decoder failure means "not an image"
        return False


# --- bodies the box sends, field by field as the documents name them ---

def history_event(dev_sno: str, identity_id: str, identity_name: str, timestamp: int, *,
                  score: float = 0.88, group_name: str = "default_group", device_ip: str = "192.168.1.101",
                  person_type: int = 1, device_type: str = "1", spot_pic: str | None = None,
                  reg_pic: str | None = None) -> dict:
    """One passage record, 02 §4.4.9 (identical to 01 §7.1 plus ext_data.ep_id and ext_data.dev_sno)."""
    ext_data = {
        "device_ip": device_ip,
        "ep_id": f"{dev_sno}__{device_ip}",  # 02 §4.4.9: dev_sno and IP joined by a double underscore
        "person_type": person_type,
        "device_type": device_type,  # typed string in the table
        "grab_fiqa_info": {},
        "box_fiqa_info": {},
        "dev_sno": dev_sno,
    }
    if spot_pic is not None:
        ext_data["spot_pic"] = spot_pic
    event = {"identity_id": identity_id, "identity_name": identity_name, "group_name": group_name,
             "timestamp": timestamp, "score": score, "ext_data": ext_data}
    if reg_pic is not None:
        event["reg_pic"] = reg_pic
    return event


def status_report(dev_sno: str, *, gateway_status: str = "online", sub_devices: list[dict] | None = None) -> dict:
    """Status report, 02 §4.5.3, every field of the table."""
    return {
        "gateway_ip": "192.168.1.251",
        "gateway_name": "se3-stock",
        "gateway_status": gateway_status,
        "gateway_sn": "SZCCKQRAIJBAH0002",
        "dev_sno": dev_sno,
        "gateway_ext_data": {
            "sw_version": "VERSION: V2R1C01\n",
            "sdk_version": "1.1.56d1e91",
            "gateway_mac": "e0:a5:09:00:06:2b",
            "cpu_usage": 1.3,
            "memory_size": 1.55,
            "memory_usage": 0.87,
            "disk_size": 10.39,
            "disk_free_size": 9.39,
        },
        "sub_devices": sub_devices if sub_devices is not None else [sub_device(dev_sno, "192.168.1.101")],
    }


def sub_device(dev_sno: str, ip: str, status: str = "online") -> dict:
    """One entry of 02 §4.5.3 sub_devices."""
    return {"ep_id": f"{dev_sno}__{ip}", "ep_name": "gate 1", "ep_ip": ip, "ep_status": status,
            "ep_location": "95274d2c-0941-4d96-b032-ab200f81362c", "ep_type": "1",
            "ep_url": f"rtsp://{ip}:554/ch2"}


def device_info(dev_sno: str, ip: str) -> dict:
    """01 §7.2 deviceInfo, every field with the table's type."""
    return {
        "epId": f"{dev_sno}__{ip}",
        "devSno": dev_sno,
        "direction": 0,  # int: 0 in, 1 out
        "epType": "1",  # string
        "memo": "north entrance",
        "epName": "gate 1",
        "epIp": ip,
        "epStatus": "1",  # string: 1 online
        "epVersion": "1.0.0",
        "epGroupName": "default_group",
        "epStreamUrl": f"rtsp://{ip}:554/ch2",
        "lastMonitorTime": int(time.time()),  # long, seconds
        "isMonitor": True,
        "privilegeGroupKey": "0",
    }


# --- the box ---

@dataclass
class StockBox:
    """Login, the command queue, person details and photos, results, and the reports."""

    login_url: str
    dev_sno: str
    hex_mac: str = DEFAULT_MAC
    # 01 §5.1.1 notify_path note: with uploadQueue in the login reply, results go over MQ;
    # False makes this box one that answers over notify_path instead.
    use_upload_queue: bool = True
    box_id: int | None = None  # the platform's id, for the administrator's side of a test
    reply: dict = field(default_factory=dict)
    gallery: dict[str, dict] = field(default_factory=dict)
    fetched_details: list[dict] = field(default_factory=list)  # 01 §6.1 replies, as received
    photo_fetches: list[tuple[str, int, str]] = field(default_factory=list)  # (url, status, content-type)
    _conn: pika.BlockingConnection | None = None
    _channel: object = None

    # 01 §4 login
    def login(self) -> dict:
        response = requests.get(self.login_url, params={"dev_sno": self.dev_sno, "hex_mac": self.hex_mac},
                                timeout=HTTP_TIMEOUT)
        if response.status_code != 200:
            raise LoginRefused(response)
        self.reply = response.json()
        return self.reply

    @property
    def token(self) -> str:
        return self.reply["token"]

    @property
    def mq(self) -> dict:
        return self.reply["rabbitmq"]

    def url(self, address: str) -> str:
        return resolve(self.login_url, address)

    def addresses(self, key: str) -> list[str]:
        """01 §4 recordAddr: comma-separated, each absolute or relative (01 §9)."""
        return [self.url(a) for a in self.reply.get(key, "").split(",") if a.strip()]

    # RabbitMQ (01 §2.1, §4)
    def _params(self, vhost: str) -> pika.ConnectionParameters:
        mq = self.mq
        return pika.ConnectionParameters(host=mq["host"], port=int(mq["port"]), virtual_host=vhost or "/",
                                         credentials=pika.PlainCredentials(mq["login"], mq["password"]),
                                         connection_attempts=3, retry_delay=1, blocked_connection_timeout=30)

    def connect(self) -> None:
        """Connect to vHost, bind the queue to the exchange unless unNeedBindExchange (01 §4)."""
        self.close()
        mq = self.mq
        self._conn = pika.BlockingConnection(self._params(mq.get("vHost", "/")))
        self._channel = self._conn.channel()
        if not mq.get("unNeedBindExchange", False):
            ex = mq["exchange"]
            self._channel.exchange_declare(exchange=ex["name"], exchange_type=ex["type"],
                                           passive=bool(ex.get("passive", False)), durable=bool(ex["durable"]),
                                           auto_delete=bool(ex["auto_delete"]), arguments=ex.get("arguments") or None)
            self._channel.queue_bind(queue=mq["queue"], exchange=ex["name"], routing_key=mq["queue"])

    def close(self) -> None:
        if self._conn is not None and self._conn.is_open:
            self._conn.close()
        self._conn = None

    def next_command(self, timeout: float = 20, queue: str | None = None) -> dict | None:
        """The next command on the box's queue (or `queue`, e.g. fiqaDownQueue), acknowledged; None on timeout."""
        if self._conn is None:
            self.connect()
        queue = queue or self.mq["queue"]
        deadline = time.monotonic() + timeout
        while True:
            method, _props, body = self._channel.basic_get(queue=queue, auto_ack=True)
            if method is not None:
                return json.loads(body)
            if time.monotonic() >= deadline:
                return None
            self._conn.sleep(0.2)

    def commands(self, timeout: float) -> list[dict]:
        """Every command that arrives within `timeout` seconds."""
        out, deadline = [], time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            cmd = self.next_command(timeout=left)
            if cmd is not None:
                out.append(cmd)
        return out

    # 01 §6.1 person details
    def fetch_persons(self, path: str, userid_list: list[str], *, dev_sno: str | None = "",
                      token: str | None = "") -> requests.Response:
        """POST path + `&dev_sno=..&token=..` (these default to the box's own; None leaves one out)."""
        dev_sno = self.dev_sno if dev_sno == "" else dev_sno
        token = self.token if token == "" else token
        return requests.post(with_credentials(self.url(path), dev_sno, token), json={"userid_list": userid_list},
                             timeout=HTTP_TIMEOUT)

    def photo_url(self, user: dict) -> str | None:
        """reg_url is absolute; relative_pic_url joins imgServerAddr (01 §4), else the login root (01 §9)."""
        if user.get("reg_url"):
            return self.url(user["reg_url"])
        if user.get("relative_pic_url"):
            base = self.reply.get("imgServerAddr")
            return base + user["relative_pic_url"] if base else self.url(user["relative_pic_url"])
        return None

    def photo_bytes(self, user: dict) -> bytes:
        """The registration photo: reg_photo (base64), reg_url or relative_pic_url (01 §6.1)."""
        if user.get("reg_photo"):
            return base64.b64decode(user["reg_photo"])
        url = self.photo_url(user)
        if url is None:
            raise ValueError("no reg_photo, reg_url or relative_pic_url")
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        self.photo_fetches.append((url, response.status_code, response.headers.get("Content-Type", "")))
        response.raise_for_status()
        return response.content

    # 01 §5 commands
    def handle(self, command: dict) -> dict:
        """Run one command, return its 01 §5.4 result."""
        method = command.get("method")
        if not isinstance(command.get("extend_params"), dict):
            return self.result(command, {}, success=False, code=PARAM_ERROR, message="extend_params missing")
        if method == "add_users_plus":
            return self._add_users(command)
        if method == "delete_users":
            return self._delete_users(command)
        if method == "wipe_data":
            options = command.get("wipe_options") or {}
            if options.get("users"):
                self.gallery.clear()
            return self.result(command, {"wipe_options": options}, message="重置数据成功")
        return self.result(command, {}, success=False, code=PARAM_ERROR, message=f"unknown method {method!r}")

    def _add_users(self, command: dict) -> dict:
        if "user_info_list" in command:
            users, wanted = command["user_info_list"], [u.get("identity_id") for u in command["user_info_list"]]
        else:
            wanted = list(command.get("userid_list") or [])
            try:
                response = self.fetch_persons(command["extend_params"].get("path", ""), wanted)
            except requests.RequestException as exc:
                return self._all_failed(command, wanted, REMOTE_SERVER_FAILED, str(exc))
            if response.status_code != 200:
                return self._all_failed(command, wanted, REMOTE_SERVER_FAILED, f"HTTP {response.status_code}")
            try:
                details = response.json()
                users = details["data"]["user_list"]
            except (ValueError, KeyError, TypeError):
                return self._all_failed(command, wanted, REMOTE_DATA_FAILED, "no data.user_list")
            self.fetched_details.append(details)
        ok, failed = [], []
        for user in users:
            code, message = self._enrol(user)
            entry = {"userid": user.get("identity_id"), "username": (user.get("info") or {}).get("name", ""),
                     "message": message, "code": code}
            (ok if code == SUCCESS else failed).append(entry)
        returned = {u.get("identity_id") for u in users}
        failed += [{"userid": i, "username": "", "message": "not returned by the platform",
                    "code": REMOTE_DATA_FAILED} for i in wanted if i not in returned]
        # 01 §5.1.1 example: the command succeeded; failures are listed per person.
        return self.result(command, {"success_users": ok, "failed_users": failed}, message="下发人员MQ命令执行成功")

    def _enrol(self, user: dict) -> tuple[int, str]:
        info = user.get("info")
        if not user.get("identity_id") or not isinstance(info, dict) or "name" not in info:
            return REMOTE_DATA_FAILED, "identity_id or info missing"
        try:
            photo = self.photo_bytes(user)
        except ValueError as exc:
            return REMOTE_DATA_FAILED, str(exc)
        except requests.RequestException as exc:
            return REMOTE_SERVER_FAILED, str(exc)
        if not is_image(photo):
            return IMAGE_ERROR, "photo is not an image"
        self.gallery[user["identity_id"]] = {"user": user, "photo": photo}
        return SUCCESS, "人员下发成功"

    def _all_failed(self, command: dict, ids: list[str], code: int, message: str) -> dict:
        failed = [{"userid": i, "username": "", "message": message, "code": code} for i in ids]
        return self.result(command, {"success_users": [], "failed_users": failed}, success=False, code=code,
                           message=message)

    def _delete_users(self, command: dict) -> dict:
        ok = []
        for userid in command.get("userid_list") or []:
            self.gallery.pop(userid, None)  # 01 §5.1.2: an unknown id is skipped, not an error
            ok.append({"userid": userid, "message": "人员删除成功", "code": SUCCESS})
        return self.result(command, {"success_users": ok, "failed_users": []}, message="删除人员MQ命令执行成功")

    def result(self, command: dict, result: dict, *, success: bool = True, code: int = SUCCESS,
               message: str = "mq命令执行成功") -> dict:
        """01 §5.4: messageId only when the command carried one."""
        body = {"success": success, "code": code, "message": message, "dev_sno": self.dev_sno,
                "messageKey": command.get("method", ""), "result": result}
        if command.get("messageId"):
            body["messageId"] = command["messageId"]
        return body

    def answer(self, command: dict, result: dict, upload_queue: str | None = None) -> requests.Response | None:
        """01 §5.1.1 notify_path note: uploadQueue if the login gave one, else notify_path, else nothing."""
        queue = upload_queue or self.mq.get("uploadQueue")
        if self.use_upload_queue and queue:
            self.publish_result(result, queue)
            return None
        notify = (command.get("extend_params") or {}).get("notify_path")
        if notify:
            return self.post_result(notify, result)
        return None

    def publish_result(self, result: dict, queue: str) -> None:
        """To `queue` in uploadVHost (01 §4)."""
        conn = pika.BlockingConnection(self._params(self.mq.get("uploadVHost", "/")))
        try:
            conn.channel().basic_publish(exchange="", routing_key=queue, body=json.dumps(result).encode(),
                                         properties=pika.BasicProperties(content_type="application/json",
                                                                         delivery_mode=2))
        finally:
            conn.close()

    def post_result(self, notify_path: str, result: dict) -> requests.Response:
        """HTTP POST to notify_path (01 §5.4), with the box's dev_sno and token appended (CONTRACT §6a)."""
        return requests.post(with_credentials(self.url(notify_path), self.dev_sno, self.token), json=result,
                             timeout=HTTP_TIMEOUT)

    def serve(self, timeout: float = 20) -> tuple[dict, dict] | None:
        """Take one command, run it, answer it; (command, result) or None when none came."""
        command = self.next_command(timeout)
        if command is None:
            return None
        result = self.handle(command)
        self.answer(command, result)
        return command, result

    # 01 §7 / 02 §4.4.9 history upload
    def upload_history(self, events: list[dict], *, form_data: bool = False) -> list[requests.Response]:
        """Batches of at most 100 (01 §7) to every recordAddr; JSON, or form-data (02 §4.4.7)."""
        responses = []
        for start in range(0, len(events), 100):
            batch = events[start:start + 100]
            for url in self.addresses("recordAddr"):
                if form_data:
                    responses += [requests.post(url, files=form_fields(e), timeout=HTTP_TIMEOUT) for e in batch]
                else:
                    responses.append(requests.post(url, json=batch, timeout=HTTP_TIMEOUT))
        return responses

    def post_stream(self, address_key: str, body: StreamedBody, timeout: float = 180) -> requests.Response:
        """A large JSON body streamed from `body` (Content-Length known), to the first address of `address_key`."""
        return requests.post(self.addresses(address_key)[0], data=body, timeout=timeout,
                             headers={"Content-Type": "application/json", "Content-Length": str(len(body))})

    # 02 §4.5.3 status, 01 §7.2 device operate events
    def report_status(self, body: dict) -> requests.Response:
        return requests.post(self.url(self.reply["deviceMonitorAddr"]), json=body, timeout=HTTP_TIMEOUT)

    def report_device(self, action_type: int, info: dict) -> requests.Response:
        return requests.post(self.url(self.reply["deviceInfoAddr"]), json={"actionType": action_type,
                                                                           "deviceInfo": info},
                             timeout=HTTP_TIMEOUT)


def form_fields(event: dict) -> dict[str, tuple[None, str]]:
    """An event as multipart/form-data: one field per top-level parameter, dicts as JSON text."""
    return {k: (None, json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else str(v))
            for k, v in event.items()}


class StreamedBody:
    """A JSON array of events produced piece by piece: the box never holds the whole batch in memory."""

    def __init__(self, parts: Iterable[bytes], length: int) -> None:
        self._parts: Iterator[bytes] = iter(parts)
        self._length = length
        self._current = memoryview(b"")

    @classmethod
    def of_events(cls, events: list[dict], big_fields: dict[str, bytes]) -> StreamedBody:
        """Events whose string fields equal to a key of `big_fields` get that (large) value spliced in."""
        chunks: list[bytes | str] = []
        for i, event in enumerate(events):
            text = ("[" if i == 0 else ",") + json.dumps(event)
            chunks.extend(_split_placeholders(text, big_fields))
        chunks.append("]")
        encoded = [c.encode() if isinstance(c, str) else c for c in chunks]  # big values stay shared, not copied
        return cls(encoded, sum(len(c) for c in encoded))

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes; slices a memoryview so a large part is never copied whole per read."""
        while not len(self._current):
            try:
                self._current = memoryview(next(self._parts))
            except StopIteration:
                return b""
        size = len(self._current) if size < 0 else size
        out, self._current = self._current[:size], self._current[size:]
        return out.tobytes()


def _split_placeholders(text: str, big_fields: dict[str, bytes]) -> list[str | bytes]:
    """Split `text` around `"<placeholder>"` strings, putting the big values (as JSON strings) between."""
    out: list[str | bytes] = [text]
    for placeholder, value in big_fields.items():
        quoted = json.dumps(placeholder)
        nxt: list[str | bytes] = []
        for piece in out:
            if isinstance(piece, bytes) or quoted not in piece:
                nxt.append(piece)
                continue
            segments = piece.split(quoted)
            for j, seg in enumerate(segments):
                nxt.append(seg)
                if j < len(segments) - 1:
                    nxt.append(b'"' + value + b'"')  # value is base64: no JSON escaping needed
        out = nxt
    return out
