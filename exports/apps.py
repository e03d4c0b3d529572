from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"

    def ready(self) -> None:
        # Connects the reliability gate to processing's full_run_requested.
        from exports import gate  # noqa: F401
