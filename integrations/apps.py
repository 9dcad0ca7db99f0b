from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "API integrations"

    def ready(self) -> None:
        # Registers the token scheme with drf-spectacular for the OpenAPI schema.
        from . import schema  # noqa: F401
