"""Box calls (`/box/...`) through Django with only the middleware they need (BOX_MIDDLEWARE).

A box's call carries its dev_sno and token in the query string and no cookie, and is answered
with JSON or a photo: the console's middleware (static files, sessions, CSRF, logged-in user,
messages, content security policy for its pages, login lock-outs) does nothing for it, yet cost
0.3-0.5 ms of the 2.5-3.5 ms of CPU a history batch or status report takes (bench/box_calls.py),
and a fleet's calls are most of the platform's requests. Everything else goes through Django's
handler as configured (MIDDLEWARE). A box response a browser might still render (DRF's HTML
view of an endpoint, a 404 page) may run nothing and be framed by nothing (`BoxResponseHeaders`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse

BOX_PREFIX = "/box/"  # cloudplatform/urls.py mounts the box endpoints here
NOTHING_RUNS = "default-src 'none'; frame-ancestors 'none'"


class LoadsBoxMiddleware:
    """Mixed into a Django handler: BOX_MIDDLEWARE instead of MIDDLEWARE (the server's, and the test client's)."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE; this runs once, before the handler
        # serves its first request, and puts the console's list back at once.
        console = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.BOX_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = console


class BoxCallHandler(LoadsBoxMiddleware, WSGIHandler):
    """Django's WSGI handler for box calls."""


class BoxResponseHeaders:
    """Box responses are data: a browser shown one runs no script, loads nothing, frames nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", NOTHING_RUNS)
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def is_box_call(environ: dict) -> bool:
    return environ.get("PATH_INFO", "").startswith(BOX_PREFIX)


def wsgi_application() -> Callable[[dict, Callable], Iterable[bytes]]:
    """The platform's WSGI application, Django set up: box calls through a BoxCallHandler,
    everything else through Django's handler."""
    app = get_wsgi_application()
    box_app = BoxCallHandler()

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        return (box_app if is_box_call(environ) else app)(environ, start_response)

    return application
