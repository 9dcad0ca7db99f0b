"""What notify tells the layers above it, which it may not import: Django signals.

`message_failed` is sent once a message has failed for good (the provider refused it,
its tries ran out, or a delivery receipt said it never arrived), with `message_id`.
The work core listens (work.apps): a link that never reached its person means no
answer online is coming, so their call is due now. Receivers run after the failure is
recorded; one that raises is logged, never the sender's error.
"""

from __future__ import annotations

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

message_failed = Signal()


def tell_failed(message_id: int) -> None:
    """Send `message_failed` for one message; a receiver's error is logged."""
    for receiver, result in message_failed.send_robust(
        sender=None, message_id=message_id
    ):
        if isinstance(result, Exception):
            log.error(
                "a receiver of message_failed (%s) failed for message %s",
                receiver,
                message_id,
                exc_info=result,
            )
