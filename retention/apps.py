from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """Records kept no longer than the rules allow: pseudonymised, then purged; legal
    holds that stop the clock; erasure on request."""

    name = "retention"
    verbose_name = "Retention"

    def ready(self) -> None:
        # Registered in every process, so a run queues its next batch and its
        # warnings by name whatever process began it.
        from . import tasks  # noqa: F401, PLC0415
