from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "People"

    def ready(self) -> None:
        # Registers the import's Celery task (users.importer.import_people), which lives with
        # the importer rather than in users.tasks: tasks -> importer -> services -> distribution
        # -> tasks was an import cycle.
        from . import importer  # noqa: F401
