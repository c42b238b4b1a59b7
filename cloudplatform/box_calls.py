"""Box calls (`/box/...`) through Django with only the middleware they need (BOX_MIDDLEWARE).

A box's call carries its dev_sno and token in the query string and no cookie, and is answered
with JSON or a photo: the console's middleware (static files, sessions, CSRF, logged-in user,
messages, frame options, content security policy, login lock-outs) does nothing for it, yet cost
0.3-0.5 ms of the 2.5-3.5 ms of CPU a history batch or status report takes (bench/box_calls.py),
and a fleet's calls are most of the platform's requests. Everything else goes through Django's
handler as configured (MIDDLEWARE).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

BOX_PREFIX = "/box/"


class BoxCallHandler(WSGIHandler):
    """Django's WSGI handler with BOX_MIDDLEWARE instead of MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE; this runs once, at start-up, before
        # any request is served, and puts the console's list back at once.
        console = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.BOX_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = console


def with_box_calls_apart(app: Callable) -> Callable[[dict, Callable], Iterable[bytes]]:
    """A WSGI application: box calls through a BoxCallHandler, everything else through `app`."""
    box_app = BoxCallHandler()

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        handler = box_app if environ.get("PATH_INFO", "").startswith(BOX_PREFIX) else app
        return handler(environ, start_response)

    return application
