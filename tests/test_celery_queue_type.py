"""CELERY_QUEUE_TYPE=quorum: the platform's Celery declares its queues as quorum queues, so a
cluster's node loss leaves the worker running (docs/deployment.md, bench/cluster_drill.py)."""
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
MANAGEMENT = "http://127.0.0.1:15672/api"
AUTH = ("guest", "guest")
DECLARE = """
import django; django.setup()
from cloudplatform.celery import app
with app.connection_for_write() as connection:
    for queue in app.amqp.queues.values():
        queue(connection.default_channel).declare()
"""


def declared_queue_types(queue_type: str | None) -> dict[str, str]:
    """Celery's queues as the platform declares them in a vhost of their own, with CELERY_QUEUE_TYPE set."""
    vhost = f"aibox-test-queue-type-{uuid.uuid4().hex[:8]}"
    requests.put(f"{MANAGEMENT}/vhosts/{vhost}", auth=AUTH, timeout=10).raise_for_status()
    try:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cloudplatform.settings",
               "BROKER_URL": urlsplit(os.environ["BROKER_URL"])._replace(path="/" + quote(vhost, safe="")).geturl()}
        env.pop("CELERY_QUEUE_TYPE", None)
        if queue_type:
            env["CELERY_QUEUE_TYPE"] = queue_type
        subprocess.run([sys.executable, "-c", DECLARE], cwd=ROOT, env=env, check=True, timeout=60)
        queues = requests.get(f"{MANAGEMENT}/queues/{vhost}", auth=AUTH, timeout=10).json()
        return {queue["name"]: queue["type"] for queue in queues}
    finally:
        requests.delete(f"{MANAGEMENT}/vhosts/{vhost}", auth=AUTH, timeout=10)


def test_celery_queues_are_quorum_when_set_and_classic_by_default() -> None:
    assert declared_queue_types("quorum") == {"celery": "quorum"}
    assert declared_queue_types(None) == {"celery": "classic"}
