class IllegalTransition(Exception):
    """A status change the item's current state does not allow.

    Views show the message; the API answers 409.
    """
