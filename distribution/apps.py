from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "distribution"
    verbose_name = "Distribution"

    def ready(self) -> None:
        # Connects the receivers of the people and box registries' signals (Django's way: at start-up,
        # once the models are loaded).
        from . import receivers  # noqa: F401
