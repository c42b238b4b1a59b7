"""WSGI entry point, for servers without ASGI (no live dashboards there)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudplatform.settings")
console_application = get_wsgi_application()

from cloudplatform.box_calls import with_box_calls_apart  # noqa: E402  (needs Django set up)

application = with_box_calls_apart(console_application)
