"""The one asking: a signed-in member of staff, or an integration through its token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from staffing.access import active_profile_of
from staffing.models import StaffProfile, Tier


@dataclass(frozen=True)
class Actor:
    """A user, with their staff profile (if any) read once.

    An API client acts through its service account: `client` is True, and
    `client_team_id` is the local team it is bound to (None for a national client,
    which sees the whole service for the scopes it holds).
    """

    user: Any
    profile: StaffProfile | None
    client: bool = False
    client_team_id: int | None = None

    @classmethod
    def of(cls, who: Actor | Any) -> Actor:
        if isinstance(who, Actor):
            return who
        return cls(user=who, profile=active_profile_of(who))

    @classmethod
    def for_client(cls, *, user: Any, team_id: int | None) -> Actor:
        return cls(user=user, profile=None, client=True, client_team_id=team_id)

    @property
    def is_admin(self) -> bool:
        user = self.user
        return bool(
            not self.client
            and user is not None
            and user.is_authenticated
            and user.is_active
            and user.is_superuser
        )

    @property
    def tier(self) -> int | None:
        return self.profile.tier if self.profile is not None else None

    @property
    def is_national_supervisor(self) -> bool:
        if self.is_admin:
            return True
        return (
            self.profile is not None
            and self.profile.is_supervisor
            and self.profile.tier != Tier.LOCAL
        )

    @property
    def local_team_id(self) -> int | None:
        """The local team whose areas this actor works (a tier 1 member, or a bound
        client); None otherwise."""
        if self.client:
            return self.client_team_id
        if self.profile is not None and self.profile.tier == Tier.LOCAL:
            return self.profile.local_team_id
        return None

    @property
    def sees_everything(self) -> bool:
        """Administrators and national (unbound) clients see every item."""
        return self.is_admin or (self.client and self.client_team_id is None)


def team_items_q(team_id: int) -> Q:
    """Items of a local team: in its areas, or handed to it (escalated there)."""
    return Q(area__local_team_id=team_id) | Q(local_team_id=team_id)
