from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import services


class Command(BaseCommand):
    help = (
        "Make an API token for an operator and print its key (only its digest is stored: the key "
        "cannot be shown again). Operators make and revoke their own under their name in the console."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="made on the command line", help="What the token is for.")
        parser.add_argument("--days", type=int, default=0, help="Days the token works (0: until revoked).")

    def handle(self, *args, username: str, name: str, days: int, **options) -> None:
        try:
            operator = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No operator named {username!r}.") from None
        if not operator.is_active:
            raise CommandError(f"Operator {username!r} is disabled: a token would not work.")
        _token, key = services.create_api_token(operator, name=name, valid_for=timedelta(days=days) if days else None)
        self.stdout.write(key)
