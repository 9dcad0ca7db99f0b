"""Fixtures for the second parity review: the parity suite's doors and people, the
areas the local teams' tests load, and John Barker's case from the details tests."""

from __future__ import annotations

from tests.local_contacts.conftest import ons_areas  # noqa: F401
from tests.parity.conftest import (  # noqa: F401
    _fresh_rate_counts,
    _frozen,
    doors,
    leeds_member,
    make_client,
    national_integration,
    sheffield_integration,
    sheffield_member,
)
from tests.person_details.conftest import held_case, jon, other_caseworker  # noqa: F401
