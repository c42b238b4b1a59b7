"""WSGI entry point, for servers without ASGI (no live dashboards there)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudplatform.settings")
application = get_wsgi_application()
