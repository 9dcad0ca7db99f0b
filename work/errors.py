"""What the operations of the work core raise when the rules say no.

IllegalTransition (cases.errors) is the item's state refusing a change; WorkRefused is
a rule of the service refusing a request (a cap, a tier, a missing reason). Both carry
a message for the person who asked: pages show it as it is, the API answers 409.
"""

from __future__ import annotations


class WorkRefused(Exception):
    """A request the work rules refuse; the message is for the person who asked."""
