from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Signing in: lockout, two-factor, passwords, and the audit of each."""

    name = "accounts"
    verbose_name = "Sign-in"

    def ready(self) -> None:
        # The sign-in events are Django's and django-axes' signals: connecting the
        # receivers that audit them is what ready() is for.
        from . import signals  # noqa: F401, PLC0415
