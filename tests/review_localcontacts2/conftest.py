"""The fixtures of tests/local_contacts, reused."""

from tests.local_contacts.conftest import (  # noqa: F401 (fixtures, used by name)
    escalation,
    leeds_member,
    ons_areas,
    sheffield_colleague,
    sheffield_member,
)
