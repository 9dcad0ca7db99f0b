from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the service: demo data, the embedded stack."""

    name = "ops"
