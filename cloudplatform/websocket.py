"""Who may open the console's WebSocket: pages of the console itself, nothing else.

ALLOWED_HOSTS stays open by default because boxes reach the platform by whatever address a
site gives it, so Channels' AllowedHostsOriginValidator would accept any Origin. A browser
sends the page's origin with the handshake; the console's own pages come from the host the
socket is opened on (same scheme-less host and port), or from an origin the site configured
(PUBLIC_BASE_URL, CSRF_TRUSTED_ORIGINS). A page on another port or host is refused, so it
cannot read the live feed with the administrator's cookie.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings


def _netloc(origin: str) -> str:
    parts = urlsplit(origin)
    if not parts.hostname:
        return ""
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    port = parts.port or default_port
    return f"{parts.hostname.lower()}:{port}"


def configured_origins() -> set[str]:
    """host:port of every origin the site named for its console."""
    origins = [settings.PUBLIC_BASE_URL, *settings.CSRF_TRUSTED_ORIGINS]
    return {_netloc(origin) for origin in origins if origin and "*" not in origin} - {""}


def is_console_origin(origin: str, host_header: str, secure: bool) -> bool:
    """True when a handshake's Origin is the console's own page."""
    page = _netloc(origin)
    if not page:
        return False
    own = _netloc(("https://" if secure else "http://") + host_header) if host_header else ""
    return page == own or page in configured_origins()


class SameOriginValidator:
    """ASGI middleware: close WebSocket handshakes whose Origin is not the console's."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin1")
        host = headers.get(b"host", b"").decode("latin1")
        secure = scope.get("scheme") in ("wss", "https")
        if is_console_origin(origin, host, secure):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
