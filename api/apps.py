from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    # The API clients' table and migrations were made under this label.
    label = "integrations"
    verbose_name = "API integrations"

    def ready(self) -> None:
        # Registers the token scheme with drf-spectacular for the OpenAPI schema.
        # (An import in ready() is how Django apps register such hooks.)
        from . import schema  # noqa: F401, PLC0415
