import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cloudplatform.account import write_initial_password


class Command(BaseCommand):
    help = (
        "Create a first administrator when none exists, so a fresh install can be logged into. "
        "The password is ADMIN_PASSWORD (it must pass the password validators) or a generated one, "
        "printed and kept in var/initial-admin-password until the administrator changes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            return
        if settings.ADMIN_PASSWORD:
            try:
                validate_password(settings.ADMIN_PASSWORD, get_user_model()(username=username))
            except ValidationError as refused:
                raise CommandError("ADMIN_PASSWORD is refused: " + " ".join(refused.messages)) from None
            users.create_superuser(username, "", settings.ADMIN_PASSWORD)
            self.stdout.write(f"Created administrator {username!r} with the password from ADMIN_PASSWORD.")
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser(username, "", password)
        path = write_initial_password(username, password)
        self.stdout.write(
            f"Created administrator: username {username!r}, password {password!r} (also in {path}, "
            "removed once you change it under your name in the console's top bar)."
        )
