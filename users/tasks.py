from celery import shared_task

from audit.services import acting_as_creator_of

from .importer import run_import
from .models import ImportJob


@shared_task
def import_people(job_id: int) -> str:
    """The console's import, run by the Celery worker (users.views.ImportCreateView); the people
    it creates or changes are recorded as the changes of the operator who started it."""
    job = ImportJob.objects.get(pk=job_id)
    with acting_as_creator_of(job):
        job = run_import(job)
    return f"{job.succeeded} imported, {job.failed} failed"
