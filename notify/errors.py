"""What a backend raises when a message could not be handed to the provider."""

from __future__ import annotations


class SendFailure(Exception):
    """The provider did not take the message; the text says why, for the record."""


class TemporaryFailure(SendFailure):
    """Worth trying again later: no connection, a timeout, 429, a 5xx."""


class PermanentFailure(SendFailure):
    """Never worth trying again: the provider refused it (400, 403, a bad number)."""
