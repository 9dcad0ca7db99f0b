from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Texts and emails to people: queued after commit, sent at most once."""

    name = "notify"
    verbose_name = "Texts and emails"

    def ready(self) -> None:
        # Register the tasks in every process (web too), so message_queue can queue
        # them by name after commit; a worker imports them anyway.
        from . import tasks  # noqa: F401, PLC0415
