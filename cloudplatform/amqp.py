"""How the platform's own processes reach RabbitMQ.

BROKER_URL names the platform's account (host, port, credentials, TLS, options) and the
vhost Celery uses. Box traffic lives in other vhosts (BOX_VHOST, BOX_UPLOAD_VHOST), so
every box-side connection takes BROKER_URL's account and *replaces* the vhost. Appending
a vhost to the URL's path is wrong: pika reads only the path's first segment, so a
BROKER_URL naming its own vhost (`amqp://.../site1`) would send everything to `site1`.
"""
from __future__ import annotations

import pika
from django.conf import settings
from kombu.utils.url import parse_url


def connection_parameters(vhost: str, *, url: str | None = None, heartbeat: int | None = None) -> pika.URLParameters:
    """BROKER_URL's host, port, credentials and query options, connected to `vhost`."""
    parameters = pika.URLParameters(url or settings.BROKER_URL)
    parameters.virtual_host = vhost
    if heartbeat is not None:
        parameters.heartbeat = heartbeat
    return parameters


def celery_vhost(url: str | None = None) -> str:
    """The vhost Celery connects to, read the way Celery (kombu) reads BROKER_URL."""
    return parse_url(url or settings.BROKER_URL).get("virtual_host") or "/"


def platform_username(url: str | None = None) -> str:
    """The account the platform's processes connect as (it needs full rights in every vhost it uses)."""
    return pika.URLParameters(url or settings.BROKER_URL).credentials.username


def describe(vhost: str, url: str | None = None) -> str:
    """Where a connection goes, for error messages (no password)."""
    parameters = pika.URLParameters(url or settings.BROKER_URL)
    return f"{parameters.credentials.username}@{parameters.host}:{parameters.port} vhost {vhost!r}"
