"""Who may withdraw a positive result sent in error (work.withdraw): the lab, through
its integration, or a tier 2 (clinical) supervisor with a verified registration.

Withdrawing tells the person, and every contact only that case named, that they no
longer need to stay at home: a clinical judgement over the whole tracing tree of the
case, narrower than an isolation override (which the caseworker holding the case may
make for that one date). So among staff only a tier 2 supervisor, whose registration
is verified and unexpired, may do it; not the caseworker holding the case, a call
handler, a tier 3 supervisor, a local team or an administrator. An integration may
when the door has checked its scope (`intake`: the lab that sent the result) and
that the case is one it may see.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from staffing.models import Tier

from .actor import Actor

SUPERVISORS_ONLY = (
    "Only a tier 2 (clinical) supervisor may withdraw a positive result, or the "
    "lab through its integration."
)
UNREGISTERED = (
    "Your professional registration is not verified or has expired: you may not "
    "withdraw a result until it is verified."
)


def withdraw_refusal(who: Actor | Any) -> str | None:
    """Why `who` may not withdraw a result, in words; None when they may."""
    actor = Actor.of(who)
    if actor.client:
        return None  # the door checked its scope, and that it may see the case
    profile = actor.profile
    if (
        profile is None
        or not actor.user.is_active
        or profile.tier != Tier.CLINICAL
        or not profile.is_supervisor
    ):
        return SUPERVISORS_ONLY
    if not profile.registration_valid_on(timezone.localdate()):
        return UNREGISTERED
    return None


def may_withdraw(who: Actor | Any) -> bool:
    return withdraw_refusal(who) is None
