from django.apps import AppConfig


class FacesConfig(AppConfig):
    name = "faces"
    verbose_name = "Face embeddings and search"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to events' intake signal)
