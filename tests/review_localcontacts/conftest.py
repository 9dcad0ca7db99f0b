"""The fixtures and builders of tests/local_contacts, reused."""

from tests.local_contacts.conftest import (  # noqa: F401 (fixtures, used by name)
    contact_rows,
    contacts_url,
    escalation,
    ons_areas,
    row,
    sheffield_member,
    signed_in,
)
