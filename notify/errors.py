"""What a backend raises when a message could not be handed to the provider."""

from __future__ import annotations


class SendFailure(Exception):
    """The provider did not take the message; the text says why, for the record."""


class TemporaryFailure(SendFailure):
    """Worth trying again later: no connection made, 429, a 5xx (a request sent and
    not answered may have been taken: a PermanentFailure, "unknown")."""


class PermanentFailure(SendFailure):
    """Never worth trying again: the provider refused it (400, 403, a bad number)."""
