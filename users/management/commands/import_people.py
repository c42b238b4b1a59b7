from django.core.management.base import BaseCommand, CommandError

from users.importer import run_import
from users.models import ImportJob


class Command(BaseCommand):
    help = "Import people from a CSV (identity_id,name,type,groups,photo) and a photo folder or .zip."

    def add_arguments(self, parser) -> None:
        parser.add_argument("csv")
        parser.add_argument("--photos", default="", help="folder or .zip holding the photo files")

    def handle(self, *args, csv: str, photos: str, **options) -> None:
        job = run_import(ImportJob.objects.create(csv_path=csv, photos_path=photos))
        if job.state == ImportJob.State.FAILED:
            raise CommandError(job.error)
        for row in job.report:
            if not row["ok"]:
                self.stderr.write(f"line {row['line']}: {row['message']}")
        self.stdout.write(f"{job.succeeded} imported, {job.failed} failed (import {job.pk}).")
