from django.apps import AppConfig


class WorkConfig(AppConfig):
    """The work core: the life of cases and contacts, one operation per change."""

    name = "work"
    verbose_name = "Work"

    def ready(self) -> None:
        # Register the tasks in every process (web too), so the operations can queue
        # them by name after commit (work.effects); a worker imports them anyway.
        from . import tasks  # noqa: F401, PLC0415
