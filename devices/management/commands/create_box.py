import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from devices import services
from devices.broker import BrokerAdminError


class Command(BaseCommand):
    help = "Create a box, issue its dev_sno and broker identity; prints one JSON object."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--record-upload-period", type=int, help="seconds (default BOX_RECORD_UPLOAD_PERIOD)")
        parser.add_argument("--device-monitor-period", type=int, help="seconds (default BOX_DEVICE_MONITOR_PERIOD)")

    def handle(self, *args, **options) -> None:
        for period in ("record_upload_period", "device_monitor_period"):
            if options[period] is not None and options[period] < 1:
                raise CommandError(f"--{period.replace('_', '-')} must be at least 1 second")
        try:
            box = services.create_box(
                name=options["name"],
                record_upload_period=options["record_upload_period"],
                device_monitor_period=options["device_monitor_period"],
            )
        except BrokerAdminError as exc:
            raise CommandError(f"the message broker could not set up the box: {exc}") from exc
        login_path = reverse("box-login")
        self.stdout.write(
            json.dumps(
                {
                    "id": box.pk,
                    "name": box.name,
                    "dev_sno": box.dev_sno,
                    # Without PUBLIC_BASE_URL, the address `make run` listens on locally.
                    "login_url": (settings.PUBLIC_BASE_URL or "http://localhost:8000") + login_path,
                }
            )
        )
