from django.apps import AppConfig


class WorkConfig(AppConfig):
    """The work core: the life of cases and contacts, one operation per change."""

    name = "work"
    verbose_name = "Work"

    def ready(self) -> None:
        # Register the tasks in every process (web too), so the operations can queue
        # them by name after commit (work.effects); a worker imports them anyway.
        # And listen for a link whose message failed: the call held back for an
        # answer online is due now.
        from notify.signals import message_failed  # noqa: PLC0415

        from . import tasks  # noqa: F401, PLC0415

        message_failed.connect(_link_failed, dispatch_uid="work.online_link_failed")


def _link_failed(sender, *, message_id: int, **kwargs) -> None:
    from .online import online_link_message_failed  # noqa: PLC0415

    online_link_message_failed(message_id=message_id)
