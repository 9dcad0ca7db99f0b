"""A row sent once, by whichever worker claims it: a claim that runs out (a lease).

A worker about to send something a row stands for (an email) claims the row for a
while, with one conditional UPDATE, so no other worker sends it meanwhile; sends;
then stamps the row sent, and only then. A send that fails in the worker gives the
claim back at once (for a retry); a worker lost mid-send (killed, out of memory, a
deploy) cannot, and its claim runs out instead, for the task redelivered or a sweep:
at least once, rather than never. The lease is longer than the sending task's hard
time limit, so a claim runs out only once no live worker can be sending under it.

A mail server that dropped the connection or went silent once it had been handed
the whole mail (its content ended by ".") may have taken it: that is not a failure to retry but sent as
far as we can know, and the row is stamped (mail_may_have_gone)."""

from __future__ import annotations

import dis
import logging
import smtplib
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

log = logging.getLogger(__name__)


def lease_outlasting(task_time_limit: int) -> timedelta:
    """A claim's length for rows sent by tasks with this hard time limit (seconds)."""
    return timedelta(seconds=2 * task_time_limit)


def unclaimed(field: str, now: datetime) -> Q:
    """Not being sent: never claimed in `field`, or its claim has run out."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})


def _final_reply_line() -> int:
    """The line of smtplib.SMTP.data that waits for the server's answer to the mail
    itself: its last getreply, once the content and its closing "." have gone (the
    first waits for the go-ahead, 354, before any content)."""
    return max(
        instruction.positions.lineno or 0
        for instruction in dis.get_instructions(smtplib.SMTP.data)
        if instruction.argval == "getreply" and instruction.positions is not None
    )


FINAL_REPLY_LINE = _final_reply_line()


def mail_may_have_gone(exc: BaseException) -> bool:
    """The mail server was handed the whole mail (its content and the closing ".")
    and then dropped the connection or timed out before its answer: it may have
    taken it, so sending it again may deliver it twice. An answer it gave (an SMTP
    error code) is a refusal, and a failure any earlier (no connection, the login,
    the sender or the recipients refused, the DATA command not given its go-ahead, the
    content cut off) left nothing with it: all are worth trying again."""
    if not isinstance(exc, OSError) or isinstance(exc, smtplib.SMTPResponseException):
        return False
    data = smtplib.SMTP.data.__code__
    return any(
        frame.f_code is data and line == FINAL_REPLY_LINE
        for frame, line in traceback.walk_tb(exc.__traceback__)
    )


def sent_under_claim(
    unsent: QuerySet,
    *,
    field: str,
    lease: timedelta,
    send: Callable[[], Any],
    stamp: Callable[[], dict[str, Any]],
) -> bool:
    """Claim the row of `unsent` (a queryset of the one row, still unsent) in
    `field` for `lease`, call `send`, then write `stamp()` (the sent time, who was
    told) and clear the claim; whether this call sent it (False: already sent, or
    claimed by a live worker). Of two workers at once, the second finds the row
    claimed when the first's claim commits, and updates nothing. A mail the server
    may have taken before the connection failed is stamped sent, not sent again
    (mail_may_have_gone)."""
    now = timezone.now()
    until = now + lease
    if not unsent.filter(unclaimed(field, now)).update(**{field: until}):
        return False
    try:
        send()
    except BaseException as exc:
        if mail_may_have_gone(exc):
            log.warning(
                "the mail server took the mail, then did not answer (%r): it may "
                "have gone, so it is not sent again",
                exc,
            )
        else:
            # Not sent (the mail server, or the task's time limit struck
            # mid-send): the claim given back, for a retry or the sweep.
            unsent.filter(**{field: until}).update(**{field: None})
            raise
    unsent.update(**stamp(), **{field: None})
    return True
