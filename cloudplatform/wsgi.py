"""WSGI entry point, for servers without ASGI (no live dashboards there)."""
import os

from cloudplatform.box_calls import wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudplatform.settings")
application = wsgi_application()
