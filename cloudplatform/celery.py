"""Celery application: the broker is the platform's RabbitMQ (BROKER_URL)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudplatform.settings")

app = Celery("cloudplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
