from django.apps import AppConfig


class ProcessingConfig(AppConfig):
    name = "processing"

    def ready(self) -> None:
        # Connects the carry-over of unchanged values to schemas' version_confirmed.
        from processing import carry  # noqa: F401
