"""What a local team is told when it closes, sends back or reopens an escalation
wrongly: the same words on the escalation's page (pages.local.forms) and through
the API (api.escalations), one act refused alike at both doors.

Each is a sentence, as the API says it; the local pages drop the full stop (the
NHS.UK pattern), as they do work.escalation.REOPEN_REASON_MISSING's."""

from __future__ import annotations

CLOSE_OUTCOME_MISSING = "Choose how it ended."
ACTION_KIND_MISSING = "Choose what you did."
NEW_PHONE_INVALID = "Enter a UK phone number, such as 07911 123456."


def notes_too_long(limit: int) -> str:
    """A note, or a reason, past `limit` characters (work.rules
    .ESCALATION_NOTE_MAX: the limit is the work core's, the words are these)."""
    return f"Notes must be {limit:,} characters or fewer."
