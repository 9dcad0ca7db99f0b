from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the service: demo data, the embedded stack."""

    name = "ops"

    def ready(self) -> None:
        # The deployment checks register themselves on import.
        from . import checks  # noqa: F401, PLC0415
