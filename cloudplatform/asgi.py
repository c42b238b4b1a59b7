"""ASGI entry point: HTTP through Django's WSGI handler on a fixed pool of threads, its body
read first (cloudplatform/wsgi_threads.py); the console's WebSocket through Channels.

No view here is async. Django's ASGI handler would run each request's sync code on a thread
started for that request (asgiref's per-request context), so each of a box's small calls paid
a thread start and a new database connection: py-spy on a web process under bench/fleet.py
counted them at about a sixth of its CPU. A fixed pool keeps its threads and their connections
(WEB_THREADS per process; on PostgreSQL the pool of connections matches it). A box's call goes
through the middleware it needs only (cloudplatform/box_calls.py)."""
import os

from cloudplatform.box_calls import wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudplatform.settings")
django_wsgi_app = wsgi_application()

# These need Django set up first.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from cloudplatform.websocket import SameOriginValidator  # noqa: E402
from cloudplatform.wsgi_threads import WSGIOnThreads  # noqa: E402
from events.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": WSGIOnThreads(django_wsgi_app, threads=settings.WEB_THREADS),
    "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
})
