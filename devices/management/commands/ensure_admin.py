import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Create a first administrator when none exists, so a fresh install can be logged into. "
        "The password is ADMIN_PASSWORD or a generated one, printed and kept in var/initial-admin-password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            return
        password = settings.ADMIN_PASSWORD or secrets.token_urlsafe(12)
        users.create_superuser(username, "", password)
        path = settings.VAR_DIR / "initial-admin-password"
        path.write_text(f"{username} {password}\n")
        path.chmod(0o600)
        self.stdout.write(f"Created administrator: username {username!r}, password {password!r} (also in {path}).")
