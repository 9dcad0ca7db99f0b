"""What the retention services raise when the rules say no."""

from __future__ import annotations


class RetentionRefused(Exception):
    """A request the retention rules refuse (a hold already on, a record that must
    be kept); the message is for the administrator who asked."""
