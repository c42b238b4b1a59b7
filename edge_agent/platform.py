"""Talking HTTP to the platform: login (upstream §4), details and photos (§6.1).
The URL rules (§9) are the shared contract's: aibox_contract.urls."""
from __future__ import annotations

from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from aibox_contract.urls import join_base, resolve, with_auth


@dataclass
class Session:
    """What the current login gave the agent."""

    dev_sno: str
    login_url: str
    token: str
    reply: dict

    def platform_url(self, url: str) -> str:
        return with_auth(resolve(url, self.login_url), self.dev_sno, self.token)

    def photo_url(self, relative_pic_url: str) -> str:
        """Upstream §6.1: relative to imgServerAddr when the login gave one, else to the login's root (§9)."""
        base = self.reply.get("imgServerAddr")
        url = join_base(relative_pic_url, base) if base else resolve(relative_pic_url, self.login_url)
        return with_auth(url, self.dev_sno, self.token)


class RemoteDataError(ValueError):
    """The platform answered, but not with the data the contract describes."""


class LoginRefused(Exception):
    """The platform answered the login with an error (non-200)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"login refused ({status}): {body[:200]}")
        self.status = status


def resilient_session(retry_busy: bool = True) -> requests.Session:
    """A session that re-sends when a kept-alive connection was closed under it (a server's
    idle timeout racing the next request) and, with `retry_busy`, when the platform answers 503
    (busy, or its database away). Every call the agent makes to the platform is idempotent
    (events by content, results by messageId, reads), so re-sending is safe."""
    session = requests.Session()
    # 503 is the platform saying "busy or database away, retry later" (with Retry-After).
    retry = Retry(total=4, connect=2, read=1, status=3 if retry_busy else 0, other=0, allowed_methods=None,
                  backoff_factor=0.5, status_forcelist=(503,) if retry_busy else (),
                  respect_retry_after_header=True, raise_on_status=False)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


class PlatformClient:
    def __init__(self, timeout: float = 15.0) -> None:
        self.session = resilient_session()
        self.timeout = timeout

    def login(self, login_url: str, dev_sno: str, hex_mac: str) -> dict:
        response = self.session.get(login_url, params={"dev_sno": dev_sno, "hex_mac": hex_mac}, timeout=self.timeout)
        if response.status_code != 200:
            raise LoginRefused(response.status_code, response.text)
        reply = response.json()
        if not isinstance(reply, dict) or "token" not in reply or "rabbitmq" not in reply:
            raise LoginRefused(response.status_code, "reply lacks token or rabbitmq")
        return reply

    def details(self, url: str, ids: list[str]) -> list[dict]:
        """Upstream §6.1 (with our `ext_photos` asked for). Not reached or refused: requests'
        errors (50073); answered with something other than `{"data": {"user_list": [...]}}`: RemoteDataError (50074)."""
        # `ext_photos` (our platform's extension) asks for every photo of each person; a stock
        # cloud ignores it and answers §6.1 as ever.
        response = self.session.post(url, json={"userid_list": ids, "ext_photos": True}, timeout=self.timeout)
        response.raise_for_status()
        try:
            body = response.json()
        except ValueError as exc:  # requests' JSONDecodeError is also a RequestException
            raise RemoteDataError(f"the answer is not JSON ({response.headers.get('Content-Type', '?')})") from exc
        data = body.get("data") if isinstance(body, dict) else None
        users = data.get("user_list") if isinstance(data, dict) else None
        if not isinstance(users, list):
            raise RemoteDataError("the answer has no data.user_list list")
        return users

    def photo(self, url: str) -> bytes:
        response = self.session.get(url, timeout=self.timeout)
        response.raise_for_status()
        return response.content

    def post_json(self, url: str, body: dict) -> None:
        response = self.session.post(url, json=body, timeout=self.timeout)
        response.raise_for_status()
