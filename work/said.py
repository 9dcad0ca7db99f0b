"""A list as a sentence says it: "food", "food and medicine", "money, food and
medicine". One wording for every message that names several things at once (the
help asked for on a call, what a merge did to an escalation, the details an audit
event kept, the teams holding a person's other cases, an account's teams)."""

from __future__ import annotations

from collections.abc import Iterable


def and_joined(parts: Iterable[str]) -> str:
    """The parts in order, commas between, "and" before the last; "" for none."""
    listed = list(parts)
    if len(listed) < 2:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} and {listed[-1]}"
