from django.core.management.base import BaseCommand, CommandError

from devices.broker import BrokerAdminError, broker_admin


class Command(BaseCommand):
    help = "Create the platform's RabbitMQ vhosts, permissions and upload queue (idempotent)."

    def handle(self, *args, **options) -> None:
        try:
            broker_admin().ensure_platform_topology()
        except BrokerAdminError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("RabbitMQ topology ready.")
