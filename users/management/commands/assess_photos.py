"""Judge the people's photos no face engine has judged yet (those moved from the single-photo
days by migration 0006, or stored while the engine was away), with the boxes' engine."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from users.models import PersonPhoto
from users.services import reassess_photo


class Command(BaseCommand):
    help = "Judge unassessed face photos with the boxes' face engine (quality badges, best photo)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="judge every photo again, not only unassessed ones")

    def handle(self, *args, **options) -> None:
        photos = PersonPhoto.objects.select_related("person")
        if not options["all"]:
            photos = photos.filter(assessed=False)
        total = photos.count()
        for done, photo in enumerate(photos.iterator(), start=1):
            reassess_photo(photo)
            if done % 50 == 0 or done == total:
                self.stdout.write(f"{done}/{total} photos judged")
        if not total:
            self.stdout.write("no photo to judge")
