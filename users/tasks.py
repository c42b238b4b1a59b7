from celery import shared_task

from .importer import run_import
from .models import ImportJob


@shared_task
def import_people(job_id: int) -> str:
    """The console's import, run by the Celery worker (users.views.ImportCreateView)."""
    job = run_import(ImportJob.objects.get(pk=job_id))
    return f"{job.succeeded} imported, {job.failed} failed"
