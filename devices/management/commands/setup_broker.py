from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cloudplatform.amqp import celery_vhost, platform_username
from devices.broker import BrokerAdminError, broker_admin


class Command(BaseCommand):
    help = ("Create the platform's RabbitMQ vhosts (Celery's, named by BROKER_URL, and the boxes'), "
            "its permissions there and the upload queues (idempotent).")

    def handle(self, *args, **options) -> None:
        try:
            broker_admin().ensure_platform_topology()
        except BrokerAdminError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"RabbitMQ topology ready for {platform_username()}: Celery in vhost {celery_vhost()!r}, "
            f"boxes in {settings.BOX_VHOST!r}, their results in {settings.BOX_UPLOAD_VHOST!r}."
        )
