"""Reads for the registrations page: who is verified, expiring or expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import F

from ..models import StaffProfile, Tier
from .members import team_members


@dataclass
class Registrations:
    # Profiles carrying the page's flags: expired, expiring, valid.
    members: list[Any]
    expiring: list[Any]
    expired: list[Any]
    unverified: list[Any]


EXPIRY_WARNING_DAYS = 30


def registrations(supervisor: StaffProfile, *, today: date) -> Registrations:
    members: list[Any] = list(
        team_members(supervisor)
        .filter(tier=Tier.CLINICAL)
        .select_related("user", "registration_verified_by")
        .order_by(F("registration_expires_on").asc(nulls_first=True), "user__last_name")
    )
    soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    for m in members:
        m.expired = m.registration_expires_on is not None and (
            m.registration_expires_on < today
        )
        m.expiring = (
            m.registration_expires_on is not None
            and today <= m.registration_expires_on <= soon
        )
        m.valid = m.registration_valid_on(today)
    return Registrations(
        members=members,
        expiring=[m for m in members if m.expiring],
        expired=[m for m in members if m.expired],
        unverified=[m for m in members if m.registration_verified_on is None],
    )
